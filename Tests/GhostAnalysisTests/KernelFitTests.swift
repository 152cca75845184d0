import Foundation
import GhostAnalysis
import GhostIO
import GhostTensor
import GhostTestSupport
import XCTest

final class KernelFitTests: XCTestCase {
    /// Applies a known d×d kernel + bias ("same" zero padding) image by image.
    private func convolve(_ x: [Double], images: Int, h: Int, w: Int, kernel: [Double], d: Int, bias: Double) -> [Double] {
        let f = FittedKernel(d: d, kernel: kernel, bias: bias, mse: 0, r2: 1)
        return (0..<images).flatMap { KernelFit.apply(f, to: Array(x[($0 * h * w)..<(($0 + 1) * h * w)]), height: h, width: w) }
    }

    func testKnownKernelIsRecoveredForEveryLargerSize() {
        var rng = SplitMix64(seed: 5)
        let (n, h, w) = (4, 12, 10)
        let src = (0..<(n * h * w)).map { _ in Double.random(in: -1...1, using: &rng) }
        for trueD in [1, 3, 5] {
            let k = (0..<(trueD * trueD)).map { _ in Double.random(in: -1...1, using: &rng) }
            let tgt = convolve(src, images: n, h: h, w: w, kernel: k, d: trueD, bias: 0.37)
            let fits = KernelFit.fit(source: src, target: tgt, images: n, height: h, width: w, sizes: [1, 3, 5, 7])
            for f in fits where f.d >= trueD {
                // The true kernel embedded in the centre of the d×d window, zeros around it.
                let off = (f.d - trueD) / 2
                for dy in 0..<f.d { for dx in 0..<f.d {
                    let inside = dy >= off && dy < off + trueD && dx >= off && dx < off + trueD
                    let want = inside ? k[(dy - off) * trueD + dx - off] : 0
                    XCTAssertEqual(f.kernel[dy * f.d + dx], want, accuracy: 1e-5, "true d \(trueD), fitted d \(f.d)")
                } }
                XCTAssertEqual(f.bias, 0.37, accuracy: 1e-5)
                XCTAssertLessThan(f.mse, 1e-10)
                XCTAssertEqual(f.r2, 1, accuracy: 1e-9)
            }
            for f in fits where f.d < trueD { XCTAssertGreaterThan(f.mse, 1e-4, "d \(f.d) cannot represent a \(trueD)×\(trueD) kernel") }
        }
    }

    /// Streaming over batches gives the one-shot answer, and the reported mean/variance of K ⊛ x match
    /// the filtered maps computed directly.
    func testAccumulatorStreamsAndReportsFilteredMoments() {
        var rng = SplitMix64(seed: 12)
        let (n, h, w) = (5, 6, 7)
        let src = (0..<(n * h * w)).map { _ in Double.random(in: 0...2, using: &rng) }
        let tgt = (0..<(n * h * w)).map { _ in Double.random(in: -1...1, using: &rng) }
        let oneShot = KernelFit.fit(source: src, target: tgt, images: n, height: h, width: w, sizes: [3])[0]
        var acc = KernelFitAccumulator(maxD: 3)
        src.withUnsafeBufferPointer { s in tgt.withUnsafeBufferPointer { t in
            acc.add(source: s.baseAddress!, target: t.baseAddress!, images: 2, height: h, width: w)
            acc.add(source: s.baseAddress! + 2 * h * w, target: t.baseAddress! + 2 * h * w, images: 3, height: h, width: w)
        } }
        let streamed = acc.solve(sizes: [3])[0]
        for (a, b) in zip(streamed.kernel, oneShot.kernel) { XCTAssertEqual(a, b, accuracy: 1e-9) }
        XCTAssertEqual(streamed.mse, oneShot.mse, accuracy: 1e-12)
        let noBias = FittedKernel(d: 3, kernel: streamed.kernel, bias: 0, mse: 0, r2: 0)
        let filtered = (0..<n).flatMap { KernelFit.apply(noBias, to: Array(src[($0 * h * w)..<(($0 + 1) * h * w)]), height: h, width: w) }
        let mean = filtered.reduce(0, +) / Double(filtered.count)
        let variance = filtered.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(filtered.count)
        XCTAssertEqual(streamed.filteredMean!, mean, accuracy: 1e-9)
        XCTAssertEqual(streamed.filteredVariance!, variance, accuracy: 1e-9)
    }

    func testMSEIsNonIncreasingInD() {
        var rng = SplitMix64(seed: 9)
        for trial in 0..<10 {
            let (n, h, w) = (1 + trial % 3, 4 + trial, 7)
            let src = (0..<(n * h * w)).map { _ in Double.random(in: 0...1, using: &rng) }
            let tgt = (0..<(n * h * w)).map { _ in Double.random(in: 0...1, using: &rng) }
            for bias in [true, false] {
                let fits = KernelFit.fit(source: src, target: tgt, images: n, height: h, width: w, sizes: [1, 3, 5, 7, 9], bias: bias)
                for (a, b) in zip(fits, fits.dropFirst()) { XCTAssertLessThanOrEqual(b.mse, a.mse + 1e-12, "trial \(trial)") }
            }
        }
    }

    /// Cross-check against numpy.linalg.lstsq (tools/make_kernelfit_fixture.py).
    func testMatchesNumpyLstsq() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("kernelfit_lstsq.json")))
        let json = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        let (n, h, w) = (json["images"] as! Int, json["height"] as! Int, json["width"] as! Int)
        let fits = KernelFit.fit(source: json["source"] as! [Double], target: json["target"] as! [Double],
                                 images: n, height: h, width: w, sizes: [1, 3, 5, 7])
        for (f, ref) in zip(fits, json["fits"] as! [[String: Any]]) {
            XCTAssertEqual(f.d, ref["d"] as! Int)
            for (a, b) in zip(f.kernel, ref["kernel"] as! [Double]) { XCTAssertEqual(a, b, accuracy: 1e-9) }
            XCTAssertEqual(f.bias, ref["bias"] as! Double, accuracy: 1e-9)
            XCTAssertEqual(f.mse, ref["mse"] as! Double, accuracy: 1e-9)
        }
    }

    func testZeroSourceFitsTheMeanAndNormalisations() {
        let src = [Double](repeating: 0, count: 2 * 3 * 3)
        let tgt = (0..<18).map { Double($0) }
        let f = KernelFit.fit(source: src, target: tgt, images: 2, height: 3, width: 3, sizes: [3])[0]
        XCTAssertEqual(f.bias, 8.5, accuracy: 1e-9)
        XCTAssertTrue(f.kernel.allSatisfy { $0 == 0 })
        XCTAssertEqual(f.r2, 0, accuracy: 1e-9)

        var m: [Double] = [2, 4, 6, 10]
        m.withUnsafeMutableBufferPointer { MapNormalization.minmax.apply($0.baseAddress!, count: 4) }
        XCTAssertEqual(m, [0, 0.25, 0.5, 1])
        var s: [Double] = [1, 3]
        s.withUnsafeMutableBufferPointer { MapNormalization.standardize.apply($0.baseAddress!, count: 2) }
        XCTAssertEqual(s, [-1, 1])
    }
}

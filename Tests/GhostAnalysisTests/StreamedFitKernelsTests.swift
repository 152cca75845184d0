import Foundation
import GhostAnalysis
import GhostIO
import GhostModels
import GhostTensor
import GhostTestSupport
import XCTest

/// fit-kernels reads the dump a few images at a time and sums each pair's normal equations: the report must be
/// the in-memory computation's (every map of the layer read at once, `PairFitting.fit` over all of it, the
/// two-pass Pearson r) whatever the number of images per read.
final class StreamedFitKernelsTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws { dir = Fixtures.temporaryDirectory() }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    /// A scan directory: one layer of 9 images × 6 channels × 7², channel 1 a blurred copy of channel 0 plus noise.
    func makeScan() throws -> Tensor {
        var rng = SplitMix64(seed: 21)
        let x = Tensor(gaussian: [9, 6, 7, 7], std: 1, rng: &rng)
        for n in 0..<9 { for i in 0..<49 {
            let a = x.uncheckedMutablePointer + (n * 6) * 49, b = x.uncheckedMutablePointer + (n * 6 + 1) * 49
            b[i] = 0.8 * a[i] + 0.3 * a[(i + 1) % 49] + 0.1 * b[i] + 2
        } }
        let writer = try ActivationWriter(path: dir + "/activations.h5", attributes: [:], overwrite: false)
        let inputs = Tensor(zeros: [9, 1, 2, 2])
        try writer.append(inputs: inputs, labels: [], layers: [(name: "layer1.0", kind: "block", tensor: x)])
        try writer.finish()
        var corr = ChannelCorrelation(channels: 6)
        corr.add(x)
        let layer = LayerRedundancy(layer: "layer1.0", correlation: corr.pearson(), channels: 6, threshold: 0.5,
                                    topK: 3, nonOverlapping: false)
        let report = ScanReport(model: "resnet18", checkpoint: "none", sha256: "", architecture: try Architecture(
            name: "resnet18"), images: 9, threshold: 0.5, gridLayer: "layer1.0", imageIndex: 4, layers: [layer])
        _ = try report.write(to: dir)
        return x
    }

    func testStreamedFitsEqualInMemoryFits() throws {
        let x = try makeScan()
        for perRead in [1, 2, 4, 9, nil] {
            var c = FitKernelsConfig(scanDir: dir)
            c.randomPairs = 4
            c.imagesPerRead = perRead
            let (report, triplets) = try FitKernelsRun.run(c)
            XCTAssertEqual(report.pairs.count, 3 + 4)
            XCTAssertEqual(triplets.map(\.label), ["blue", "green", "red"])
            for p in report.pairs {
                let reference = PairFitting.fit(x, pairs: [(a: p.a, b: p.b)], sizes: c.sizes, normalization: .minmax,
                                                bias: true)[0]
                for (f, r) in zip(p.fits, reference) {
                    XCTAssertEqual(f.d, r.d)
                    XCTAssertEqual(f.mse, r.mse, accuracy: 1e-9 + 1e-7 * r.mse, "\(perRead ?? 0) \(p.a)→\(p.b)")
                    for (u, v) in zip(f.kernel, r.kernel) { XCTAssertEqual(u, v, accuracy: 1e-6 * max(1, abs(v))) }
                }
                XCTAssertEqual(Double(p.correlation), Self.pearson(x, p.a, p.b), accuracy: 1e-6)
                if p.label != nil {
                    for mode in MapNormalization.allCases where mode != .minmax {
                        let other = PairFitting.fit(x, pairs: [(a: p.a, b: p.b)], sizes: c.sizes, normalization: mode,
                                                    bias: true)[0].map(\.mse)
                        let mine = try XCTUnwrap(p.otherNormalizations?[mode.rawValue])
                        for (u, v) in zip(mine, other) { XCTAssertEqual(u, v, accuracy: 1e-9 + 1e-7 * v) }
                    }
                }
            }
            let red = try XCTUnwrap(triplets.first { $0.label == "red" })
            let source = PairFitting.maps(x, channel: red.pair.a, normalization: .minmax)
            XCTAssertEqual(red.image, 4)
            XCTAssertEqual(red.source, Array(source[(4 * 49)..<(5 * 49)]))
        }
        XCTAssertEqual(try FitKernelsRun.run(FitKernelsConfig(scanDir: dir)).report.pairs.first?.a, 0)
    }

    /// A NaN found in a later read still names its image in the whole dump.
    func testNonFiniteImageIsNamedAcrossReads() throws {
        let x = try makeScan()
        x.uncheckedMutablePointer[(7 * 6 + 2) * 49 + 3] = .nan
        try FileManager.default.removeItem(atPath: dir + "/activations.h5")
        let writer = try ActivationWriter(path: dir + "/activations.h5", attributes: [:], overwrite: false)
        try writer.append(inputs: Tensor(zeros: [9, 1, 2, 2]), labels: [],
                          layers: [(name: "layer1.0", kind: "block", tensor: x)])
        try writer.finish()
        var c = FitKernelsConfig(scanDir: dir)
        c.imagesPerRead = 2
        XCTAssertThrowsError(try FitKernelsRun.run(c)) { e in
            XCTAssertTrue("\(e)".hasSuffix("layer layer1.0, channel 2 holds nan (image 7); kernel fits need finite "
                                           + "activations"), "\(e)")
        }
    }

    /// Two-pass Pearson r of two channels over every pixel of every image.
    static func pearson(_ x: Tensor, _ a: Int, _ b: Int) -> Double {
        let u = PairFitting.maps(x, channel: a, normalization: .raw)
        let v = PairFitting.maps(x, channel: b, normalization: .raw)
        let mu = u.reduce(0, +) / Double(u.count), mv = v.reduce(0, +) / Double(v.count)
        var suv = 0.0, suu = 0.0, svv = 0.0
        for i in u.indices {
            suv += (u[i] - mu) * (v[i] - mv); suu += (u[i] - mu) * (u[i] - mu); svv += (v[i] - mv) * (v[i] - mv)
        }
        return suv / (suu * svv).squareRoot()
    }
}

import GhostTensor
import GhostTestSupport
import XCTest

/// The weight gradient of stride-1 3×3 convolutions on Winograd (WinogradBackwardWeight) against a direct sum in
/// double precision, within the parity tolerance 1e-4 · max |ref|, on both variants and 1–2 threads.
final class WinogradBackwardWeightTests: XCTestCase {
    /// (batch, Cin, H, W, Cout): maps smaller than a tile, odd sides (ragged last tiles), one-row maps, channels not
    /// multiples of 8, Cout split into unequal dU chunks (520 in, 150 out), and ResNet's train-step shapes (28²×64 …
    /// 4²×512, the last in four chunks) at batch ≥ 2.
    static let shapes: [(n: Int, c: Int, h: Int, w: Int, o: Int)] = [
        (1, 16, 1, 1, 16), (2, 19, 7, 9, 21), (3, 17, 2, 3, 18), (1, 16, 1, 13, 20), (2, 17, 5, 4, 33),
        (2, 520, 3, 5, 150), (2, 64, 28, 28, 64), (3, 128, 14, 14, 128), (4, 256, 7, 7, 256), (5, 512, 4, 4, 512),
    ]

    /// dW[co][ci][ki][kj] = Σ dY[n][co][oy][ox] · x[n][ci][oy − 1 + ki][ox − 1 + kj], summed in double.
    static func referenceGradWeight(_ x: Tensor, _ gy: Tensor) -> Tensor {
        let (N, C, H, W) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let O = gy.shape[1]
        var d = [Double](repeating: 0, count: O * C * 9)
        let (xp, gp) = (x.readPointer, gy.readPointer)
        for n in 0..<N {
            for co in 0..<O {
                for ci in 0..<C {
                    for ki in 0..<3 {
                        for kj in 0..<3 {
                            var sum = 0.0
                            for oy in 0..<H {
                                let iy = oy - 1 + ki
                                if iy < 0 || iy >= H { continue }
                                for ox in 0..<W {
                                    let ix = ox - 1 + kj
                                    if ix < 0 || ix >= W { continue }
                                    let a = Double(gp[((n * O + co) * H + oy) * W + ox])
                                    sum += a * Double(xp[((n * C + ci) * H + iy) * W + ix])
                                }
                            }
                            d[((co * C + ci) * 3 + ki) * 3 + kj] += sum
                        }
                    }
                }
            }
        }
        return Tensor(shape: [O, C, 3, 3], values: d.map { Float($0) })
    }

    func testBothVariantsMatchTheDirectGradient() {
        var rng = SplitMix64(seed: 21)
        defer { Engine.threads = Engine.defaultThreads }
        for s in Self.shapes {
            let x = Tensor(gaussian: [s.n, s.c, s.h, s.w], std: 1, rng: &rng)
            let gy = Tensor(gaussian: [s.n, s.o, s.h, s.w], std: 1, rng: &rng)
            let ref = Self.referenceGradWeight(x, gy)
            let g = ConvGeometry(
                batch: s.n, inChannels: s.c, height: s.h, width: s.w, outChannels: s.o, kernel: (3, 3),
                padding: (1, 1))
            for threads in [1, 2] {
                Engine.threads = threads
                for variant in WinogradKernel.Variant.allCases {
                    var gw = Tensor(zeros: [s.o, s.c, 3, 3])
                    gw.withUnsafeMutableBufferPointer {
                        WinogradBackwardWeight.gradWeight(
                            x: x.readPointer, gradOutput: gy.readPointer, gw: $0.baseAddress!, g: g, variant: variant)
                    }
                    assertClose(gw, ref, "\(variant) \(s) threads \(threads)")
                }
            }
        }
    }

    /// It adds into `gw` (the backward's contract for accumulated gradients) rather than overwriting it.
    func testAddsIntoTheGivenGradient() {
        var rng = SplitMix64(seed: 22)
        let x = Tensor(gaussian: [2, 16, 6, 6], std: 1, rng: &rng)
        let gy = Tensor(gaussian: [2, 16, 6, 6], std: 1, rng: &rng)
        let g = ConvGeometry(
            batch: 2, inChannels: 16, height: 6, width: 6, outChannels: 16, kernel: (3, 3), padding: (1, 1))
        func accumulated(_ times: Int) -> Tensor {
            var gw = Tensor(zeros: [16, 16, 3, 3])
            gw.withUnsafeMutableBufferPointer { buffer in
                for _ in 0..<times {
                    WinogradBackwardWeight.gradWeight(
                        x: x.readPointer, gradOutput: gy.readPointer, gw: buffer.baseAddress!, g: g, variant: .f2x3)
                }
            }
            return gw
        }
        let once = accumulated(1)
        let twice = accumulated(2)
        for i in 0..<once.count { XCTAssertEqual(twice.readPointer[i], 2 * once.readPointer[i], accuracy: 1e-4) }
    }
}

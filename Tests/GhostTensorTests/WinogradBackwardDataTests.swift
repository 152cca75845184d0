import GhostTensor
import GhostTestSupport
import XCTest

/// The input gradient of stride-1 3×3 convolutions on Winograd (WinogradBackwardData) against a direct loop and
/// against the GEMM backward it replaces, within the parity tolerance 1e-4 · max |ref|.
final class WinogradBackwardDataTests: XCTestCase {
    /// (batch, Cin, H, W, Cout): batch 1, channels not multiples of 8, maps smaller than a tile, one-row maps,
    /// ResNet's train-step shapes (28²×64 … 4²×512 at batch ≥ 2).
    static let shapes: [(n: Int, c: Int, h: Int, w: Int, o: Int)] = [
        (1, 3, 5, 5, 2), (2, 19, 7, 9, 21), (1, 1, 1, 1, 1), (3, 5, 2, 3, 7), (1, 9, 1, 13, 3), (2, 17, 4, 4, 33),
        (2, 64, 28, 28, 64), (3, 128, 14, 14, 128), (4, 256, 7, 7, 256), (5, 512, 4, 4, 512),
    ]

    /// dX[n][ci][iy][ix] = Σ dY[n][co][oy][ox] · w[co][ci][ki][kj] over iy = oy − 1 + ki, ix = ox − 1 + kj.
    static func referenceGradInput(_ gy: Tensor, _ w: Tensor) -> Tensor {
        let (N, O, H, W) = (gy.shape[0], gy.shape[1], gy.shape[2], gy.shape[3])
        let C = w.shape[1]
        var d = [Float](repeating: 0, count: N * C * H * W)
        let (g, wp) = (gy.readPointer, w.readPointer)
        for n in 0..<N {
            for co in 0..<O {
                for ci in 0..<C {
                    for ki in 0..<3 {
                        for kj in 0..<3 {
                            let wv = wp[((co * C + ci) * 3 + ki) * 3 + kj]
                            for oy in 0..<H {
                                let iy = oy - 1 + ki
                                if iy < 0 || iy >= H { continue }
                                for ox in 0..<W {
                                    let ix = ox - 1 + kj
                                    if ix < 0 || ix >= W { continue }
                                    let src: Int = ((n * O + co) * H + oy) * W + ox
                                    let dst: Int = ((n * C + ci) * H + iy) * W + ix
                                    d[dst] += wv * g[src]
                                }
                            }
                        }
                    }
                }
            }
        }
        return Tensor(shape: [N, C, H, W], values: d)
    }

    func testBothVariantsMatchTheDirectGradient() {
        var rng = SplitMix64(seed: 11)
        for threads in [1, 2] {
            Engine.threads = threads
            for s in Self.shapes {
                let gy = Tensor(gaussian: [s.n, s.o, s.h, s.w], std: 1, rng: &rng)
                let w = Tensor(gaussian: [s.o, s.c, 3, 3], std: 0.5, rng: &rng)
                let ref = Self.referenceGradInput(gy, w)
                for variant in WinogradKernel.Variant.allCases {
                    let got = WinogradBackwardData.gradInput(gradOutput: gy, weight: w, variant: variant)
                    assertClose(got, ref, "\(variant) \(s) threads \(threads)")
                }
            }
        }
        Engine.threads = Engine.defaultThreads
    }

    /// The conv backward with Winograd dispatched gives the GEMM backward's dX and the same dW and dB.
    func testConvBackwardOnWinogradMatchesTheGEMMBackward() {
        var rng = SplitMix64(seed: 12)
        defer { WinogradKernel.dispatch = .costModel }
        for s in Self.shapes {
            let x = Tensor(gaussian: [s.n, s.c, s.h, s.w], std: 1, rng: &rng)
            let w = Tensor(gaussian: [s.o, s.c, 3, 3], std: 0.5, rng: &rng)
            let gy = Tensor(gaussian: [s.n, s.o, s.h, s.w], std: 1, rng: &rng)
            func run(_ dispatch: WinogradDispatch) -> (Tensor?, Tensor, Tensor) {
                WinogradKernel.dispatch = dispatch
                return Conv2DBackwardKernel.backward(
                    x: x, weight: w, gradOutput: gy, stride: (1, 1), padding: (1, 1), groups: 1, needInput: true)
            }
            let (gxRef, gwRef, gbRef) = run(.fixed(nil))
            for variant in WinogradKernel.Variant.allCases {
                let (gx, gw, gb) = run(.fixed(variant))
                assertClose(gx!, gxRef!, "dX \(variant) \(s)")
                assertClose(gw, gwRef, "dW \(variant) \(s)")
                assertClose(gb, gbRef, "dB \(variant) \(s)")
            }
            // A first layer asks for no dX: none on either path.
            WinogradKernel.dispatch = .fixed(.f4x3)
            let first = Conv2DBackwardKernel.backward(
                x: x, weight: w, gradOutput: gy, stride: (1, 1), padding: (1, 1), groups: 1, needInput: false)
            XCTAssertNil(first.gradInput, "\(s): dX without needInput")
            assertClose(first.gradWeight, gwRef, "dW without dX \(s)")
        }
    }

    /// Only stride-1, padding-1, one-group 3×3 convolutions go to Winograd; the others keep the GEMM backward.
    func testTakesOnlyStrideOneSame3x3() {
        defer { WinogradKernel.dispatch = .costModel }
        WinogradKernel.dispatch = .fixed(.f4x3)
        func geometry(kernel: Int = 3, stride: Int = 1, padding: Int = 1, groups: Int = 1) -> ConvGeometry {
            ConvGeometry(
                batch: 2, inChannels: 32, height: 14, width: 14, outChannels: 32, kernel: (kernel, kernel),
                stride: (stride, stride), padding: (padding, padding), groups: groups)
        }
        XCTAssertEqual(WinogradBackwardData.variant(for: geometry()), .f4x3)
        XCTAssertNil(WinogradBackwardData.variant(for: geometry(stride: 2)))
        XCTAssertNil(WinogradBackwardData.variant(for: geometry(padding: 0)))
        XCTAssertNil(WinogradBackwardData.variant(for: geometry(groups: 2)))
        XCTAssertNil(WinogradBackwardData.variant(for: geometry(kernel: 1, padding: 0)))
        let t = WinogradBackwardData.transposedGeometry(
            ConvGeometry(batch: 3, inChannels: 5, height: 6, width: 7, outChannels: 9, kernel: (3, 3),
                         padding: (1, 1)))
        XCTAssertEqual([t.batch, t.inChannels, t.outChannels, t.height, t.width], [3, 9, 5, 6, 7])
    }

    /// w̃[ci][co][ki][kj] = w[co][ci][2 − ki][2 − kj].
    func testTransposedFlippedWeight() {
        var rng = SplitMix64(seed: 13)
        let w = Tensor(gaussian: [4, 3, 3, 3], std: 1, rng: &rng)
        let f = WinogradBackwardData.transposedFlipped(w)
        XCTAssertEqual(f.shape, [3, 4, 3, 3])
        for co in 0..<4 {
            for ci in 0..<3 {
                for ki in 0..<3 {
                    for kj in 0..<3 {
                        XCTAssertEqual(
                            f.readPointer[((ci * 4 + co) * 3 + ki) * 3 + kj],
                            w.readPointer[((co * 3 + ci) * 3 + (2 - ki)) * 3 + (2 - kj)])
                    }
                }
            }
        }
    }
}

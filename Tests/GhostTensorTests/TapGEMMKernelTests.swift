import XCTest
import GhostTensor
import GhostTestSupport

/// The im2col-free path for stride-1 "same" convolutions on maps of ≥ 256 pixels, against the direct reference.
final class TapGEMMKernelTests: XCTestCase {
    struct Case { var n, c, h, w, o, k: Int }

    let cases: [Case] = [
        Case(n: 2, c: 5, h: 17, w: 19, o: 7, k: 3),
        Case(n: 1, c: 3, h: 16, w: 18, o: 4, k: 5),    // padding 2: two shared zero columns per row
        Case(n: 2, c: 64, h: 40, w: 16, o: 64, k: 3),  // several tiles per image, the last one shorter
        Case(n: 3, c: 2, h: 23, w: 12, o: 3, k: 3),    // three images over two workers
        Case(n: 1, c: 4, h: 256, w: 1, o: 2, k: 3),    // one-column map: every tap but the middle column is padding
    ]

    func testTakesTheCasesAndNotTheOthers() {
        for c in cases {
            let g = ConvGeometry(batch: c.n, inChannels: c.c, height: c.h, width: c.w, outChannels: c.o,
                                 kernel: (c.k, c.k), padding: (c.k / 2, c.k / 2))
            XCTAssertTrue(TapGEMMKernel.applies(to: g), "\(c)")
        }
        let base = ConvGeometry(batch: 1, inChannels: 4, height: 16, width: 16, outChannels: 4, kernel: (3, 3), padding: (1, 1))
        var strided = base; strided.strideH = 2; strided.strideW = 2
        var grouped = base; grouped.groups = 2
        var unpadded = base; unpadded.padH = 0; unpadded.padW = 0
        var small = base; small.height = 15
        var pointwise = base; pointwise.kernelH = 1; pointwise.kernelW = 1; pointwise.padH = 0; pointwise.padW = 0
        for g in [strided, grouped, unpadded, small, pointwise] { XCTAssertFalse(TapGEMMKernel.applies(to: g), "\(g)") }
    }

    func testMatchesTheDirectConvolution() {
        var rng = SplitMix64(seed: 11)
        for threads in [1, 2] {
            Engine.threads = threads
            for c in cases {
                let x = Tensor(gaussian: [c.n, c.c, c.h, c.w], std: 1, rng: &rng)
                let w = Tensor(gaussian: [c.o, c.c, c.k, c.k], std: 0.5, rng: &rng)
                let b = Tensor(gaussian: [c.o], std: 1, rng: &rng)
                let conv = Conv2D(weight: w, bias: b, stride: (1, 1), padding: (c.k / 2, c.k / 2))
                let ref = Conv2DKernelTests.referenceConv(x, w, bias: b, stride: 1, padding: c.k / 2, groups: 1)
                assertClose(conv(x), ref, relTol: 1e-4, "\(c) threads \(threads)")
            }
        }
        Engine.threads = Engine.defaultThreads
    }

    /// Routed into a wider output (a Ghost module's primary conv) with BN scale/shift, residual and ReLU fused.
    func testRoutedOutputWithResidualAndReLU() {
        var rng = SplitMix64(seed: 12)
        let (n, c, h, w, o) = (2, 6, 20, 18, 4)
        let x = Tensor(gaussian: [n, c, h, w], std: 1, rng: &rng)
        let weight = Tensor(gaussian: [o, c, 3, 3], std: 0.5, rng: &rng)
        let conv = Conv2D(weight: weight, bias: nil, stride: (1, 1), padding: (1, 1))
        let scale = Tensor(gaussian: [o], std: 1, rng: &rng), shift = Tensor(gaussian: [o], std: 1, rng: &rng)
        let map = [5, 0, 3, 6]  // channels 1, 2 and 4 of the 7 stay untouched
        let residual = Tensor(gaussian: [n, 7, h, w], std: 1, rng: &rng)
        for threads in [1, 2] {
            Engine.threads = threads
            let y = Tensor(repeating: 42, shape: [n, 7, h, w])
            conv.forward(x, into: y, routing: ChannelRouting(outputChannels: 7, outputMap: map), scale: scale, shift: shift,
                         residual: residual, relu: true)
            let ref = Conv2DKernelTests.referenceConv(x, weight, bias: nil, stride: 1, padding: 1, groups: 1)
            var worst: Float = 0
            for i in 0..<n { for co in 0..<7 { for yy in 0..<h { for xx in 0..<w {
                let got = y[i, co, yy, xx]
                if let k = map.firstIndex(of: co) {
                    let want = max(ref[i, k, yy, xx] * scale[k] + shift[k] + residual[i, co, yy, xx], 0)
                    worst = max(worst, abs(got - want) / max(1, abs(want)))
                } else {
                    XCTAssertEqual(got, 42, "untouched channel \(co) written")
                }
            } } } }
            XCTAssertLessThan(worst, 1e-4, "threads \(threads)")
        }
        Engine.threads = Engine.defaultThreads
    }
}

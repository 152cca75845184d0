import XCTest
import GhostTensor
import GhostTestSupport

/// The im2col-free path for stride-1 "same" convolutions on maps of ≥ 256 pixels, against the direct reference.
final class TapGEMMKernelTests: XCTestCase {
    /// Conv2DKernelTests checks these cases (and the rest) against the direct reference at 1 and 2 threads.
    func testConv2DKernelTestsCoverThisPath() {
        let cases = Conv2DKernelTests.cases.filter {
            TapGEMMKernel.applies(to: ConvGeometry(batch: $0.n, inChannels: $0.c, height: $0.h, width: $0.w, outChannels: $0.o,
                                                   kernel: ($0.k, $0.k), stride: ($0.stride, $0.stride),
                                                   padding: ($0.pad, $0.pad), groups: $0.groups))
        }
        XCTAssertEqual(cases.filter { $0.h * $0.w >= TapGEMMKernel.minPixels }.count, 5)
        XCTAssertEqual(cases.filter { $0.h * $0.w < TapGEMMKernel.minPixels }.count, 3)  // with the 5×5 "many small images"
        XCTAssertEqual(Set(cases.map(\.k)), [3, 5])
    }

    func testTakesStrideOneSamePaddingOnLargerMapsOrFewChannels() {
        let base = ConvGeometry(batch: 1, inChannels: 4, height: 16, width: 16, outChannels: 4, kernel: (3, 3), padding: (1, 1))
        XCTAssertTrue(TapGEMMKernel.applies(to: base))
        var strided = base; strided.strideH = 2; strided.strideW = 2
        var grouped = base; grouped.groups = 2
        var unpadded = base; unpadded.padH = 0; unpadded.padW = 0
        var small = base; small.height = 15; small.outChannels = 256  // under 256 pixels, many output channels
        var smallFewChannels = small; smallFewChannels.outChannels = 2
        XCTAssertTrue(TapGEMMKernel.applies(to: smallFewChannels))
        var pointwise = base; pointwise.kernelH = 1; pointwise.kernelW = 1; pointwise.padH = 0; pointwise.padW = 0
        for g in [strided, grouped, unpadded, small, pointwise] { XCTAssertFalse(TapGEMMKernel.applies(to: g), "\(g)") }
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

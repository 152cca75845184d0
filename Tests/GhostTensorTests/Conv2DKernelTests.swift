import GhostTensor
import GhostTestSupport
import XCTest

/// Checks the GEMM and depthwise convolution paths against a direct six-loop reference.
final class Conv2DKernelTests: XCTestCase {
    /// Direct convolution, written for clarity rather than speed.
    static func referenceConv(_ x: Tensor, _ w: Tensor, bias: Tensor?, stride: Int, padding: Int, groups: Int) -> Tensor {
        let (N, C, H, W) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (O, Cg, KH, KW) = (w.shape[0], w.shape[1], w.shape[2], w.shape[3])
        let OH = (H + 2 * padding - KH) / stride + 1, OW = (W + 2 * padding - KW) / stride + 1
        var y = Tensor(zeros: [N, O, OH, OW])
        let og = O / groups
        for n in 0..<N { for o in 0..<O { for oy in 0..<OH { for ox in 0..<OW {
            var s: Double = Double(bias?[o] ?? 0)
            let g = o / og
            for c in 0..<Cg { for ki in 0..<KH { for kj in 0..<KW {
                let iy = oy * stride - padding + ki, ix = ox * stride - padding + kj
                if iy >= 0 && iy < H && ix >= 0 && ix < W {
                    s += Double(x[n, g * Cg + c, iy, ix]) * Double(w[o, c, ki, kj])
                }
            } } }
            y[n, o, oy, ox] = Float(s)
        } } } }
        _ = C
        return y
    }

    struct Case { var n, c, h, w, o, k, stride, pad, groups: Int; var bias: Bool }

    static let cases: [Case] = [
        Case(n: 2, c: 5, h: 11, w: 9, o: 7, k: 3, stride: 2, pad: 1, groups: 1, bias: true),
        Case(n: 2, c: 16, h: 7, w: 7, o: 8, k: 1, stride: 1, pad: 0, groups: 1, bias: false),   // pointwise, small maps
        Case(n: 3, c: 16, h: 20, w: 20, o: 8, k: 1, stride: 1, pad: 0, groups: 1, bias: true),  // pointwise, tiled
        Case(n: 2, c: 16, h: 9, w: 9, o: 8, k: 1, stride: 2, pad: 0, groups: 1, bias: false),
        Case(n: 1, c: 3, h: 40, w: 37, o: 8, k: 7, stride: 2, pad: 3, groups: 1, bias: false),
        Case(n: 9, c: 8, h: 5, w: 5, o: 16, k: 3, stride: 1, pad: 1, groups: 1, bias: true),    // many small images
        Case(n: 2, c: 8, h: 10, w: 10, o: 12, k: 3, stride: 1, pad: 1, groups: 4, bias: true),  // grouped
        Case(n: 3, c: 8, h: 4, w: 6, o: 8, k: 3, stride: 1, pad: 1, groups: 2, bias: false),    // grouped, small maps
        Case(n: 2, c: 6, h: 13, w: 13, o: 6, k: 3, stride: 1, pad: 1, groups: 6, bias: false),  // depthwise
        Case(n: 2, c: 6, h: 13, w: 12, o: 6, k: 5, stride: 2, pad: 2, groups: 6, bias: true),
        Case(n: 2, c: 6, h: 8, w: 8, o: 12, k: 3, stride: 1, pad: 1, groups: 6, bias: false),   // multiplier 2
        Case(n: 1, c: 4, h: 3, w: 10, o: 4, k: 7, stride: 1, pad: 3, groups: 4, bias: true),   // kernel > map
        Case(n: 2, c: 4, h: 2, w: 2, o: 4, k: 5, stride: 2, pad: 2, groups: 4, bias: false),   // taps right of the padded row
        Case(n: 2, c: 3, h: 2, w: 2, o: 5, k: 5, stride: 2, pad: 2, groups: 1, bias: false),   // (GhostNet's 5×5/2 at 2×2)
        Case(n: 2, c: 3, h: 8, w: 8, o: 4, k: 3, stride: 1, pad: 0, groups: 1, bias: false),
        // Batch 1 on maps under 256 pixels: one tile, its output channels split over the workers (16 + 4 rows).
        Case(n: 1, c: 16, h: 9, w: 9, o: 20, k: 3, stride: 2, pad: 1, groups: 1, bias: true),
        Case(n: 1, c: 24, h: 7, w: 7, o: 40, k: 1, stride: 1, pad: 0, groups: 1, bias: false),
        // Stride 1, "same" padding, ≥ 256 pixels: TapGEMMKernel (no im2col).
        Case(n: 2, c: 5, h: 17, w: 19, o: 7, k: 3, stride: 1, pad: 1, groups: 1, bias: true),
        Case(n: 1, c: 3, h: 16, w: 18, o: 4, k: 5, stride: 1, pad: 2, groups: 1, bias: false),  // two shared zero columns
        Case(n: 2, c: 64, h: 40, w: 16, o: 64, k: 3, stride: 1, pad: 1, groups: 1, bias: true), // tiles, the last shorter
        Case(n: 3, c: 2, h: 23, w: 12, o: 3, k: 3, stride: 1, pad: 1, groups: 1, bias: true),   // 3 images, 2 workers
        Case(n: 1, c: 4, h: 256, w: 1, o: 2, k: 3, stride: 1, pad: 1, groups: 1, bias: false),  // one-column map
        // Smaller maps with few output channels: TapGEMMKernel with the images stacked (tiles span images).
        Case(n: 5, c: 64, h: 6, w: 7, o: 24, k: 3, stride: 1, pad: 1, groups: 1, bias: true),
        Case(n: 3, c: 4, h: 9, w: 9, o: 3, k: 5, stride: 1, pad: 2, groups: 1, bias: false),
    ]

    func testAgainstDirectReference() {
        var rng = SplitMix64(seed: 42)
        for threads in [1, 2] {
            Engine.threads = threads
            for c in Self.cases {
                let x = Tensor(gaussian: [c.n, c.c, c.h, c.w], std: 1, rng: &rng)
                let w = Tensor(gaussian: [c.o, c.c / c.groups, c.k, c.k], std: 0.5, rng: &rng)
                let b = c.bias ? Tensor(gaussian: [c.o], std: 1, rng: &rng) : nil
                let conv = Conv2D(weight: w, bias: b, stride: (c.stride, c.stride), padding: (c.pad, c.pad), groups: c.groups)
                let ref = Self.referenceConv(x, w, bias: b, stride: c.stride, padding: c.pad, groups: c.groups)
                assertClose(conv(x), ref, "\(c) threads \(threads)")
            }
        }
        Engine.threads = Engine.defaultThreads
    }

    func testFusedEpilogueMatchesSeparateOps() {
        var rng = SplitMix64(seed: 3)
        let x = Tensor(gaussian: [3, 4, 9, 9], std: 1, rng: &rng)
        let conv = Conv2D(weight: Tensor(gaussian: [6, 4, 3, 3], std: 0.5, rng: &rng), bias: Tensor(gaussian: [6], std: 1, rng: &rng),
                          stride: (1, 1), padding: (1, 1))
        let scale = Tensor(gaussian: [6], std: 1, rng: &rng), shift = Tensor(gaussian: [6], std: 1, rng: &rng)
        let residual = Tensor(gaussian: [3, 6, 9, 9], std: 1, rng: &rng)
        let fused = conv.forward(x, scale: scale, shift: shift, residual: residual, relu: true)
        let separate = Elementwise.relu(Elementwise.add(Elementwise.channelAffine(conv(x), scale: scale, shift: shift), residual))
        assertClose(fused, separate, relTol: 1e-5, "fused epilogue")
    }

    func testBatchNormFoldingEqualsConvThenBN() {
        var rng = SplitMix64(seed: 5)
        let x = Tensor(gaussian: [2, 3, 8, 8], std: 1, rng: &rng)
        let conv = Conv2D(3, 5, kernel: 3, padding: 1, rng: &rng)
        let bn = BatchNorm2D(5)
        bn.weight.value = Tensor(gaussian: [5], std: 1, rng: &rng)
        bn.bias.value = Tensor(gaussian: [5], std: 1, rng: &rng)
        bn.runningMean.value = Tensor(gaussian: [5], std: 0.3, rng: &rng)
        bn.runningVar.value = Tensor(shape: [5], values: [0.5, 1, 2, 0.1, 3])
        assertClose(bn.folded(into: conv)(x), bn(conv(x)), relTol: 1e-5, "folded BN")
    }
}

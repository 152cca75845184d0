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
        Case(n: 3, c: 16, h: 20, w: 20, o: 8, k: 1, stride: 1, pad: 0, groups: 1, bias: true),  // pointwise, per image
        // Pointwise with K = 600 over 48² pixels: one GEMM per image (the im2col tiling would have cut it in 5).
        Case(n: 2, c: 600, h: 48, w: 48, o: 20, k: 1, stride: 1, pad: 0, groups: 1, bias: true),
        Case(n: 1, c: 40, h: 17, w: 17, o: 36, k: 1, stride: 1, pad: 0, groups: 1, bias: false), // batch 1, split rows
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

    /// `conv` of `x` with `w` (stride, padding) written through `forward(… into:routing:)` into `yChannels` channels
    /// (output c at `map[c]`) with the BN scale/shift + residual + ReLU epilogue, against the direct reference; the
    /// channels not in `map` must stay untouched. `winograd`: run on those filters; `reference`: the plain conv, if
    /// already computed.
    static func checkRoutedEpilogue(
        x: Tensor, w: Tensor, stride: Int, padding: Int, map: [Int], yChannels: Int,
        winograd: WinogradKernel.Filters? = nil, reference: Tensor? = nil, rng: inout SplitMix64, _ message: String
    ) {
        let (n, o) = (x.shape[0], w.shape[0])
        let ref = reference ?? referenceConv(x, w, bias: nil, stride: stride, padding: padding, groups: 1)
        let (oh, ow) = (ref.shape[2], ref.shape[3])
        let scale = Tensor(gaussian: [o], std: 1, rng: &rng), shift = Tensor(gaussian: [o], std: 1, rng: &rng)
        let residual = Tensor(gaussian: [n, yChannels, oh, ow], std: 1, rng: &rng)
        let y = Tensor(repeating: 42, shape: [n, yChannels, oh, ow])
        let e = Epilogue(scale: UnsafePointer(scale.readPointer), shift: UnsafePointer(shift.readPointer),
                         residual: UnsafePointer(residual.readPointer), relu: true)
        Conv2DKernel.forward(x, weight: w, stride: (stride, stride), padding: (padding, padding), epilogue: e, into: y,
                             routing: ChannelRouting(outputChannels: yChannels, outputMap: map), winograd: winograd)
        var want = Tensor(repeating: 42, shape: [n, yChannels, oh, ow])
        for i in 0..<n { for k in 0..<o { for yy in 0..<oh { for xx in 0..<ow {
            want[i, map[k], yy, xx] = max(ref[i, k, yy, xx] * scale[k] + shift[k] + residual[i, map[k], yy, xx], 0)
        } } } }
        assertClose(y, want, message)
        withExtendedLifetime((scale, shift, residual)) {}
    }

    /// Output channels 0 ..< count reversed onto count + 2 channels, the middle two left out.
    static func scatteredMap(_ count: Int) -> [Int] {
        (0..<count).map { c in count - 1 - c < count / 2 ? count - 1 - c : count + 1 - c }
    }

    /// Batch 1 on maps under 256 pixels (and few tiles of a larger map at 3 workers): the tiles' output channels are
    /// split over the workers, and the im2col of each tile is made once, its channel rows spread over the workers.
    /// Odd channel counts, routed outputs (in place and scattered), the residual + ReLU epilogue, 1–3 threads.
    func testSplitTilesShareTheirIm2col() {
        defer { Engine.threads = Engine.defaultThreads }
        var rng = SplitMix64(seed: 77)
        // (Cin, H, W, Cout, k, stride, pad): ResNet's 14² → 7² and 28² → 14² stride-2 convs with odd channel counts,
        // a 7² Ghost primary 3×3, a 1×1 stride-2 downsample, and a 56² → 28² map (four tiles: split at 3 workers).
        let shapes: [(c: Int, h: Int, w: Int, o: Int, k: Int, stride: Int, pad: Int)] = [
            (37, 14, 14, 45, 3, 2, 1), (19, 28, 28, 33, 3, 2, 1), (61, 7, 7, 23, 3, 1, 1), (13, 7, 9, 50, 1, 1, 0),
            (29, 14, 13, 35, 1, 2, 0), (9, 56, 56, 40, 3, 2, 1), (5, 9, 9, 3, 3, 1, 1), (3, 5, 5, 17, 5, 2, 2),
        ]
        for threads in [1, 2, 3] {
            Engine.threads = threads
            for s in shapes {
                let x = Tensor(gaussian: [1, s.c, s.h, s.w], std: 1, rng: &rng)
                let w = Tensor(gaussian: [s.o, s.c, s.k, s.k], std: 0.5, rng: &rng)
                let b = Tensor(gaussian: [s.o], std: 1, rng: &rng)
                let conv = Conv2D(weight: w, bias: b, stride: (s.stride, s.stride), padding: (s.pad, s.pad))
                let ref = Self.referenceConv(x, w, bias: b, stride: s.stride, padding: s.pad, groups: 1)
                assertClose(conv(x), ref, "\(s) threads \(threads)")
                let label = "\(s) threads \(threads)"
                let scattered = Self.scatteredMap(s.o)
                Self.checkRoutedEpilogue(x: x, w: w, stride: s.stride, padding: s.pad, map: scattered,
                                         yChannels: s.o + 2, rng: &rng, "scattered \(label)")
                Self.checkRoutedEpilogue(x: x, w: w, stride: s.stride, padding: s.pad, map: (0..<s.o).map { $0 + 3 },
                                         yChannels: s.o + 5, rng: &rng, "contiguous \(label)")
            }
        }
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

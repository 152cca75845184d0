/// Max, average and adaptive-average pooling over NCHW tensors (forward).
public enum Pooling {
    /// Max pooling; padded positions never win (PyTorch semantics).
    public static func maxPool(_ x: Tensor, kernel: Int, stride: Int, padding: Int = 0) -> Tensor {
        let (y, N, C, H, W, OH, OW) = windowOutput(x, kernel: kernel, stride: stride, padding: padding)
        let xp = x.pointer
        let yp = y.pointer
        // Separable: the maximum over the window's rows, column by column (a vectorised pass over whole rows),
        // then over the window's columns of that row of maxima, tap by tap over the whole output row (a loop LLVM
        // vectorises; one output at a time was a scalar compare-and-blend chain, 3.5 % of Ghost-ResNet-18's forward).
        // Padding never wins: the row of maxima sits between −∞ columns (PyTorch pads with −∞).
        Engine.parallelChunks(N * C, minChunk: 16) { range in
            // (OW − 1)·stride + kernel ≤ W + 2·padding columns, padding of them −∞ on each side.
            let columnMax = Scratch(W + 2 * padding)
            let padded = columnMax.pointer
            padded.update(repeating: -.infinity, count: W + 2 * padding)
            let m = padded + padding
            for plane in range {
                let src = xp + plane * H * W
                let dst = yp + plane * OH * OW
                for oy in 0..<OH {
                    let ys = oy * stride - padding
                    let iy0 = max(ys, 0)
                    let iy1 = min(ys + kernel, H)
                    m.update(from: src + iy0 * W, count: W)
                    for iy in (iy0 + 1)..<max(iy0 + 1, iy1) {
                        let row = src + iy * W
                        for i in 0..<W { m[i] = Swift.max(m[i], row[i]) }
                    }
                    let out = dst + oy * OW
                    for ox in 0..<OW { out[ox] = padded[ox * stride] }
                    for tap in 1..<max(1, kernel) {
                        let column = padded + tap
                        for ox in 0..<OW { out[ox] = Swift.max(out[ox], column[ox * stride]) }
                    }
                }
            }
        }
        return y
    }

    /// Average pooling; `countIncludePad` divides by kernel² (PyTorch default) rather than valid taps.
    public static func avgPool(
        _ x: Tensor, kernel: Int, stride: Int, padding: Int = 0,
        countIncludePad: Bool = true
    ) -> Tensor {
        window(x, kernel: kernel, stride: stride, padding: padding) { src, W, iy0, iy1, ix0, ix1, padded in
            var s: Float = 0
            for iy in iy0..<iy1 { for ix in ix0..<ix1 { s += src[iy * W + ix] } }
            return s / (countIncludePad ? Float(padded) : Float((iy1 - iy0) * (ix1 - ix0)))
        }
    }

    /// Adaptive average pooling to `outH`×`outW` (PyTorch's floor/ceil bin edges).
    public static func adaptiveAvgPool(_ x: Tensor, outH: Int, outW: Int) -> Tensor {
        let (N, C, H, W) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let y = Tensor(uninitialized: [N, C, outH, outW])
        let xp = x.pointer
        let yp = y.pointer
        Engine.parallelChunks(N * C, minChunk: 64) { range in
            for plane in range {
                let src = xp + plane * H * W
                let dst = yp + plane * outH * outW
                for oy in 0..<outH {
                    let y0 = (oy * H) / outH
                    let y1 = ((oy + 1) * H + outH - 1) / outH
                    for ox in 0..<outW {
                        let x0 = (ox * W) / outW
                        let x1 = ((ox + 1) * W + outW - 1) / outW
                        var s: Float = 0
                        for iy in y0..<y1 { for ix in x0..<x1 { s += src[iy * W + ix] } }
                        dst[oy * outW + ox] = s / Float((y1 - y0) * (x1 - x0))
                    }
                }
            }
        }
        return y
    }

    /// Global average pooling [N, C, H, W] → [N, C] (the fast path of adaptive pooling to 1×1).
    public static func globalAvgPool(_ x: Tensor) -> Tensor {
        let (N, C, HW) = (x.shape[0], x.shape[1], x.shape[2] * x.shape[3])
        let y = Tensor(uninitialized: [N, C])
        let xp = x.pointer
        let yp = y.pointer
        let inv = 1 / Float(HW)
        for plane in 0..<(N * C) { yp[plane] = Reduction.sum(xp + plane * HW, count: HW) * inv }
        return y
    }

    /// Records a pooling layer in a profile and returns its output shape.
    static func profile(
        _ input: [Int], kernel: Int, stride: Int, padding: Int, kind: String, _ profiler: inout Profiler
    ) -> [Int] {
        let out = [
            input[0], input[1], outputSize(input[2], kernel: kernel, stride: stride, padding: padding),
            outputSize(input[3], kernel: kernel, stride: stride, padding: padding),
        ]
        profiler.record(kind: kind, output: out, params: 0, macs: 0)
        return out
    }

    /// Output size of a pooling window along one axis.
    public static func outputSize(_ size: Int, kernel: Int, stride: Int, padding: Int) -> Int {
        (size + 2 * padding - kernel) / stride + 1
    }

    /// The output of a pooling window over NCHW `x`, with the input and output sizes.
    private static func windowOutput(
        _ x: Tensor, kernel: Int, stride: Int, padding: Int
    )
        -> (y: Tensor, n: Int, c: Int, h: Int, w: Int, oh: Int, ow: Int)
    {
        precondition(x.rank == 4, "pooling expects NCHW input")
        let (N, C, H, W) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let OH = outputSize(H, kernel: kernel, stride: stride, padding: padding)
        let OW = outputSize(W, kernel: kernel, stride: stride, padding: padding)
        precondition(OH > 0 && OW > 0, "pooling window larger than input \(x.shape)")
        return (Tensor(uninitialized: [N, C, OH, OW]), N, C, H, W, OH, OW)
    }

    /// Shared sliding-window driver: `reduce(plane, W, iy0, iy1, ix0, ix1, paddedArea)` gives one output.
    private static func window(
        _ x: Tensor, kernel: Int, stride: Int, padding: Int,
        _ reduce: (UnsafePointer<Float>, Int, Int, Int, Int, Int, Int) -> Float
    ) -> Tensor {
        let (y, N, C, H, W, OH, OW) = windowOutput(x, kernel: kernel, stride: stride, padding: padding)
        let xp = x.pointer
        let yp = y.pointer
        withoutActuallyEscaping(reduce) { reduce in
            Engine.parallelChunks(N * C, minChunk: 16) { range in
                for plane in range {
                    let src = UnsafePointer(xp + plane * H * W)
                    let dst = yp + plane * OH * OW
                    for oy in 0..<OH {
                        let ys = oy * stride - padding
                        let ye = min(ys + kernel, H + padding)
                        let iy0 = max(ys, 0)
                        let iy1 = min(ye, H)
                        for ox in 0..<OW {
                            let xs = ox * stride - padding
                            let xe = min(xs + kernel, W + padding)
                            let ix0 = max(xs, 0)
                            let ix1 = min(xe, W)
                            dst[oy * OW + ox] = reduce(src, W, iy0, iy1, ix0, ix1, (ye - ys) * (xe - xs))
                        }
                    }
                }
            }
        }
        return y
    }
}

/// Gradients of the pooling operations.
public enum PoolingBackward {
    /// dX of max pooling: each window's gradient goes to its (first) maximum, as in PyTorch.
    public static func maxPool(x: Tensor, gradOutput gy: Tensor, kernel: Int, stride: Int, padding: Int) -> Tensor {
        let (H, W) = (x.shape[2], x.shape[3])
        let gx = Tensor(zeros: x.shape)
        let xp = x.readPointer
        let gyp = gy.readPointer
        let gxp = gx.pointer
        let window = Window(H: H, W: W, OH: gy.shape[2], OW: gy.shape[3], kernel: kernel, stride: stride,
                            padding: padding)
        window.forEach(planes: x.shape[0] * x.shape[1]) { plane, o, rows, columns in
            let src = xp + plane * H * W
            var best = -Float.infinity
            var at = -1
            for iy in rows {
                for ix in columns where src[iy * W + ix] > best || at < 0 {
                    best = src[iy * W + ix]
                    at = iy * W + ix
                }
            }
            if at >= 0 { gxp[plane * H * W + at] += gyp[plane * window.OH * window.OW + o] }
        }
        return gx
    }

    /// dX of average pooling with count_include_pad = true.
    public static func avgPool(
        inputShape: [Int], gradOutput gy: Tensor, kernel: Int, stride: Int, padding: Int
    ) -> Tensor {
        let (H, W) = (inputShape[2], inputShape[3])
        let gx = Tensor(zeros: inputShape)
        let gyp = gy.readPointer
        let gxp = gx.pointer
        let inv = 1 / Float(kernel * kernel)
        let window = Window(H: H, W: W, OH: gy.shape[2], OW: gy.shape[3], kernel: kernel, stride: stride,
                            padding: padding)
        window.forEach(planes: inputShape[0] * inputShape[1]) { plane, o, rows, columns in
            let dsrc = gxp + plane * H * W
            let g = gyp[plane * window.OH * window.OW + o] * inv
            for iy in rows { for ix in columns { dsrc[iy * W + ix] += g } }
        }
        return gx
    }

    /// The pooling windows of an H×W map (OH×OW outputs), clipped to the unpadded map.
    struct Window {
        let H: Int, W: Int, OH: Int, OW: Int, kernel: Int, stride: Int, padding: Int

        /// Calls `body(plane, o, rows, columns)` for every output o = oy·OW + ox of every plane (planes in
        /// parallel; each writes only inside its own plane).
        func forEach(planes: Int, _ body: (Int, Int, Range<Int>, Range<Int>) -> Void) {
            Engine.parallelChunks(planes, minChunk: 16) { range in
                for plane in range {
                    for oy in 0..<OH {
                        let rows = max(oy * stride - padding, 0)..<min(oy * stride - padding + kernel, H)
                        for ox in 0..<OW {
                            let columns = max(ox * stride - padding, 0)..<min(ox * stride - padding + kernel, W)
                            body(plane, oy * OW + ox, rows, columns)
                        }
                    }
                }
            }
        }
    }

    /// dX of global average pooling: dY/(H·W) broadcast over each map.
    public static func globalAvgPool(inputShape: [Int], gradOutput gy: Tensor) -> Tensor {
        let HW = inputShape[2] * inputShape[3]
        let gx = Tensor(uninitialized: inputShape)
        let inv = 1 / Float(HW)
        for plane in 0..<(inputShape[0] * inputShape[1]) {
            let v = gy.pointer[plane] * inv
            (gx.pointer + plane * HW).update(repeating: v, count: HW)
        }
        return gx
    }
}

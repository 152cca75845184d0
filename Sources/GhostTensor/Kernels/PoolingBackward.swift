/// Gradients of the pooling operations.
public enum PoolingBackward {
    /// dX of max pooling: each window's gradient goes to its (first) maximum, as in PyTorch.
    public static func maxPool(x: Tensor, gradOutput gy: Tensor, kernel: Int, stride: Int, padding: Int) -> Tensor {
        let (N, C, H, W) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (OH, OW) = (gy.shape[2], gy.shape[3])
        let gx = Tensor(zeros: x.shape)
        let xp = x.pointer
        let gyp = gy.pointer
        let gxp = gx.pointer
        Engine.parallelChunks(N * C, minChunk: 16) { range in
            for plane in range {
                let src = xp + plane * H * W
                let dsrc = gxp + plane * H * W
                let dout = gyp + plane * OH * OW
                for oy in 0..<OH {
                    let iy0 = max(oy * stride - padding, 0)
                    let iy1 = min(oy * stride - padding + kernel, H)
                    for ox in 0..<OW {
                        let ix0 = max(ox * stride - padding, 0)
                        let ix1 = min(ox * stride - padding + kernel, W)
                        var best = -Float.infinity
                        var at = -1
                        for iy in iy0..<iy1 {
                            for ix in ix0..<ix1 where src[iy * W + ix] > best || at < 0 {
                                best = src[iy * W + ix]
                                at = iy * W + ix
                            }
                        }
                        if at >= 0 { dsrc[at] += dout[oy * OW + ox] }
                    }
                }
            }
        }
        return gx
    }

    /// dX of average pooling with count_include_pad = true.
    public static func avgPool(
        inputShape: [Int], gradOutput gy: Tensor, kernel: Int, stride: Int, padding: Int
    ) -> Tensor {
        let (N, C, H, W) = (inputShape[0], inputShape[1], inputShape[2], inputShape[3])
        let (OH, OW) = (gy.shape[2], gy.shape[3])
        let gx = Tensor(zeros: inputShape)
        let inv = 1 / Float(kernel * kernel)
        for plane in 0..<(N * C) {
            let dsrc = gx.pointer + plane * H * W
            let dout = gy.pointer + plane * OH * OW
            for oy in 0..<OH {
                let iy0 = max(oy * stride - padding, 0)
                let iy1 = min(oy * stride - padding + kernel, H)
                for ox in 0..<OW {
                    let ix0 = max(ox * stride - padding, 0)
                    let ix1 = min(ox * stride - padding + kernel, W)
                    let g = dout[oy * OW + ox] * inv
                    for iy in iy0..<iy1 { for ix in ix0..<ix1 { dsrc[iy * W + ix] += g } }
                }
            }
        }
        return gx
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

/// Gradients of the element-wise and channel operations.
public enum ElementwiseBackward {
    /// dX of ReLU given its output y (dY where y > 0).
    public static func relu(output y: Tensor, gradOutput gy: Tensor) -> Tensor {
        Elementwise.map(y, gy, minChunk: 1 << 16) { yp, gp, xp, r in for i in r { xp[i] = yp[i] > 0 ? gp[i] : 0 } }
    }

    /// dX of `Elementwise.padChannels`: the middle channels of dY.
    public static func padChannels(gradOutput gy: Tensor, before: Int, channels: Int) -> Tensor {
        Elementwise.sliceChannels(gy, start: before, count: channels)
    }

    /// dX of `Elementwise.subsample`: dY scattered to every s-th pixel of a zero map.
    public static func subsample(inputShape: [Int], gradOutput gy: Tensor, stride s: Int) -> Tensor {
        let (H, W) = (inputShape[2], inputShape[3])
        let (OH, OW) = (gy.shape[2], gy.shape[3])
        let gx = Tensor(zeros: inputShape)
        for plane in 0..<(inputShape[0] * inputShape[1]) {
            let src = gy.pointer + plane * OH * OW, dst = gx.pointer + plane * H * W
            for oy in 0..<OH { for ox in 0..<OW { dst[oy * s * W + ox * s] = src[oy * OW + ox] } }
        }
        return gx
    }

    /// dX of `Elementwise.concatChannels`: dY split back into the parts' channel counts.
    /// Backward of `Elementwise.gatherChannels`: the gradient of each part (channels never gathered get 0,
    /// channels gathered twice get the sum).
    public static func gatherChannels(gradOutput gy: Tensor, channels: [Int], index: [Int]) -> [Tensor] {
        let N = gy.shape[0], spatial = Array(gy.shape.dropFirst(2)), HW = spatial.reduce(1, *)
        let grads = channels.map { Tensor(zeros: [N, $0] + spatial) }
        var source: [(part: Int, channel: Int)] = []
        for (i, c) in channels.enumerated() { for ch in 0..<c { source.append((i, ch)) } }
        for n in 0..<N {
            for (c, k) in index.enumerated() {
                let (i, ch) = source[k]
                let dst = grads[i].pointer + (n * channels[i] + ch) * HW, src = gy.pointer + (n * index.count + c) * HW
                for j in 0..<HW { dst[j] += src[j] }
            }
        }
        return grads
    }

    public static func concatChannels(gradOutput gy: Tensor, channels: [Int]) -> [Tensor] {
        var start = 0
        return channels.map { c in defer { start += c }; return Elementwise.sliceChannels(gy, start: start, count: c) }
    }

    /// dX of `Elementwise.sliceChannels`: dY placed back among zero channels.
    public static func sliceChannels(gradOutput gy: Tensor, inputChannels: Int, start: Int) -> Tensor {
        Elementwise.padChannels(gy, before: start, after: inputChannels - start - gy.shape[1])
    }
}

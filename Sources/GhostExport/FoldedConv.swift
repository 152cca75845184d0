import GhostModels
import GhostTensor

/// An inference-time convolution with its BatchNorm folded in: W′[o] = W[o]·γ[o]/√(σ²[o] + ε) and
/// b′[o] = (b[o] − μ[o])·γ[o]/√(σ²[o] + ε) + β[o] (b = 0 for bias-free convs), the same per-channel affine that
/// `BatchNorm2D.inferenceScaleShift` gives GhostKit's fused eval path.
public struct FoldedConv {
    /// [out, in/groups, kh, kw], row-major.
    public var weight: [Float]
    public var shape: [Int]
    public var bias: [Float]
    public let stride: (Int, Int)
    public let padding: (Int, Int)
    public let groups: Int

    public var outChannels: Int { shape[0] }
    public var inChannels: Int { shape[1] * groups }

    /// `conv` followed by `bn` (nil: the conv alone, its bias or zeros).
    public init(_ conv: Conv2D, _ bn: BatchNorm2D? = nil) {
        shape = conv.weight.shape
        weight = conv.weight.value.scalars
        stride = conv.stride
        padding = conv.padding
        groups = conv.groups
        let outC = shape[0]
        let per = weight.count / max(outC, 1)
        var b = conv.bias?.value.scalars ?? [Float](repeating: 0, count: outC)
        if let bn {
            let (scale, shift) = bn.inferenceScaleShift()
            let s = scale.scalars
            let t = shift.scalars
            for o in 0..<outC {
                for i in 0..<per { weight[o * per + i] *= s[o] }
                b[o] = b[o] * s[o] + t[o]
            }
        }
        bias = b
    }

    /// Folds a channel map on the input into the weights (dense convs only): when the input this conv reads is
    /// x[c] = source[map[c]] for c in 0..<inChannels, the same output comes from the `sourceChannels`-channel
    /// source with W″[:, j] = Σ_{c: map[c] = j} W[:, c]. Exact for any map (repeats, cuts, permutations),
    /// since convolution is linear in its input channels and zero padding commutes with the map.
    public func readingThrough(map: [Int], sourceChannels: Int) -> FoldedConv {
        precondition(groups == 1 && map.count == inChannels, "channel-map folding needs a dense conv over the map")
        let outC = shape[0]
        let k = shape[2] * shape[3]
        var w = [Float](repeating: 0, count: outC * sourceChannels * k)
        for o in 0..<outC {
            for (c, j) in map.enumerated() {
                let src = (o * inChannels + c) * k
                let dst = (o * sourceChannels + j) * k
                for t in 0..<k { w[dst + t] += weight[src + t] }
            }
        }
        var folded = self
        folded.weight = w
        folded.shape = [outC, sourceChannels, shape[2], shape[3]]
        return folded
    }
}

/// Where a convolution reads its input planes and writes its output planes inside larger NCHW tensors.
/// A Ghost module in eval mode uses it to write its primary and cheap branches straight into the module's
/// output in the order its `output_index` asks for, instead of concatenating and gathering afterwards.
public struct ChannelRouting {
    /// Channels per image of the tensor written.
    public var outputChannels: Int
    /// Destination channel of each output channel of the convolution; −1: not computed (depthwise only).
    public var outputMap: [Int]
    /// Channels per image of the tensor read and the channel holding each input channel of the convolution
    /// (depthwise only); nil: the input tensor is the convolution's own input.
    public var input: (channels: Int, map: [Int])?

    public init(outputChannels: Int, outputMap: [Int], input: (channels: Int, map: [Int])? = nil) {
        self.outputChannels = outputChannels; self.outputMap = outputMap; self.input = input
    }

    /// Whether the output map is `base, base+1, …` (then a GEMM writes its result in place).
    var contiguousOutputBase: Int? {
        guard let base = outputMap.first, base >= 0 else { return nil }
        for (c, d) in outputMap.enumerated() where d != base + c { return nil }
        return base
    }
}

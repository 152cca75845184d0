import GhostTensor

/// Conv (no bias) → BN → activation, the official GhostNet's `ConvBnAct` (names `conv`, `bn1`, `act1`).
public final class ConvBnAct: Module {
    public let conv: Conv2D
    public let bn: BatchNorm2D
    public let act: Activation

    public init(
        _ inChannels: Int, _ outChannels: Int, kernel: Int, stride: Int = 1, activation: Activation.Kind,
        rng: inout SplitMix64
    ) {
        conv = Conv2D(inChannels, outChannels, kernel: kernel, stride: stride, padding: kernel / 2, rng: &rng)
        bn = BatchNorm2D(outChannels)
        act = Activation(activation)
    }

    public override var children: [(String, Module)] { [("conv", conv), ("bn1", bn), ("act1", act)] }

    public override func forward(_ x: Tensor) -> Tensor {
        if act.kind == .relu && !training { return convBN(conv, bn, x, relu: true) }
        return act(bn(conv(x)))
    }

    public override func backward(_ gradOutput: Tensor) -> Tensor {
        conv.backward(bn.backward(act.backward(gradOutput)))
    }

    public override func profile(_ input: [Int], _ profiler: inout Profiler) -> [Int] {
        let s = profiler.nest("conv") { conv.profile(input, &$0) }
        return profiler.nest("bn1") { bn.profile(s, &$0) }
    }
}

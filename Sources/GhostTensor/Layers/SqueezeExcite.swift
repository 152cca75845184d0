/// Squeeze-and-excitation as in the official GhostNet (`SqueezeExcite`): global average pool → 1×1 conv to
/// r = makeDivisible(C·ratio, 4) channels (bias) → ReLU → 1×1 conv back to C (bias) → gate → x · gate.
/// Names: `conv_reduce.weight/bias`, `conv_expand.weight/bias`.
public final class SqueezeExcite: Module {
    public let convReduce: Conv2D, convExpand: Conv2D
    let act = Activation(.relu)
    /// hard-sigmoid (the official default) or sigmoid.
    public let gate: Activation
    public let ratio: Double
    private var saved: (x: Tensor, gate: Tensor)?

    public var channels: Int { convExpand.outChannels }

    /// Reduced channel count for C channels and `ratio`; an error when the ratio is not in (0, 1] or C·ratio < 1
    /// (no channel would be left before rounding up to the divisor).
    public static func reducedChannels(_ channels: Int, ratio: Double) throws -> Int {
        guard ratio > 0, ratio <= 1 else { throw GhostError("SE ratio must be in (0, 1], got \(ratio)") }
        guard Double(channels) * ratio >= 1 else {
            throw GhostError("SE ratio \(ratio) leaves zero channels of \(channels) (need ratio ≥ 1/\(channels))")
        }
        return makeDivisible(Double(channels) * ratio, 4)
    }

    /// `gate` must be .hardSigmoid or .sigmoid; the ratio must pass `reducedChannels`.
    public init(channels: Int, ratio: Double = 0.25, gate: Activation.Kind = .hardSigmoid, rng: inout SplitMix64) {
        precondition(
            gate == .hardSigmoid || gate == .sigmoid, "SE gate must be hard-sigmoid or sigmoid, got \(gate.rawValue)")
        guard let r = try? Self.reducedChannels(channels, ratio: ratio) else {
            preconditionFailure("SE ratio \(ratio) for \(channels) channels")
        }
        convReduce = Conv2D(channels, r, kernel: 1, bias: true, rng: &rng)
        convExpand = Conv2D(r, channels, kernel: 1, bias: true, rng: &rng)
        self.gate = Activation(gate)
        self.ratio = ratio
    }

    /// The activations are children too (no parameters) so that `train(_:)` reaches them.
    public override var children: [(String, Module)] {
        [("conv_reduce", convReduce), ("act1", act), ("conv_expand", convExpand), ("gate", gate)]
    }

    public override func forward(_ x: Tensor) -> Tensor {
        let N = x.shape[0]
        let C = x.shape[1]
        let squeezed = Pooling.globalAvgPool(x).reshaped([N, C, 1, 1])
        let g = gate(convExpand(act(convReduce(squeezed))))
        if training { saved = (x, g) }
        return ChannelGate.apply(x, gate: g)
    }

    public override func backward(_ gradOutput: Tensor) -> Tensor {
        guard let (x, g) = saved else { preconditionFailure("SqueezeExcite.backward without a training-mode forward") }
        saved = nil
        let (gx, gg) = ChannelGate.backward(x: x, gate: g, gradOutput: gradOutput)
        let gs = convReduce.backward(act.backward(convExpand.backward(gate.backward(gg))))
        let N = x.shape[0]
        let C = x.shape[1]
        return Elementwise.add(gx, PoolingBackward.globalAvgPool(inputShape: x.shape, gradOutput: gs.reshaped([N, C])))
    }

    /// The two 1×1 convs at 1×1 (the pool and the multiply count no MACs, as BN and ReLU do not).
    public override func profile(_ input: [Int], _ profiler: inout Profiler) -> [Int] {
        let s = [input[0], input[1], 1, 1]
        let r = profiler.nest("conv_reduce") { convReduce.profile(s, &$0) }
        _ = profiler.nest("conv_expand") { convExpand.profile(r, &$0) }
        return input
    }
}

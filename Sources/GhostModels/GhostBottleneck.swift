import GhostTensor

/// Channel attention inside a Ghost bottleneck: none, squeeze-and-excitation (reduction ratio, gate) or ECA.
public enum Attention: Equatable {
    case none
    case se(ratio: Double, gate: Activation.Kind)
    case eca

    /// The official GhostNet's SE: ratio 0.25, hard-sigmoid gate.
    public static let officialSE = Attention.se(ratio: 0.25, gate: .hardSigmoid)
}

/// GhostNet's G-bneck (paper Fig. 3, official `GhostBottleneck`): Ghost module (expansion, ReLU) → depthwise k×k
/// stride-s conv + BN when s > 1 → optional attention → Ghost module (projection, no ReLU), + shortcut: identity
/// when the shape is kept, else depthwise k×k stride-s conv + BN + 1×1 conv + BN. Ghost modules: 1×1 primary
/// conv, ratio 2, 3×3 cheap operation. Names: ghost1, conv_dw, bn_dw, se (or eca), ghost2, shortcut.0…3.
public final class GhostBottleneck: Module {
    public let ghost1: GhostModule, ghost2: GhostModule
    public let convDW: Conv2D?, bnDW: BatchNorm2D?
    /// SqueezeExcite ("se") or ECA ("eca"), if any.
    public let attention: Module?
    /// Depthwise conv, BN, 1×1 conv, BN; nil for the identity.
    public let shortcut: Sequential?
    public let stride: Int

    public init(
        inChannels: Int, midChannels: Int, outChannels: Int, kernel: Int, stride: Int, attention: Attention,
        rng: inout SplitMix64
    ) {
        precondition(stride == 1 || stride == 2, "Ghost bottleneck stride must be 1 or 2")
        self.stride = stride
        ghost1 = GhostModule(
            inChannels, midChannels, kernel: 1, s: 2, d: 3, relu: true, storesOutputIndex: false, rng: &rng)
        if stride > 1 {
            convDW = Conv2D(
                midChannels, midChannels, kernel: kernel, stride: stride, padding: (kernel - 1) / 2,
                groups: midChannels, rng: &rng)
            bnDW = BatchNorm2D(midChannels)
        } else {
            convDW = nil
            bnDW = nil
        }
        switch attention {
        case .none: self.attention = nil
        case .se(let ratio, let gate):
            self.attention = SqueezeExcite(channels: midChannels, ratio: ratio, gate: gate, rng: &rng)
        case .eca: self.attention = ECA(channels: midChannels, rng: &rng)
        }
        ghost2 = GhostModule(
            midChannels, outChannels, kernel: 1, s: 2, d: 3, relu: false, storesOutputIndex: false, rng: &rng
        )
        if inChannels == outChannels && stride == 1 {
            shortcut = nil
        } else {
            shortcut = Sequential([
                Conv2D(
                    inChannels, inChannels, kernel: kernel, stride: stride, padding: (kernel - 1) / 2,
                    groups: inChannels, rng: &rng),
                BatchNorm2D(inChannels),
                Conv2D(inChannels, outChannels, kernel: 1, rng: &rng),
                BatchNorm2D(outChannels),
            ])
        }
    }

    private var attentionName: String { attention is ECA ? "eca" : "se" }

    public override var children: [(String, Module)] {
        var out: [(String, Module)] = [("ghost1", ghost1)]
        if let c = convDW, let b = bnDW { out += [("conv_dw", c), ("bn_dw", b)] }
        if let a = attention { out.append((attentionName, a)) }
        out.append(("ghost2", ghost2))
        if let s = shortcut { out.append(("shortcut", s)) }
        return out
    }

    /// The shortcut's output (conv + BN fused in eval mode).
    private func shortcutPath(_ x: Tensor) -> Tensor {
        guard let s = shortcut, let dw = s.layers[0] as? Conv2D, let bn0 = s.layers[1] as? BatchNorm2D,
            let pw = s.layers[2] as? Conv2D, let bn1 = s.layers[3] as? BatchNorm2D
        else { return x }
        return convBN(pw, bn1, convBN(dw, bn0, x, relu: false), relu: false)
    }

    public override func forward(_ x: Tensor) -> Tensor {
        var y = ghost1(x)
        if let c = convDW, let b = bnDW { y = convBN(c, b, y, relu: false) }
        if let a = attention { y = a(y) }
        return ghost2.forward(y, residual: shortcutPath(x), reluAfterResidual: false)
    }

    public override func backward(_ gradOutput: Tensor) -> Tensor {
        var g = ghost2.backward(gradOutput)
        if let a = attention { g = a.backward(g) }
        if let c = convDW, let b = bnDW { g = c.backward(b.backward(g)) }
        g = ghost1.backward(g)
        return Elementwise.add(g, shortcut?.backward(gradOutput) ?? gradOutput)
    }

    public override func profile(_ input: [Int], _ profiler: inout Profiler) -> [Int] {
        var shape = profiler.nest("ghost1") { ghost1.profile(input, &$0) }
        if let c = convDW, let b = bnDW {
            shape = profiler.nest("conv_dw") { c.profile(shape, &$0) }
            shape = profiler.nest("bn_dw") { b.profile(shape, &$0) }
        }
        if let a = attention { shape = profiler.nest(attentionName) { a.profile(shape, &$0) } }
        shape = profiler.nest("ghost2") { ghost2.profile(shape, &$0) }
        if let s = shortcut { _ = profiler.nest("shortcut") { s.profile(input, &$0) } }
        profiler.record(kind: "add", output: shape, params: 0, macs: 0)
        return shape
    }
}

import GhostTensor

/// BasicBlock with both convs (and a projection shortcut) replaced by Ghost modules:
/// ghost 3×3 (stride, BN, ReLU) → ghost 3×3 (BN), + shortcut, ReLU. Names: conv1.*, conv2.*, downsample.0.*.
public final class GhostResNetBasicBlock: Module, GhostResidualBlock {
    public let conv1: GhostModule, conv2: GhostModule
    /// The identity path (read by exporters).
    public let shortcut: ShortcutPath

    /// `name` ("layer2.0") looks up per-conv ratios in `g`.
    public init(
        inChannels: Int, planes: Int, stride: Int, shortcut style: Shortcut, ghost g: GhostSettings, name: String = "",
        rng: inout SplitMix64
    ) {
        let (r1, r2) = (g.ratio(conv: name + ".conv1"), g.ratio(conv: name + ".conv2"))
        conv1 = GhostModule(
            inChannels, planes, kernel: 3, stride: stride, padding: 1, s: r1.s, d: r1.d, relu: true,
            rng: &rng)
        conv2 = GhostModule(planes, planes, kernel: 3, padding: 1, s: r2.s, d: r2.d, relu: false, rng: &rng)
        shortcut = ShortcutPath(
            inChannels: inChannels, outChannels: planes, stride: stride, style: style, ghost: g,
            ratio: g.ratio(conv: name + ".downsample"), rng: &rng)
    }

    public override var children: [(String, Module)] { [("conv1", conv1), ("conv2", conv2)] + shortcut.children }

    /// The Ghost modules by the name of the conv each replaces ("downsample": the projection).
    public var ghostUnits: [(name: String, module: GhostModule)] {
        [("conv1", conv1), ("conv2", conv2)] + (shortcut.ghostProjection.map { [("downsample", $0)] } ?? [])
    }

    private var saved: Tensor?

    public override func forward(_ x: Tensor) -> Tensor {
        let y = conv2.forward(conv1(x), residual: shortcut(x), reluAfterResidual: true)
        if training { saved = y }
        return y
    }

    public override func backward(_ gradOutput: Tensor) -> Tensor {
        guard let y = saved else {
            preconditionFailure("GhostResNetBasicBlock.backward without a training-mode forward")
        }
        saved = nil
        let g = ElementwiseBackward.relu(output: y, gradOutput: gradOutput)
        return Elementwise.add(conv1.backward(conv2.backward(g)), shortcut.backward(g))
    }

    public override func profile(_ input: [Int], _ profiler: inout Profiler) -> [Int] {
        shortcut.profileBlock(main: [("conv1", conv1), ("conv2", conv2)], input, &profiler)
    }
}

/// Bottleneck with its three convs (and a projection shortcut) replaced by Ghost modules:
/// ghost 1×1 (ReLU) → ghost 3×3 (stride, ReLU) → ghost 1×1 (×4, no ReLU), + shortcut, ReLU.
public final class GhostResNetBottleneck: Module, GhostResidualBlock {
    public let conv1: GhostModule, conv2: GhostModule, conv3: GhostModule
    /// The identity path (read by exporters).
    public let shortcut: ShortcutPath

    /// `name` ("layer2.0") looks up per-conv ratios in `g`.
    public init(
        inChannels: Int, planes: Int, stride: Int, shortcut style: Shortcut, ghost g: GhostSettings, name: String = "",
        rng: inout SplitMix64
    ) {
        let r = ["conv1", "conv2", "conv3"].map { g.ratio(conv: name + "." + $0) }
        conv1 = GhostModule(inChannels, planes, kernel: 1, s: r[0].s, d: r[0].d, relu: true, rng: &rng)
        conv2 = GhostModule(
            planes, planes, kernel: 3, stride: stride, padding: 1, s: r[1].s, d: r[1].d, relu: true,
            rng: &rng)
        conv3 = GhostModule(
            planes, planes * Bottleneck.expansion, kernel: 1, s: r[2].s, d: r[2].d, relu: false, rng: &rng)
        shortcut = ShortcutPath(
            inChannels: inChannels, outChannels: planes * Bottleneck.expansion, stride: stride, style: style,
            ghost: g, ratio: g.ratio(conv: name + ".downsample"), rng: &rng)
    }

    public override var children: [(String, Module)] {
        [("conv1", conv1), ("conv2", conv2), ("conv3", conv3)] + shortcut.children
    }

    /// The Ghost modules by the name of the conv each replaces ("downsample": the projection).
    public var ghostUnits: [(name: String, module: GhostModule)] {
        [("conv1", conv1), ("conv2", conv2), ("conv3", conv3)]
            + (shortcut.ghostProjection.map { [("downsample", $0)] } ?? [])
    }

    private var saved: Tensor?

    public override func forward(_ x: Tensor) -> Tensor {
        let y = conv3.forward(conv2(conv1(x)), residual: shortcut(x), reluAfterResidual: true)
        if training { saved = y }
        return y
    }

    public override func backward(_ gradOutput: Tensor) -> Tensor {
        guard let y = saved else {
            preconditionFailure("GhostResNetBottleneck.backward without a training-mode forward")
        }
        saved = nil
        let g = ElementwiseBackward.relu(output: y, gradOutput: gradOutput)
        return Elementwise.add(conv1.backward(conv2.backward(conv3.backward(g))), shortcut.backward(g))
    }

    public override func profile(_ input: [Int], _ profiler: inout Profiler) -> [Int] {
        shortcut.profileBlock(main: [("conv1", conv1), ("conv2", conv2), ("conv3", conv3)], input, &profiler)
    }
}

import GhostTensor

/// A residual block whose convs (and projection shortcut) are Ghost modules: the modules in order, the last one
/// adding the shortcut before its ReLU. GhostResNetBasicBlock and GhostResNetBottleneck only choose the modules.
public class GhostResNetBlock: Module, GhostResidualBlock {
    /// The main path's Ghost modules by state-dict name ("conv1", "conv2", …), applied in order.
    public let chain: [(name: String, module: GhostModule)]
    /// The identity path (read by exporters).
    public let shortcut: ShortcutPath
    private var saved: Tensor?

    init(chain: [(name: String, module: GhostModule)], shortcut: ShortcutPath) {
        (self.chain, self.shortcut) = (chain, shortcut)
    }

    public override var children: [(String, Module)] { chain.map { ($0.name, $0.module) } + shortcut.children }

    /// The Ghost modules by the name of the conv each replaces ("downsample": the projection).
    public var ghostUnits: [(name: String, module: GhostModule)] {
        chain + (shortcut.ghostProjection.map { [("downsample", $0)] } ?? [])
    }

    public override func forward(_ x: Tensor) -> Tensor {
        var h = x
        for (_, m) in chain.dropLast() { h = m(h) }
        let y = chain[chain.count - 1].module.forward(h, residual: shortcut(x), reluAfterResidual: true)
        if training { saved = y }
        return y
    }

    public override func backward(_ gradOutput: Tensor) -> Tensor {
        guard let y = saved else { preconditionFailure("\(type(of: self)).backward without a training-mode forward") }
        saved = nil
        let g = ElementwiseBackward.relu(output: y, gradOutput: gradOutput)
        var gh = g
        for (_, m) in chain.reversed() { gh = m.backward(gh) }
        return Elementwise.add(gh, shortcut.backward(g))
    }

    public override func profile(_ input: [Int], _ profiler: inout Profiler) -> [Int] {
        shortcut.profileBlock(main: chain.map { ($0.name, $0.module as Module) }, input, &profiler)
    }
}

/// BasicBlock with both convs (and a projection shortcut) replaced by Ghost modules:
/// ghost 3×3 (stride, BN, ReLU) → ghost 3×3 (BN), + shortcut, ReLU. Names: conv1.*, conv2.*, downsample.0.*.
public final class GhostResNetBasicBlock: GhostResNetBlock {
    public let conv1: GhostModule, conv2: GhostModule

    /// `name` ("layer2.0") looks up per-conv ratios in `g`.
    public init(
        inChannels: Int, planes: Int, stride: Int, shortcut style: Shortcut, ghost g: GhostSettings, name: String = "",
        rng: inout SplitMix64
    ) {
        let (r1, r2) = (g.ratio(conv: name + ".conv1"), g.ratio(conv: name + ".conv2"))
        conv1 = GhostModule(
            inChannels, planes, kernel: 3, stride: stride, padding: 1, s: r1.s, d: r1.d, relu: true, rng: &rng)
        conv2 = GhostModule(planes, planes, kernel: 3, padding: 1, s: r2.s, d: r2.d, relu: false, rng: &rng)
        let shortcut = ShortcutPath(
            inChannels: inChannels, outChannels: planes, stride: stride, style: style, ghost: g,
            ratio: g.ratio(conv: name + ".downsample"), rng: &rng)
        super.init(chain: [("conv1", conv1), ("conv2", conv2)], shortcut: shortcut)
    }
}

/// Bottleneck with its three convs (and a projection shortcut) replaced by Ghost modules:
/// ghost 1×1 (ReLU) → ghost 3×3 (stride, ReLU) → ghost 1×1 (×4, no ReLU), + shortcut, ReLU.
public final class GhostResNetBottleneck: GhostResNetBlock {
    public let conv1: GhostModule, conv2: GhostModule, conv3: GhostModule

    /// `name` ("layer2.0") looks up per-conv ratios in `g`.
    public init(
        inChannels: Int, planes: Int, stride: Int, shortcut style: Shortcut, ghost g: GhostSettings, name: String = "",
        rng: inout SplitMix64
    ) {
        let r = ["conv1", "conv2", "conv3"].map { g.ratio(conv: name + "." + $0) }
        conv1 = GhostModule(inChannels, planes, kernel: 1, s: r[0].s, d: r[0].d, relu: true, rng: &rng)
        conv2 = GhostModule(
            planes, planes, kernel: 3, stride: stride, padding: 1, s: r[1].s, d: r[1].d, relu: true, rng: &rng)
        conv3 = GhostModule(
            planes, planes * Bottleneck.expansion, kernel: 1, s: r[2].s, d: r[2].d, relu: false, rng: &rng)
        let shortcut = ShortcutPath(
            inChannels: inChannels, outChannels: planes * Bottleneck.expansion, stride: stride, style: style,
            ghost: g, ratio: g.ratio(conv: name + ".downsample"), rng: &rng)
        super.init(chain: [("conv1", conv1), ("conv2", conv2), ("conv3", conv3)], shortcut: shortcut)
    }
}

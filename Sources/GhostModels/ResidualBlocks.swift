import GhostTensor

/// How a residual block's identity path changes shape when the block downsamples.
public enum Shortcut: String, Codable {
    /// Option A (He et al. 2016, CIFAR): stride-2 subsampling and zero-padded channels, no parameters.
    case zeroPad = "A"
    /// Option B (torchvision): 1×1 strided conv + BN, named `downsample.0` / `downsample.1`.
    case projection = "B"
}

/// Conv → BN (→ + residual) (→ ReLU). In eval mode BN and the rest run fused inside the conv.
@inline(__always)
func convBN(_ conv: Conv2D, _ bn: BatchNorm2D, _ x: Tensor, residual: Tensor? = nil, relu: Bool) -> Tensor {
    if conv.training || bn.training {
        var y = bn(conv(x))
        if let r = residual { y = Elementwise.add(y, r) }
        return relu ? Elementwise.relu(y) : y
    }
    let (s, b) = bn.inferenceScaleShift()
    return conv.forward(x, scale: s, shift: b, residual: residual, relu: relu)
}

/// Conv → BN (→ + residual) (→ ReLU) unfused, reporting each stage to `observe` as "conv<i>", "bn<i>"
/// and (when not the block's last conv) "relu<i>": the slow path used only when dumping inside blocks.
func observedConvBN(
    _ conv: Conv2D, _ bn: BatchNorm2D, _ x: Tensor, residual: Tensor? = nil, relu: Bool, index: Int,
    last: Bool, _ observe: (String, Tensor) -> Void
) -> Tensor {
    let c = conv(x)
    observe("conv\(index)", c)
    var y = bn(c)
    observe("bn\(index)", y)
    if let r = residual { y = Elementwise.add(y, r) }
    if relu { y = Elementwise.relu(y) }
    if !last { observe("relu\(index)", y) }
    return y
}

/// The identity path of a block: nothing, a 1×1 projection (Sequential of conv + BN) or option A.
public final class ShortcutPath {
    /// conv + BN, or one Ghost module; nil for the identity and option A.
    public let projection: Sequential?
    /// Option A: zero channels added (half before, the rest after the input's).
    public let padChannels: Int
    /// Option A: the spatial subsampling stride.
    public let stride: Int

    /// With `ghost`, a projection is one Ghost module (1×1 primary conv, stride), named `downsample.0`.
    /// `ratio`: the Ghost projection's s and d (default: the settings' uniform ones).
    init(
        inChannels: Int, outChannels: Int, stride: Int, style: Shortcut, ghost: GhostSettings? = nil,
        ratio: GhostSettings.ConvRatio? = nil, rng: inout SplitMix64
    ) {
        self.stride = stride
        if stride == 1 && inChannels == outChannels {
            projection = nil
            padChannels = 0
        } else if style == .projection, let g = ghost {
            let r = ratio ?? GhostSettings.ConvRatio(s: g.s, d: g.d)
            projection = Sequential([
                GhostModule(
                    inChannels, outChannels, kernel: 1, stride: stride, s: r.s, d: r.d,
                    relu: false, rng: &rng)
            ])
            padChannels = 0
        } else if style == .projection {
            projection = Sequential([
                Conv2D(inChannels, outChannels, kernel: 1, stride: stride, rng: &rng),
                BatchNorm2D(outChannels),
            ])
            padChannels = 0
        } else {
            precondition(
                outChannels >= inChannels && (outChannels - inChannels) % 2 == 0, "option A needs even channel growth")
            projection = nil
            padChannels = outChannels - inChannels
        }
    }

    var children: [(String, Module)] { projection.map { [("downsample", $0)] } ?? [] }

    /// The shortcut's output, reported to `observe` as "downsample" when it is a projection.
    func observed(_ x: Tensor, _ observe: (String, Tensor) -> Void) -> Tensor {
        let s = self(x)
        if projection != nil { observe("downsample", s) }
        return s
    }

    /// A conv + BN projection as a conversion unit (empty for identity, option A or a Ghost projection).
    var projectionUnit: [(name: String, conv: Conv2D, bn: BatchNorm2D, relu: Bool)] {
        guard let p = projection, let conv = p.layers[0] as? Conv2D, let bn = p.layers[1] as? BatchNorm2D else {
            return []
        }
        return [("downsample", conv, bn, false)]
    }

    /// A Ghost projection module, if that is what the shortcut holds.
    public var ghostProjection: GhostModule? { projection?.layers[0] as? GhostModule }

    private var inputShape: [Int] = []

    func callAsFunction(_ x: Tensor) -> Tensor {
        inputShape = x.shape
        if let p = projection {
            guard let conv = p.layers[0] as? Conv2D else { return p(x) }
            return convBN(conv, p.layers[1] as! BatchNorm2D, x, relu: false)
        }
        if padChannels > 0 || stride > 1 {
            let s = stride > 1 ? Elementwise.subsample(x, stride: stride) : x
            return Elementwise.padChannels(s, before: padChannels / 2, after: padChannels - padChannels / 2)
        }
        return x
    }

    /// dL/d(block input) through the shortcut.
    func backward(_ g: Tensor) -> Tensor {
        if let p = projection { return p.backward(g) }
        var gx = g
        if padChannels > 0 {
            gx = ElementwiseBackward.padChannels(gradOutput: gx, before: padChannels / 2, channels: inputShape[1])
        }
        if stride > 1 { gx = ElementwiseBackward.subsample(inputShape: inputShape, gradOutput: gx, stride: stride) }
        return gx
    }

    /// Profiles a residual block: the main path in order, then the projection on the block input.
    func profileBlock(main: [(String, Module)], _ input: [Int], _ profiler: inout Profiler) -> [Int] {
        var shape = input
        for (name, m) in main { shape = profiler.nest(name) { m.profile(shape, &$0) } }
        if let p = projection { _ = profiler.nest("downsample") { p.profile(input, &$0) } }
        return shape
    }
}

/// torchvision's BasicBlock: 3×3 conv (stride) → BN → ReLU → 3×3 conv → BN, + shortcut, ReLU.
public final class BasicBlock: Module, PlainResidualBlock {
    public static let expansion = 1
    public let conv1: Conv2D, bn1: BatchNorm2D, conv2: Conv2D, bn2: BatchNorm2D
    /// The identity path (read by exporters).
    public let shortcut: ShortcutPath

    public init(inChannels: Int, planes: Int, stride: Int, shortcut style: Shortcut, rng: inout SplitMix64) {
        conv1 = Conv2D(inChannels, planes, kernel: 3, stride: stride, padding: 1, rng: &rng)
        bn1 = BatchNorm2D(planes)
        conv2 = Conv2D(planes, planes, kernel: 3, padding: 1, rng: &rng)
        bn2 = BatchNorm2D(planes)
        shortcut = ShortcutPath(inChannels: inChannels, outChannels: planes, stride: stride, style: style, rng: &rng)
    }

    public override var children: [(String, Module)] {
        [("conv1", conv1), ("bn1", bn1), ("conv2", conv2), ("bn2", bn2)] + shortcut.children
    }

    /// Saved by a training-mode forward: ReLU outputs for the backward pass.
    private var saved: (h1: Tensor, y: Tensor)?

    /// Receives the outputs inside the block (names in `innerLayerNames`) during forward when set.
    public var observer: ((String, Tensor) -> Void)?
    /// conv1, bn1, relu1, conv2, bn2 (the block's own output follows bn2 + shortcut → ReLU), and
    /// "downsample" (the projection's BN output) in blocks that have one.
    public static let innerLayerNames = ["conv1", "bn1", "relu1", "conv2", "bn2"]
    public var innerLayerNames: [String] { Self.innerLayerNames + (hasProjection ? ["downsample"] : []) }
    public var hasProjection: Bool { shortcut.projection != nil }

    /// Every conv + BN of the block with its name and whether a ReLU follows it directly ("downsample": the
    /// projection).
    public var convUnits: [(name: String, conv: Conv2D, bn: BatchNorm2D, relu: Bool)] {
        [("conv1", conv1, bn1, true), ("conv2", conv2, bn2, false)] + shortcut.projectionUnit
    }

    public override func forward(_ x: Tensor) -> Tensor {
        if let o = observer, !training {
            let h1 = observedConvBN(conv1, bn1, x, relu: true, index: 1, last: false, o)
            return observedConvBN(
                conv2, bn2, h1, residual: shortcut.observed(x, o), relu: true, index: 2, last: true, o)
        }
        let h1 = convBN(conv1, bn1, x, relu: true)
        let y = convBN(conv2, bn2, h1, residual: shortcut(x), relu: true)
        if training { saved = (h1, y) }
        return y
    }

    public override func backward(_ gradOutput: Tensor) -> Tensor {
        guard let (h1, y) = saved else { preconditionFailure("BasicBlock.backward without a training-mode forward") }
        saved = nil
        let g = ElementwiseBackward.relu(output: y, gradOutput: gradOutput)
        var gm = conv2.backward(bn2.backward(g))
        gm = conv1.backward(bn1.backward(ElementwiseBackward.relu(output: h1, gradOutput: gm)))
        return Elementwise.add(gm, shortcut.backward(g))
    }

    public override func profile(_ input: [Int], _ profiler: inout Profiler) -> [Int] {
        shortcut.profileBlock(main: [("conv1", conv1), ("bn1", bn1), ("conv2", conv2), ("bn2", bn2)], input, &profiler)
    }
}

/// torchvision's Bottleneck (v1.5, stride on the 3×3): 1×1 → 3×3 (stride) → 1×1 (×4), + shortcut, ReLU.
public final class Bottleneck: Module, PlainResidualBlock {
    public static let expansion = 4
    public let conv1: Conv2D, bn1: BatchNorm2D, conv2: Conv2D, bn2: BatchNorm2D, conv3: Conv2D, bn3: BatchNorm2D
    /// The identity path (read by exporters).
    public let shortcut: ShortcutPath

    public init(inChannels: Int, planes: Int, stride: Int, shortcut style: Shortcut, rng: inout SplitMix64) {
        conv1 = Conv2D(inChannels, planes, kernel: 1, rng: &rng)
        bn1 = BatchNorm2D(planes)
        conv2 = Conv2D(planes, planes, kernel: 3, stride: stride, padding: 1, rng: &rng)
        bn2 = BatchNorm2D(planes)
        conv3 = Conv2D(planes, planes * Self.expansion, kernel: 1, rng: &rng)
        bn3 = BatchNorm2D(planes * Self.expansion)
        shortcut = ShortcutPath(
            inChannels: inChannels, outChannels: planes * Self.expansion, stride: stride,
            style: style, rng: &rng)
    }

    public override var children: [(String, Module)] {
        [("conv1", conv1), ("bn1", bn1), ("conv2", conv2), ("bn2", bn2), ("conv3", conv3), ("bn3", bn3)]
            + shortcut.children
    }

    /// Saved by a training-mode forward: ReLU outputs for the backward pass.
    private var saved: (h1: Tensor, h2: Tensor, y: Tensor)?

    /// Receives the outputs inside the block (names in `innerLayerNames`) during forward when set.
    public var observer: ((String, Tensor) -> Void)?
    /// conv1, bn1, relu1, conv2, bn2, relu2, conv3, bn3 (the block's own output follows bn3 + shortcut → ReLU),
    /// and "downsample" (the projection's BN output) in blocks that have one.
    public static let innerLayerNames = ["conv1", "bn1", "relu1", "conv2", "bn2", "relu2", "conv3", "bn3"]
    public var innerLayerNames: [String] { Self.innerLayerNames + (hasProjection ? ["downsample"] : []) }
    public var hasProjection: Bool { shortcut.projection != nil }

    /// Every conv + BN of the block with its name and whether a ReLU follows it directly ("downsample": the
    /// projection).
    public var convUnits: [(name: String, conv: Conv2D, bn: BatchNorm2D, relu: Bool)] {
        [("conv1", conv1, bn1, true), ("conv2", conv2, bn2, true), ("conv3", conv3, bn3, false)]
            + shortcut.projectionUnit
    }

    public override func forward(_ x: Tensor) -> Tensor {
        if let o = observer, !training {
            let h1 = observedConvBN(conv1, bn1, x, relu: true, index: 1, last: false, o)
            let h2 = observedConvBN(conv2, bn2, h1, relu: true, index: 2, last: false, o)
            return observedConvBN(
                conv3, bn3, h2, residual: shortcut.observed(x, o), relu: true, index: 3, last: true, o)
        }
        let h1 = convBN(conv1, bn1, x, relu: true)
        let h2 = convBN(conv2, bn2, h1, relu: true)
        let y = convBN(conv3, bn3, h2, residual: shortcut(x), relu: true)
        if training { saved = (h1, h2, y) }
        return y
    }

    public override func backward(_ gradOutput: Tensor) -> Tensor {
        guard let (h1, h2, y) = saved else {
            preconditionFailure("Bottleneck.backward without a training-mode forward")
        }
        saved = nil
        let g = ElementwiseBackward.relu(output: y, gradOutput: gradOutput)
        var gm = conv3.backward(bn3.backward(g))
        gm = conv2.backward(bn2.backward(ElementwiseBackward.relu(output: h2, gradOutput: gm)))
        gm = conv1.backward(bn1.backward(ElementwiseBackward.relu(output: h1, gradOutput: gm)))
        return Elementwise.add(gm, shortcut.backward(g))
    }

    public override func profile(_ input: [Int], _ profiler: inout Profiler) -> [Int] {
        shortcut.profileBlock(
            main: [
                ("conv1", conv1), ("bn1", bn1), ("conv2", conv2), ("bn2", bn2),
                ("conv3", conv3), ("bn3", bn3),
            ], input, &profiler)
    }
}

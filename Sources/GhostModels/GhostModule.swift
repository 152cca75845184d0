import GhostTensor

/// GhostNet's Ghost module, a drop-in for conv + BN (+ ReLU) with n output channels:
/// m = ⌈n/s⌉ intrinsic maps from a primary conv (the replaced conv's kernel, stride and padding) + BN
/// (+ ReLU), (s − 1)·m ghost maps from a depthwise d×d conv over them (ghost j from intrinsic j / (s − 1))
/// + BN (+ ReLU), output = concat(intrinsic, ghost)[:, :n]. Names follow the official code:
/// `primary_conv.0/1` and `cheap_operation.0/1`. With s = 1 there are no ghosts: the module is the plain
/// conv + BN (+ ReLU) under the primary's names, with no cheap operation (what a per-conv ratio uses to
/// leave a conv unconverted).
public final class GhostModule: Module {
    public let primaryConv: Conv2D, primaryBN: BatchNorm2D
    public let cheapConv: Conv2D, cheapBN: BatchNorm2D
    let primary: Sequential, cheap: Sequential
    public let outChannels: Int
    /// The ratio s: output channels per intrinsic channel (1 = a plain conv).
    public let s: Int
    /// The cheap depthwise kernel size d.
    public let d: Int
    public let relu: Bool
    /// Buffer `output_index` (int64, n values): output channel c is channel output_index[c] of
    /// concat(intrinsic, ghost). 0, 1, …, n−1 is the plain slice; a conversion stores the permutation that
    /// puts every channel back where the replaced conv had it.
    public let outputIndex: Parameter
    /// Whether `output_index` is a state-dict entry (GhostKit's Ghost-ResNets) or implied as the plain slice
    /// 0..<n (GhostNet, whose official modules have no such buffer).
    public let storesOutputIndex: Bool

    /// Intrinsic channels m = ⌈n/s⌉.
    public var intrinsicChannels: Int { primaryConv.outChannels }

    public init(
        _ inChannels: Int, _ outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0,
        s: Int, d: Int, relu: Bool, storesOutputIndex: Bool = true, rng: inout SplitMix64
    ) {
        precondition(s >= 1 && d >= 1 && d % 2 == 1, "Ghost module needs s ≥ 1 and an odd d")
        let m = (outChannels + s - 1) / s
        primaryConv = Conv2D(inChannels, m, kernel: kernel, stride: stride, padding: padding, rng: &rng)
        primaryBN = BatchNorm2D(m)
        cheapConv = Conv2D(m, m * (s - 1), kernel: d, padding: d / 2, groups: m, rng: &rng)
        cheapBN = BatchNorm2D(m * (s - 1))
        primary = Sequential([primaryConv, primaryBN])
        cheap = Sequential([cheapConv, cheapBN])
        self.outChannels = outChannels
        (self.s, self.d) = (s, d)
        self.relu = relu
        outputIndex = Parameter(
            Tensor(shape: [outChannels], values: (0..<outChannels).map(Float.init)), isBuffer: true, isInteger: true)
        self.storesOutputIndex = storesOutputIndex
    }

    /// Whether there is a cheap operation (s ≥ 2).
    public var hasGhosts: Bool { cheapConv.outChannels > 0 }

    public override var children: [(String, Module)] {
        [("primary_conv", primary)] + (hasGhosts ? [("cheap_operation", cheap)] : [])
    }
    public override var localParameters: [(String, Parameter)] {
        storesOutputIndex ? [("output_index", outputIndex)] : []
    }

    /// The output index as integers.
    public var index: [Int] { outputIndex.value.scalars.map { Int($0) } }

    /// Outputs of the two branches saved by a training-mode forward (after their ReLU, if any).
    private var saved: (intrinsic: Tensor, ghost: Tensor?)?

    public override func forward(_ x: Tensor) -> Tensor { forward(x, residual: nil, reluAfterResidual: false) }

    /// relu?(module(x) + residual): what a residual block computes after its last Ghost module. In eval mode
    /// both branches are written straight into the output in `output_index` order (no concat, no gather)
    /// and the residual is added in their epilogues.
    public func forward(_ x: Tensor, residual: Tensor?, reluAfterResidual: Bool) -> Tensor {
        if observer != nil, let r = residual {  // the observer sees the module's own output, before the residual
            return Elementwise.add(forward(x, residual: nil, reluAfterResidual: false), r, relu: reluAfterResidual)
        }
        let y: Tensor
        if !anyTraining, let routes = outputRoutes() {
            y = routedForward(x, routes, residual: residual, reluAfterResidual: reluAfterResidual)
        } else {
            let x1 = convBN(primaryConv, primaryBN, x, relu: relu)
            let x2 = hasGhosts ? convBN(cheapConv, cheapBN, x1, relu: relu) : nil
            if training { saved = (x1, x2) }
            let gathered = Elementwise.gatherChannels(x2.map { [x1, $0] } ?? [x1], index: index)
            y = residual.map { Elementwise.add(gathered, $0, relu: reluAfterResidual) } ?? gathered
        }
        observer?(y)
        return y
    }

    /// Receives the module's output (before any residual) during forward when set.
    public var observer: ((Tensor) -> Void)?

    /// Output channels that come from the cheap operation (ghosts), as opposed to the primary conv (intrinsic).
    public var ghostChannels: [Int] { index.enumerated().filter { $0.element >= intrinsicChannels }.map(\.offset) }

    /// Whether any part runs in training mode: then the layers run one by one (a BN being recalibrated on its
    /// own, AdaBN, needs its batch statistics; the routed path folds eval-mode BNs into the convs).
    private var anyTraining: Bool {
        training || primaryConv.training || primaryBN.training || cheapConv.training || cheapBN.training
    }

    /// The output channel of each intrinsic and each ghost channel (−1: cut), or nil when `output_index`
    /// repeats a channel or leaves an intrinsic one out (then the gather path runs).
    private func outputRoutes() -> (primary: [Int], cheap: [Int])? {
        let m = intrinsicChannels
        let total = m + cheapConv.outChannels
        var destination = [Int](repeating: -1, count: total)
        for (c, j) in index.enumerated() {
            guard j >= 0 && j < total && destination[j] < 0 else { return nil }
            destination[j] = c
        }
        let primary = Array(destination[..<m])
        guard !primary.contains(-1) else { return nil }
        return (primary, Array(destination[m...]))
    }

    private func routedForward(
        _ x: Tensor, _ routes: (primary: [Int], cheap: [Int]), residual: Tensor?,
        reluAfterResidual: Bool
    ) -> Tensor {
        let g = primaryConv.geometry(for: x.shape)
        let y = Tensor(uninitialized: [g.batch, outChannels, g.outHeight, g.outWidth])
        let (s1, b1) = primaryBN.inferenceScaleShift()
        guard hasGhosts else {  // s = 1: the primary conv is the whole module, the residual joins its epilogue
            primaryConv.forward(
                x, into: y, routing: ChannelRouting(outputChannels: outChannels, outputMap: routes.primary),
                scale: s1, shift: b1, residual: relu ? nil : residual,
                relu: relu || (residual != nil && reluAfterResidual))
            guard let r = residual, relu else { return y }
            return Elementwise.add(y, r, relu: reluAfterResidual)
        }
        primaryConv.forward(
            x, into: y, routing: ChannelRouting(outputChannels: outChannels, outputMap: routes.primary),
            scale: s1, shift: b1, relu: relu)
        // The residual can join the cheap branch's epilogue only when no ReLU of the module's own comes first.
        let fused = residual != nil && !relu
        let (s2, b2) = cheapBN.inferenceScaleShift()
        cheapConv.forward(
            y, into: y,
            routing: ChannelRouting(
                outputChannels: outChannels, outputMap: routes.cheap,
                input: (outChannels, routes.primary)),
            scale: s2, shift: b2, residual: fused ? residual : nil, relu: fused ? reluAfterResidual : relu)
        guard let r = residual else { return y }
        if !fused { return Elementwise.add(y, r, relu: reluAfterResidual) }
        // The intrinsic planes were read by the cheap branch; now they get their residual too.
        Elementwise.addInPlace(y, r, channels: routes.primary, relu: reluAfterResidual)
        return y
    }

    public override func backward(_ gradOutput: Tensor) -> Tensor {
        guard let (x1, x2) = saved else { preconditionFailure("GhostModule.backward without a training-mode forward") }
        saved = nil
        let widths = [x1.shape[1]] + (x2.map { [$0.shape[1]] } ?? [])
        let parts = ElementwiseBackward.gatherChannels(gradOutput: gradOutput, channels: widths, index: index)
        var g1 = parts[0]
        if let x2 {
            var g2 = parts[1]
            if relu { g2 = ElementwiseBackward.relu(output: x2, gradOutput: g2) }
            g1 = Elementwise.add(g1, cheapConv.backward(cheapBN.backward(g2)))
        }
        if relu { g1 = ElementwiseBackward.relu(output: x1, gradOutput: g1) }
        return primaryConv.backward(primaryBN.backward(g1))
    }

    /// Params and MACs of what the forward pass uses: both convs and both BNs (ghost channels cut by the
    /// slice still cost their depthwise MACs, as in the official module).
    public override func profile(_ input: [Int], _ profiler: inout Profiler) -> [Int] {
        let s1 = profiler.nest("primary_conv") { primary.profile(input, &$0) }
        guard hasGhosts else { return [s1[0], outChannels, s1[2], s1[3]] }
        let s2 = profiler.nest("cheap_operation") { cheap.profile(s1, &$0) }
        return [s2[0], outChannels, s2[2], s2[3]]
    }
}

/// Settings of a Ghost-ResNet: ratio s and depthwise kernel d of every Ghost module, and which residual
/// blocks are Ghost blocks ("layer3.0", …; nil = all of them — the others stay plain ResNet blocks).
/// `convs` overrides s and d per conv ("layer2.0.conv1", "layer2.0.downsample"; s = 1 leaves that conv plain);
/// checkpoints written before it existed have none and decode unchanged.
public struct GhostSettings: Codable, Equatable {
    /// The s and d of one Ghost module.
    public struct ConvRatio: Codable, Equatable {
        public var s: Int
        public var d: Int
        public init(s: Int, d: Int) {
            self.s = s
            self.d = d
        }
    }

    public var s: Int
    public var d: Int
    public var blocks: [String]?
    public var convs: [String: ConvRatio]?
    public init(s: Int, d: Int, blocks: [String]? = nil, convs: [String: ConvRatio]? = nil) {
        self.s = s
        self.d = d
        self.blocks = blocks
        self.convs = convs
    }

    /// s and d of the Ghost module replacing the conv named `conv` ("layer1.0.conv2").
    public func ratio(conv: String) -> ConvRatio { convs?[conv] ?? ConvRatio(s: s, d: d) }

    /// Whether the block named `name` ("layer2.1") is built from Ghost modules.
    public func converts(block name: String) -> Bool { blocks?.contains(name) ?? true }
}

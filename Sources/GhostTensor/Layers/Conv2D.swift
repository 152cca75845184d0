import Foundation

/// 2-D convolution (`nn.Conv2d`): weight [out, in/groups, kh, kw], optional bias.
/// Dense and grouped convolutions run on sgemm; depthwise ones on a direct kernel.
public final class Conv2D: Module {
    public let weight: Parameter
    public let bias: Parameter?
    public let stride: (Int, Int)
    public let padding: (Int, Int)
    public let groups: Int
    /// False for a network's first layer: backward then skips dL/d(input).
    public var needsInputGradient = true
    private var savedInput: Tensor?
    /// Set inside `Module.withPackedWeights`: eval forwards may then pack the weight (`PackedWeights`).
    var packsWeight = false
    /// The weight packed by an eval forward inside `Module.withPackedWeights` (nil outside it).
    var packedWeight: PackedWeights?
    /// The weight rearranged for DirectConvKernel by an eval forward inside `Module.withPackedWeights` (else nil).
    var directWeight: DirectConvKernel.Weights?

    public var inChannels: Int { weight.shape[1] * groups }
    public var outChannels: Int { weight.shape[0] }
    public var kernelSize: (Int, Int) { (weight.shape[2], weight.shape[3]) }

    /// Kaiming-uniform initialised convolution (PyTorch's default init), deterministic by `rng`.
    public init(
        _ inChannels: Int, _ outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0,
        groups: Int = 1, bias: Bool = false, rng: inout SplitMix64
    ) {
        precondition(inChannels % groups == 0 && outChannels % groups == 0, "channels not divisible by groups")
        let fanIn = inChannels / groups * kernel * kernel
        let bound = 1 / Float(fanIn).squareRoot()
        weight = Parameter(
            Tensor(uniform: [outChannels, inChannels / groups, kernel, kernel], bound: bound, rng: &rng))
        self.bias = bias ? Parameter(Tensor(uniform: [outChannels], bound: bound, rng: &rng)) : nil
        self.stride = (stride, stride)
        self.padding = (padding, padding)
        self.groups = groups
    }

    /// A convolution with the given weight (and bias).
    public init(
        weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0), groups: Int = 1
    ) {
        self.weight = Parameter(weight)
        self.bias = bias.map { Parameter($0) }
        self.stride = stride
        self.padding = padding
        self.groups = groups
    }

    public override var localParameters: [(String, Parameter)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    public override func forward(_ x: Tensor) -> Tensor { forward(x, epilogue: .none) }

    /// Forward with a fused per-channel epilogue (scale/shift, residual, ReLU) applied on top of
    /// the bias. Used for inference with BatchNorm folded in.
    public func forward(
        _ x: Tensor, scale: Tensor? = nil, shift: Tensor? = nil, residual: Tensor? = nil,
        relu: Bool = false
    ) -> Tensor {
        if let r = residual { precondition(r.shape == outputShape(for: x.shape), "residual shape \(r.shape) mismatch") }
        let (e, shift) = fusedEpilogue(scale: scale, shift: shift, residual: residual, relu: relu)
        return forward(x, epilogue: e).keeping(scale, shift, residual)
    }

    /// Eval-mode forward written into the channels of `y` that `routing` names (a Ghost module's output), with
    /// the same fused epilogue; `residual` has `y`'s shape. With `routing.input`, `x` is read through it.
    public func forward(
        _ x: Tensor, into y: Tensor, routing: ChannelRouting, scale: Tensor? = nil, shift: Tensor? = nil,
        residual: Tensor? = nil, relu: Bool = false
    ) {
        precondition(
            x.rank == 4 && x.shape[1] == (routing.input?.channels ?? inChannels),
            "conv expects [N, \(inChannels), H, W] input, got \(x.shape)")
        if let r = residual { precondition(r.shape == y.shape, "residual shape \(r.shape) mismatch") }
        let (e, shift) = fusedEpilogue(scale: scale, shift: shift, residual: residual, relu: relu)
        let g = geometry(for: x.shape)
        let winograd = winogradFilters(for: g)
        withExtendedLifetime((scale, shift, residual)) {
            Conv2DKernel.forward(
                x, weight: weight.value, stride: stride, padding: padding, groups: groups, epilogue: e,
                into: y, routing: routing, winograd: winograd, packed: packed(for: g, winograd: winograd),
                direct: direct(for: g, winograd: winograd))
        }
    }

    /// The epilogue of a fused forward, its shift with the conv's bias folded in (scaled when BN follows); the
    /// epilogue borrows the tensors' pointers, so the caller keeps `scale`, the returned shift and `residual` alive.
    private func fusedEpilogue(
        scale: Tensor?, shift: Tensor?, residual: Tensor?, relu: Bool
    ) -> (Epilogue, shift: Tensor?) {
        var shift = shift
        if let b = bias?.value {
            if let s = shift {
                shift = Elementwise.add(s, scale.map { Self.multiply(b, $0) } ?? b)
            } else {
                shift = scale.map { Self.multiply(b, $0) } ?? b
            }
        }
        let e = Epilogue(
            scale: scale.map { UnsafePointer($0.pointer) }, shift: shift.map { UnsafePointer($0.pointer) },
            residual: residual.map { UnsafePointer($0.pointer) }, relu: relu)
        return (e, shift)
    }

    private func forward(_ x: Tensor, epilogue: Epilogue) -> Tensor {
        precondition(
            x.rank == 4 && x.shape[1] == inChannels,
            "conv expects [N, \(inChannels), H, W] input, got \(x.shape)")
        if training { savedInput = x }
        var e = epilogue
        if e.shift == nil, let b = bias { e.shift = UnsafePointer(b.value.pointer) }
        let g = geometry(for: x.shape)
        let winograd = winogradFilters(for: g)
        return Conv2DKernel.forward(
            x, weight: weight.value, stride: stride, padding: padding, groups: groups,
            epilogue: e, winograd: winograd, packed: packed(for: g, winograd: winograd),
            direct: direct(for: g, winograd: winograd))
    }

    /// The packed weight for a batch-1 eval forward over `g` inside `Module.withPackedWeights`, where the forward runs
    /// the plain GEMMs (one group, no Winograd or tap GEMMs) no wider than `PackedWeights.maxWidth` columns; made on
    /// the first such forward, and again if the weight tensor was replaced since. Larger batches keep per-call
    /// packing: at batch 8 the packed copies of ResNet-50's 7×7 layers cost 55 MiB of peak memory for ~2 % of time.
    private func packed(for g: ConvGeometry, winograd: WinogradKernel.Filters?) -> PackedWeights? {
        guard packsWeight, !training, g.batch == 1, winograd == nil, g.groups == 1, !g.isDepthwise,
            !DirectConvKernel.applies(to: g),
            !TapGEMMKernel.applies(to: g), Conv2DKernel.forwardTiles(g).width <= PackedWeights.maxWidth
        else { return nil }
        if let p = packedWeight, p.source?.storage === weight.value.storage { return p }
        packedWeight = PackedWeights(weight.value)
        return packedWeight
    }

    /// The weight rearranged for a batch-1 eval forward over `g` inside `Module.withPackedWeights`, where the forward
    /// runs on DirectConvKernel; made on the first such forward, and again if the weight tensor was replaced since.
    private func direct(for g: ConvGeometry, winograd: WinogradKernel.Filters?) -> DirectConvKernel.Weights? {
        guard packsWeight, !training, winograd == nil, DirectConvKernel.applies(to: g) else { return nil }
        if let d = directWeight, d.source?.storage === weight.value.storage { return d }
        directWeight = DirectConvKernel.Weights(kept: weight.value)
        return directWeight
    }

    /// The Winograd filters for a forward over `g` (eval or training mode: the backward reads only the saved input
    /// and the weight), where the dispatch rule picks a variant (`WinogradKernel.preferredVariant`); nil elsewhere.
    /// Transformed from the weight as it is now, on every call: nothing is held between forwards (no memory beside
    /// the weight, and an optimiser step or a checkpoint load that changes the weight in place is followed by
    /// construction).
    private func winogradFilters(for g: ConvGeometry) -> WinogradKernel.Filters? {
        guard let variant = WinogradKernel.preferredVariant(for: g) else { return nil }
        return WinogradKernel.Filters(weight.value, variant: variant)
    }

    public override func backward(_ gradOutput: Tensor) -> Tensor {
        guard let x = savedInput else { preconditionFailure("Conv2D.backward without a training-mode forward") }
        let (gx, gw, gb) = Conv2DBackwardKernel.backward(
            x: x, weight: weight.value, gradOutput: gradOutput, stride: stride,
            padding: padding, groups: groups, needInput: needsInputGradient)
        weight.accumulate(gw)
        bias?.accumulate(gb)
        savedInput = nil
        return gx ?? Tensor(zeros: x.shape)
    }

    private static func multiply(_ a: Tensor, _ b: Tensor) -> Tensor {
        let y = Tensor(uninitialized: a.shape)
        for i in 0..<a.count { y.pointer[i] = a.pointer[i] * b.pointer[i] }
        return y
    }

    /// [N, Cout, OH, OW] for an input shape.
    public func outputShape(for input: [Int]) -> [Int] {
        geometry(for: input).outputShape
    }

    public func geometry(for input: [Int]) -> ConvGeometry {
        ConvGeometry(
            batch: input[0], inChannels: input[1], height: input[2], width: input[3], outChannels: outChannels,
            kernel: kernelSize, stride: stride, padding: padding, groups: groups)
    }

    public override func profile(_ input: [Int], _ profiler: inout Profiler) -> [Int] {
        let g = geometry(for: input)
        profiler.record(
            kind: groups == 1 ? "conv" : (g.isDepthwise ? "dwconv" : "gconv"), output: g.outputShape,
            params: weight.value.count + (bias?.value.count ?? 0), macs: g.macs)
        return g.outputShape
    }
}

extension Tensor {
    /// Returns self while keeping `others` alive until this point (their pointers were borrowed).
    @inline(never)
    func keeping(_ others: Tensor?...) -> Tensor { withExtendedLifetime(others) { self } }
}

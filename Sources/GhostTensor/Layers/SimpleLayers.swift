/// ReLU activation (`nn.ReLU`).
public final class ReLU: Module {
    private var savedOutput: Tensor?
    public override init() {}
    public override func forward(_ x: Tensor) -> Tensor {
        let y = Elementwise.relu(x)
        if training { savedOutput = y }
        return y
    }
    public override func backward(_ gradOutput: Tensor) -> Tensor {
        defer { savedOutput = nil }
        return ElementwiseBackward.relu(output: savedOutput!, gradOutput: gradOutput)
    }
    public override func profile(_ input: [Int], _ profiler: inout Profiler) -> [Int] {
        profiler.record(kind: "relu", output: input, params: 0, macs: 0)
        return input
    }
}

/// Max pooling (`nn.MaxPool2d`).
public final class MaxPool2D: Module {
    public let kernel, stride, padding: Int
    private var savedInput: Tensor?
    public init(kernel: Int, stride: Int, padding: Int = 0) {
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
    }
    public override func forward(_ x: Tensor) -> Tensor {
        if training { savedInput = x }
        return Pooling.maxPool(x, kernel: kernel, stride: stride, padding: padding)
    }
    public override func backward(_ gradOutput: Tensor) -> Tensor {
        defer { savedInput = nil }
        return PoolingBackward.maxPool(
            x: savedInput!, gradOutput: gradOutput, kernel: kernel, stride: stride, padding: padding)
    }
    public override func profile(_ input: [Int], _ profiler: inout Profiler) -> [Int] {
        Pooling.profile(input, kernel: kernel, stride: stride, padding: padding, kind: "maxpool", &profiler)
    }
}

/// Average pooling (`nn.AvgPool2d`, count_include_pad = true).
public final class AvgPool2D: Module {
    public let kernel, stride, padding: Int
    private var inputShape: [Int] = []
    public init(kernel: Int, stride: Int, padding: Int = 0) {
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
    }
    public override func forward(_ x: Tensor) -> Tensor {
        inputShape = x.shape
        return Pooling.avgPool(x, kernel: kernel, stride: stride, padding: padding)
    }
    public override func backward(_ gradOutput: Tensor) -> Tensor {
        PoolingBackward.avgPool(
            inputShape: inputShape, gradOutput: gradOutput, kernel: kernel, stride: stride, padding: padding)
    }
    public override func profile(_ input: [Int], _ profiler: inout Profiler) -> [Int] {
        Pooling.profile(input, kernel: kernel, stride: stride, padding: padding, kind: "avgpool", &profiler)
    }
}

/// Global average pooling followed by flattening: [N, C, H, W] → [N, C]
/// (`nn.AdaptiveAvgPool2d(1)` + `torch.flatten(x, 1)`).
public final class GlobalAvgPool: Module {
    private var inputShape: [Int] = []
    public override init() {}
    public override func forward(_ x: Tensor) -> Tensor {
        inputShape = x.shape
        return Pooling.globalAvgPool(x)
    }
    public override func backward(_ gradOutput: Tensor) -> Tensor {
        PoolingBackward.globalAvgPool(inputShape: inputShape, gradOutput: gradOutput)
    }
    public override func profile(_ input: [Int], _ profiler: inout Profiler) -> [Int] {
        profiler.record(kind: "avgpool", output: [input[0], input[1]], params: 0, macs: 0)
        return [input[0], input[1]]
    }
}

/// Fully connected layer (`nn.Linear`): y = x·Wᵀ + b with weight [out, in], on sgemm.
public final class Linear: Module {
    public let weight: Parameter
    public let bias: Parameter?

    private var savedInput: Tensor?

    public var inFeatures: Int { weight.shape[1] }
    public var outFeatures: Int { weight.shape[0] }

    /// PyTorch's default (Kaiming-uniform) initialisation.
    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, rng: inout SplitMix64) {
        let bound = 1 / Float(inFeatures).squareRoot()
        weight = Parameter(Tensor(uniform: [outFeatures, inFeatures], bound: bound, rng: &rng))
        self.bias = bias ? Parameter(Tensor(uniform: [outFeatures], bound: bound, rng: &rng)) : nil
    }

    public override var localParameters: [(String, Parameter)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    public override func forward(_ x: Tensor) -> Tensor {
        precondition(x.rank == 2 && x.shape[1] == inFeatures, "linear expects [N, \(inFeatures)], got \(x.shape)")
        if training { savedInput = x }
        let N = x.shape[0]
        let O = outFeatures
        let y = Tensor(uninitialized: [N, O])
        if let b = bias?.value { for n in 0..<N { (y.pointer + n * O).update(from: b.pointer, count: O) } }
        gemm(
            transB: true, m: N, n: O, k: inFeatures, a: x.pointer, lda: inFeatures, b: weight.value.pointer,
            ldb: inFeatures, beta: bias == nil ? 0 : 1, c: y.pointer, ldc: O)
        return y
    }

    /// dW = dYᵀ·X, db = Σ dY, dX = dY·W (all on sgemm).
    public override func backward(_ gradOutput: Tensor) -> Tensor {
        guard let x = savedInput else { preconditionFailure("Linear.backward without a training-mode forward") }
        let N = x.shape[0]
        let O = outFeatures
        let I = inFeatures
        let gw = Tensor(uninitialized: [O, I])
        let gx = Tensor(uninitialized: [N, I])
        gemm(
            transA: true, m: O, n: I, k: N, a: gradOutput.pointer, lda: O, b: x.pointer, ldb: I, c: gw.pointer, ldc: I)
        gemm(m: N, n: I, k: O, a: gradOutput.pointer, lda: O, b: weight.value.pointer, ldb: I, c: gx.pointer, ldc: I)
        weight.accumulate(gw)
        if let bias {
            let gb = Tensor(zeros: [O])
            for n in 0..<N { for o in 0..<O { gb.pointer[o] += gradOutput.pointer[n * O + o] } }
            bias.accumulate(gb)
        }
        savedInput = nil
        return gx
    }

    public override func profile(_ input: [Int], _ profiler: inout Profiler) -> [Int] {
        profiler.record(
            kind: "linear", output: [input[0], outFeatures], params: weight.value.count + (bias?.value.count ?? 0),
            macs: input[0] * inFeatures * outFeatures)
        return [input[0], outFeatures]
    }
}

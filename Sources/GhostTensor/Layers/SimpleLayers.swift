/// ReLU activation (`nn.ReLU`).
public final class ReLU: Module {
    public override init() {}
    public override func forward(_ x: Tensor) -> Tensor { Elementwise.relu(x) }
    public override func profile(_ input: [Int], _ profiler: inout Profiler) -> [Int] {
        profiler.record(kind: "relu", output: input, params: 0, macs: 0)
        return input
    }
}

/// Max pooling (`nn.MaxPool2d`).
public final class MaxPool2D: Module {
    public let kernel, stride, padding: Int
    public init(kernel: Int, stride: Int, padding: Int = 0) { self.kernel = kernel; self.stride = stride; self.padding = padding }
    public override func forward(_ x: Tensor) -> Tensor { Pooling.maxPool(x, kernel: kernel, stride: stride, padding: padding) }
    public override func profile(_ input: [Int], _ profiler: inout Profiler) -> [Int] {
        let out = [input[0], input[1], Pooling.outputSize(input[2], kernel: kernel, stride: stride, padding: padding),
                   Pooling.outputSize(input[3], kernel: kernel, stride: stride, padding: padding)]
        profiler.record(kind: "maxpool", output: out, params: 0, macs: 0)
        return out
    }
}

/// Average pooling (`nn.AvgPool2d`, count_include_pad = true).
public final class AvgPool2D: Module {
    public let kernel, stride, padding: Int
    public init(kernel: Int, stride: Int, padding: Int = 0) { self.kernel = kernel; self.stride = stride; self.padding = padding }
    public override func forward(_ x: Tensor) -> Tensor { Pooling.avgPool(x, kernel: kernel, stride: stride, padding: padding) }
    public override func profile(_ input: [Int], _ profiler: inout Profiler) -> [Int] {
        let out = [input[0], input[1], Pooling.outputSize(input[2], kernel: kernel, stride: stride, padding: padding),
                   Pooling.outputSize(input[3], kernel: kernel, stride: stride, padding: padding)]
        profiler.record(kind: "avgpool", output: out, params: 0, macs: 0)
        return out
    }
}

/// Global average pooling followed by flattening: [N, C, H, W] → [N, C]
/// (`nn.AdaptiveAvgPool2d(1)` + `torch.flatten(x, 1)`).
public final class GlobalAvgPool: Module {
    public override init() {}
    public override func forward(_ x: Tensor) -> Tensor { Pooling.globalAvgPool(x) }
    public override func profile(_ input: [Int], _ profiler: inout Profiler) -> [Int] {
        profiler.record(kind: "avgpool", output: [input[0], input[1]], params: 0, macs: 0)
        return [input[0], input[1]]
    }
}

/// Fully connected layer (`nn.Linear`): y = x·Wᵀ + b with weight [out, in], on sgemm.
public final class Linear: Module {
    public let weight: Parameter
    public let bias: Parameter?

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
        let N = x.shape[0], O = outFeatures
        let y = Tensor(uninitialized: [N, O])
        if let b = bias?.value { for n in 0..<N { (y.pointer + n * O).update(from: b.pointer, count: O) } }
        sgemm(transB: true, m: N, n: O, k: inFeatures, a: x.pointer, lda: inFeatures, b: weight.value.pointer,
              ldb: inFeatures, beta: bias == nil ? 0 : 1, c: y.pointer, ldc: O)
        return y
    }

    public override func profile(_ input: [Int], _ profiler: inout Profiler) -> [Int] {
        profiler.record(kind: "linear", output: [input[0], outFeatures], params: weight.value.count + (bias?.value.count ?? 0),
                        macs: input[0] * inFeatures * outFeatures)
        return [input[0], outFeatures]
    }
}

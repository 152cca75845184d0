import GhostTensor

/// A ResNet (He et al. 2016) with torchvision's state-dict names.
///
/// One class covers the ImageNet ResNets (7×7/2 stem + max-pool, four stages), the same with a
/// "CIFAR stem" (3×3/1, no max-pool), width multipliers, and the CIFAR ResNet-6n+2 family
/// (three stages of 16/32/64 channels). Build them through `Architecture`.
public final class ResNet: ImageClassifier {
    public let conv1: Conv2D
    public let bn1: BatchNorm2D
    public let maxpool: MaxPool2D?
    /// layer1, layer2, … (each a Sequential of blocks).
    public let stages: [Sequential]
    public let pool = GlobalAvgPool()
    public let fc: Linear

    // `observer` receives ("stem", …), ("layer1.0", …) … ("layer4.1", …), ("pool", …), ("fc", …); with
    // `observeInsideBlocks` also the conv, BN and ReLU outputs inside every block ("layer1.0.conv1", …; those
    // blocks then run unfused, about twice as slow).

    public init(
        bottleneck: Bool, blocks: [Int], widths: [Int], stemWidth: Int, stemKernel: Int, stemStride: Int,
        stemBias: Bool = false, maxPool: Bool, inChannels: Int, numClasses: Int, shortcut: Shortcut,
        ghost: GhostSettings? = nil, seed: UInt64 = 0
    ) {
        var rng = SplitMix64(seed: seed)
        conv1 = Conv2D(
            inChannels, stemWidth, kernel: stemKernel, stride: stemStride, padding: stemKernel / 2,
            bias: stemBias, rng: &rng)
        bn1 = BatchNorm2D(stemWidth)
        maxpool = maxPool ? MaxPool2D(kernel: 3, stride: 2, padding: 1) : nil
        var inC = stemWidth
        var stages: [Sequential] = []
        for (i, (count, planes)) in zip(blocks, widths).enumerated() {
            var layer: [Module] = []
            for b in 0..<count {
                let stride = (b == 0 && i > 0) ? 2 : 1
                if let g = ghost, g.converts(block: "layer\(i + 1).\(b)") {
                    layer.append(
                        bottleneck
                            ? GhostResNetBottleneck(
                                inChannels: inC, planes: planes, stride: stride, shortcut: shortcut, ghost: g,
                                name: "layer\(i + 1).\(b)", rng: &rng)
                            : GhostResNetBasicBlock(
                                inChannels: inC, planes: planes, stride: stride, shortcut: shortcut, ghost: g,
                                name: "layer\(i + 1).\(b)", rng: &rng))
                    inC = bottleneck ? planes * Bottleneck.expansion : planes
                } else if bottleneck {
                    layer.append(
                        Bottleneck(inChannels: inC, planes: planes, stride: stride, shortcut: shortcut, rng: &rng))
                    inC = planes * Bottleneck.expansion
                } else {
                    layer.append(
                        BasicBlock(inChannels: inC, planes: planes, stride: stride, shortcut: shortcut, rng: &rng))
                    inC = planes
                }
            }
            stages.append(Sequential(layer))
        }
        self.stages = stages
        fc = Linear(inC, numClasses, rng: &rng)
        conv1.needsInputGradient = false
    }

    public override var children: [(String, Module)] {
        [("conv1", conv1), ("bn1", bn1)] + stages.enumerated().map { ("layer\($0.offset + 1)", $0.element) } + [
            ("fc", fc)
        ]
    }

    /// The stem's ReLU output, saved for backward in training mode.
    private var savedStem: Tensor?

    /// Stem: conv1 → bn1 → ReLU (→ max-pool).
    public func stem(_ x: Tensor) -> Tensor {
        let y = convBN(conv1, bn1, x, relu: true)
        if training { savedStem = y }
        return maxpool.map { $0(y) } ?? y
    }

    /// Backward through the whole network from dL/d(logits); returns dL/d(input) (zeros when
    /// conv1.needsInputGradient is false, the default for training).
    public override func backward(_ gradOutput: Tensor) -> Tensor {
        var g = pool.backward(fc.backward(gradOutput))
        for stage in stages.reversed() { g = stage.backward(g) }
        if let mp = maxpool { g = mp.backward(g) }
        guard let s = savedStem else { preconditionFailure("ResNet.backward without a training-mode forward") }
        savedStem = nil
        return conv1.backward(bn1.backward(ElementwiseBackward.relu(output: s, gradOutput: g)))
    }

    public override func forward(_ x: Tensor) -> Tensor {
        var y = stem(x)
        observer?("stem", y)
        for (i, stage) in stages.enumerated() {
            for (j, block) in stage.layers.enumerated() {
                if let plain = block as? PlainResidualBlock {
                    plain.observer =
                        observeInsideBlocks ? observer.map { o in { o("layer\(i + 1).\(j).\($0)", $1) } } : nil
                }
                y = block(y)
                observer?("layer\(i + 1).\(j)", y)
            }
        }
        let pooled = pool(y)
        observer?("pool", pooled)
        let logits = fc(pooled)
        observer?("fc", logits)
        return logits
    }

    public override func profile(_ input: [Int], _ profiler: inout Profiler) -> [Int] {
        var shape = profiler.nest("conv1") { conv1.profile(input, &$0) }
        shape = profiler.nest("bn1") { bn1.profile(shape, &$0) }
        if let mp = maxpool { shape = profiler.nest("maxpool") { mp.profile(shape, &$0) } }
        for (i, stage) in stages.enumerated() { shape = profiler.nest("layer\(i + 1)") { stage.profile(shape, &$0) } }
        shape = profiler.nest("avgpool") { pool.profile(shape, &$0) }
        return profiler.nest("fc") { fc.profile(shape, &$0) }
    }

    /// Every name `observer` can receive, in forward order: "stem", then per block its inner layers
    /// ("layer1.0.conv1", "layer1.0.bn1", "layer1.0.relu1", …) and its output ("layer1.0"), then "pool", "fc".
    public override var layerNames: [String] {
        var names = ["stem"]
        for (i, stage) in stages.enumerated() {
            for (j, block) in stage.layers.enumerated() {
                let inner = (block as? PlainResidualBlock)?.innerLayerNames ?? []
                names += inner.map { "layer\(i + 1).\(j).\($0)" } + ["layer\(i + 1).\(j)"]
            }
        }
        return names + ["pool", "fc"]
    }

    /// Names of every residual block output ("layer1.0", …), in forward order.
    public override var blockNames: [String] {
        stages.enumerated().flatMap { i, s in s.layers.indices.map { "layer\(i + 1).\($0)" } }
    }
}

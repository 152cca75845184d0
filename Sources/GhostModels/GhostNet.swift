import GhostTensor

/// GhostNet (Han et al., CVPR 2020, Table 1; official `ghostnet.py`) with the official state-dict names:
/// `conv_stem`, `bn1`, `blocks.0.0.ghost1.primary_conv.0.weight`, …, `blocks.9.0.conv` (1×1 to 960·α),
/// `conv_head` (1×1 to 1280, bias), `classifier`.
///
/// 3×3/2 stem conv (16·α) + BN + act → the G-bneck stages of `table` → 1×1 conv + BN + act → global average
/// pool → 1×1 conv to 1280 + act → linear classifier. Channel counts are `makeDivisible(c·α, 4)`. The small-image
/// variant (`smallImages`, `--stem cifar`) only drops the stem's stride: the four stride-2 G-bnecks are kept,
/// so 32×32 inputs end at 2×2 (total stride 16, not 32). Dropout before the classifier (0.2 in the official
/// training) is not applied: eval-mode outputs are identical, training runs without it.
public final class GhostNet: ImageClassifier {
    /// One G-bneck row: depthwise kernel, expansion size ("#exp"), output channels ("#out"), SE, stride.
    public struct Row {
        public let kernel, expansion, out: Int
        public let se: Bool
        public let stride: Int
        init(_ k: Int, _ exp: Int, _ out: Int, _ se: Bool, _ s: Int) {
            kernel = k
            expansion = exp
            self.out = out
            self.se = se
            stride = s
        }
    }

    /// The paper's Table 1 (the official `cfgs`), one array per stage (`blocks.0` … `blocks.8`).
    public static let table: [[Row]] = [
        [Row(3, 16, 16, false, 1)],
        [Row(3, 48, 24, false, 2)],
        [Row(3, 72, 24, false, 1)],
        [Row(5, 72, 40, true, 2)],
        [Row(5, 120, 40, true, 1)],
        [Row(3, 240, 80, false, 2)],
        [
            Row(3, 200, 80, false, 1), Row(3, 184, 80, false, 1), Row(3, 184, 80, false, 1), Row(3, 480, 112, true, 1),
            Row(3, 672, 112, true, 1),
        ],
        [Row(5, 672, 160, true, 2)],
        [Row(5, 960, 160, false, 1), Row(5, 960, 160, true, 1), Row(5, 960, 160, false, 1), Row(5, 960, 160, true, 1)],
    ]
    /// Width of the last 1×1 conv before pooling (×α) and of `conv_head` (not scaled, as in the official code).
    public static let finalWidth = 960, headWidth = 1280

    public let convStem: Conv2D
    public let bn1: BatchNorm2D
    public let act1: Activation
    /// `blocks.0` … `blocks.8`: the G-bneck stages.
    public let stages: [Sequential]
    /// `blocks.9.0`: 1×1 conv + BN + act to 960·α channels.
    public let lastConv: ConvBnAct
    let blocks: Sequential
    public let pool = GlobalAvgPool()
    public let convHead: Conv2D
    public let act2: Activation
    public let classifier: Linear

    public init(
        width: Double = 1, smallImages: Bool = false, inChannels: Int = 3, numClasses: Int = 1000,
        activation: Activation.Kind = .relu, attention: Attention = .officialSE, seed: UInt64 = 0
    ) {
        precondition(width > 0, "GhostNet width multiplier must be > 0")
        var rng = SplitMix64(seed: seed)
        let scaled = { (c: Int) in makeDivisible(Double(c) * width, 4) }
        var c = scaled(16)
        convStem = Conv2D(inChannels, c, kernel: 3, stride: smallImages ? 1 : 2, padding: 1, rng: &rng)
        bn1 = BatchNorm2D(c)
        act1 = Activation(activation)
        stages = Self.table.map { rows in
            Sequential(
                rows.map { row in
                    defer { c = scaled(row.out) }
                    return GhostBottleneck(
                        inChannels: c, midChannels: scaled(row.expansion), outChannels: scaled(row.out),
                        kernel: row.kernel, stride: row.stride, attention: row.se ? attention : .none, rng: &rng)
                })
        }
        lastConv = ConvBnAct(c, scaled(Self.finalWidth), kernel: 1, activation: activation, rng: &rng)
        blocks = Sequential(stages + [Sequential([lastConv])])
        convHead = Conv2D(scaled(Self.finalWidth), Self.headWidth, kernel: 1, bias: true, rng: &rng)
        act2 = Activation(activation)
        classifier = Linear(Self.headWidth, numClasses, rng: &rng)
        convStem.needsInputGradient = false
    }

    public override var children: [(String, Module)] {
        [
            ("conv_stem", convStem), ("bn1", bn1), ("act1", act1), ("blocks", blocks), ("conv_head", convHead),
            ("act2", act2),
            ("classifier", classifier),
        ]
    }

    public override func forward(_ x: Tensor) -> Tensor {
        var y = act1.kind == .relu && !training ? convBN(convStem, bn1, x, relu: true) : act1(bn1(convStem(x)))
        observer?("stem", y)
        for (i, stage) in stages.enumerated() {
            for (j, block) in stage.layers.enumerated() {
                y = block(y)
                observer?("blocks.\(i).\(j)", y)
            }
        }
        y = lastConv(y)
        observer?("blocks.9", y)
        let pooled = pool(y)
        observer?("pool", pooled)
        let N = pooled.shape[0]
        let head = act2(convHead(pooled.reshaped([N, pooled.shape[1], 1, 1]))).reshaped([N, Self.headWidth])
        observer?("conv_head", head)
        let logits = classifier(head)
        observer?("classifier", logits)
        return logits
    }

    public override func backward(_ gradOutput: Tensor) -> Tensor {
        let N = gradOutput.shape[0]
        var g = classifier.backward(gradOutput).reshaped([N, Self.headWidth, 1, 1])
        g = convHead.backward(act2.backward(g))
        g = blocks.backward(pool.backward(g.reshaped([N, g.shape[1]])))
        return convStem.backward(bn1.backward(act1.backward(g)))
    }

    public override func profile(_ input: [Int], _ profiler: inout Profiler) -> [Int] {
        var shape = profiler.nest("conv_stem") { convStem.profile(input, &$0) }
        shape = profiler.nest("bn1") { bn1.profile(shape, &$0) }
        shape = profiler.nest("blocks") { blocks.profile(shape, &$0) }
        shape = profiler.nest("global_pool") { pool.profile(shape, &$0) }
        shape = profiler.nest("conv_head") { convHead.profile(shape + [1, 1], &$0) }
        return profiler.nest("classifier") { classifier.profile([shape[0], shape[1]], &$0) }
    }

    public override var blockNames: [String] {
        stages.enumerated().flatMap { i, s in s.layers.indices.map { "blocks.\(i).\($0)" } }
    }

    public override var headNames: [String] { ["pool", "conv_head", "classifier"] }

    public override var layerNames: [String] {
        ["stem"] + blockNames + ["blocks.9", "pool", "conv_head", "classifier"]
    }
}

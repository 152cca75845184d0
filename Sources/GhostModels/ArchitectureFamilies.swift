import GhostTensor

/// The first layer of a ResNet or GhostNet: ImageNet's (ResNet 7×7/2 conv + max-pool, GhostNet 3×3/2) or the
/// small-image one (a 3×3 stride-1 conv, no max-pool) for 28–32 px inputs.
public enum Stem: String, Codable, CaseIterable {
    case imagenet, cifar
}

/// Where a ResNet's stages come from: torchvision's four-stage layout (depth 18…152, any width, either stem) or the
/// CIFAR ResNet-6n+2 (three BasicBlock stages of 16/32/64 channels).
public enum ResNetLayout: Equatable {
    case imagenet(stem: Stem, width: Double)
    case cifar(shortcut: Shortcut)

    /// Whether this is the CIFAR ResNet-6n+2 layout.
    public var isCIFAR: Bool {
        if case .cifar = self { return true }
        return false
    }
}

/// A ResNet or Ghost-ResNet: depth, stage layout, stem-conv bias and (for a Ghost-ResNet) its Ghost modules' s, d.
public struct ResNetConfig: Equatable {
    public var depth: Int
    public var layout: ResNetLayout
    /// Whether the stem conv has a bias (some public CIFAR code bases).
    public var stemBias: Bool
    /// Ghost-ResNet: every conv but the stem (the 1×1 projections included) is a Ghost module with these s and d.
    public var ghost: GhostSettings?

    public init(depth: Int, layout: ResNetLayout, stemBias: Bool = false, ghost: GhostSettings? = nil) {
        (self.depth, self.layout, self.stemBias, self.ghost) = (depth, layout, stemBias, ghost)
    }

    /// Whether the blocks are bottlenecks (ResNet-50 and deeper).
    public var bottleneck: Bool {
        if case .imagenet = layout { return Architecture.imagenetDepths[depth]?.bottleneck ?? false }
        return false
    }

    /// Blocks per stage.
    public var stageBlocks: [Int] {
        switch layout {
        case .imagenet: return Architecture.imagenetDepths[depth]?.blocks ?? []
        case .cifar: return [Int](repeating: (depth - 2) / 6, count: 3)
        }
    }

    /// The convs of one block that a Ghost module can replace.
    public var blockConvs: [String] {
        bottleneck ? ["conv1", "conv2", "conv3", "downsample"] : ["conv1", "conv2", "downsample"]
    }
}

/// GhostNet (Han et al. 2020, Table 1): width α, stem, the activation of the stem, the last 1×1 conv and the head
/// (the Ghost modules and SE's hidden layer use ReLU, as in the official code) and the attention of the SE rows.
public struct GhostNetConfig: Equatable {
    public var stem: Stem
    public var width: Double
    public var activation: Activation.Kind
    public var attention: Attention

    public init(stem: Stem = .imagenet, width: Double = 1, activation: Activation.Kind = .relu,
                attention: Attention = .officialSE) {
        (self.stem, self.width, self.activation, self.attention) = (stem, width, activation, attention)
    }
}

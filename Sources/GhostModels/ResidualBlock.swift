import GhostTensor

/// A plain residual block of a ResNet (BasicBlock, Bottleneck): its conv + BN units, as the converter replaces them,
/// and the outputs inside it that an observer can receive.
public protocol PlainResidualBlock: Module {
    /// Each conv with the BN after it and whether a ReLU follows, named as in the state dict ("conv1", "downsample").
    var convUnits: [(name: String, conv: Conv2D, bn: BatchNorm2D, relu: Bool)] { get }
    /// Names of the outputs inside the block ("conv1", "bn1", "relu1", …, "downsample" when it projects).
    var innerLayerNames: [String] { get }
    /// Receives the outputs inside the block during an eval-mode forward when set.
    var observer: ((String, Tensor) -> Void)? { get set }
}

/// A residual block of a Ghost-ResNet: its Ghost modules, named after the convs they replace.
public protocol GhostResidualBlock: Module {
    var ghostUnits: [(name: String, module: GhostModule)] { get }
}

import GhostTensor

/// What the commands need of a classifier network, whatever its family (ResNet, GhostNet): forward reports named
/// intermediate outputs to `observer` ("stem", block outputs, "pool", the logits), and the names it can report.
public class ImageClassifier: Module {
    /// Called with (name, output) during forward when set: the hook used to dump activations.
    public var observer: ((String, Tensor) -> Void)?
    /// Also report layers inside blocks, where the family supports it (ResNet: "layer1.0.conv1", …).
    public var observeInsideBlocks = false

    /// Every name `observer` can receive, in forward order.
    public var layerNames: [String] { [] }

    /// Names of the block outputs (the default layers of dump and scan), in forward order.
    public var blockNames: [String] { [] }

    /// Names of the outputs after global pooling ([N, C], not feature maps; scan skips them).
    public var headNames: [String] { ["pool", "fc"] }
}

import GhostConvert
import GhostIO
import GhostModels
import GhostTensor

/// The "intrinsic vs ghost" figure of a conversion: one converted conv's feature maps for one image, in the
/// original ResNet (its BN output, after the ReLU where the conv had one) and in the Ghost-ResNet (the Ghost
/// module's output), with the channels the Ghost model regenerates by its cheap operation outlined in both.
public struct ConversionGrids {
    /// Name of the converted conv ("layer1.0.conv1", "layer2.0.downsample").
    public let unit: String
    /// [C, H, W] maps of the original and of the Ghost model; the same channel order (the conversion keeps it).
    public let original: Tensor, ghost: Tensor
    /// Channels produced by the cheap operation in the Ghost model.
    public let ghostChannels: [Int]

    /// Runs `image` [1, C, H, W] (normalised) through both models and captures `unit` (nil: the first converted conv).
    public init(original: ResNet, ghost: ResNet, unit: String?, image: Tensor) throws {
        let sites = try ResNetToGhost.sites(original: original, ghost: ghost)
        let name = try Self.unit(unit, among: sites.map(\.name))
        let site = sites.first { $0.name == name }!
        var captured: Tensor?
        ResNetToGhost.collect(original, [image], sites: [site]) { captured = $0[site.observed] }
        guard var a = captured else { throw GhostError("\(site.observed) was not observed") }
        if site.relu { a = Elementwise.relu(a) }
        var b: Tensor?
        ghost.train(false)
        site.module.observer = { b = $0 }
        _ = ghost(image)
        site.module.observer = nil
        guard let b else { throw GhostError("\(site.name): the Ghost module did not run") }
        self.unit = site.name
        self.original = a.reshaped(Array(a.shape.dropFirst()))
        self.ghost = b.reshaped(Array(b.shape.dropFirst()))
        ghostChannels = site.module.ghostChannels
    }

    /// The converted conv to draw: `requested`, or the first of `converted`; an unknown name is an error.
    public static func unit(_ requested: String?, among converted: [String]) throws -> String {
        guard let name = requested ?? converted.first, converted.contains(name) else {
            throw GhostError("no converted conv named '\(requested ?? "")' (converted: \(converted.prefix(4).joined(separator: ", "))…)")
        }
        return name
    }

    /// The two PNG grids (gray, per-map scaling), ghost channels outlined in red.
    public func render() -> (original: RGBImage, ghost: RGBImage) {
        var grid = FeatureMapGrid()
        grid.highlights = ghostChannels.map { ($0, RGBImage.Color.red) }
        return (grid.render(original), grid.render(ghost))
    }
}

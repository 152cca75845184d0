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
            throw GhostError(
                "no converted conv named '\(requested ?? "")' "
                    + "(converted: \(converted.prefix(4).joined(separator: ", "))…)"
            )
        }
        return name
    }

    /// The two grids (grey, per-map scaling), the cheap-operation channels outlined in red; each titled with
    /// its model (`originalName`, `ghostName`), the conv and, when given, the image shown.
    public func render(
        originalName: String = "original ResNet", ghostName: String = "Ghost-ResNet",
        image: String? = nil
    ) -> (original: Figure, ghost: Figure) {
        func grid(_ maps: Tensor, _ model: String, _ what: String) -> Figure {
            var g = FeatureMapGrid()
            g.highlights = ghostChannels.map { ($0, Color.red) }
            let (C, H, W) = (maps.shape[0], maps.shape[1], maps.shape[2])
            g.title = ([model, unit + " " + what] + (image.map { [$0] } ?? []) + ["\(C) maps of \(H)×\(W)"])
                .joined(separator: " · ")
            g.notes = [
                (
                    text: "red outline: the \(ghostChannels.count) of \(C) channels the Ghost model makes by its "
                        + "cheap depthwise operation (same channels in both grids)", color: .red
                )
            ]
            return g.render(maps)
        }
        return (
            grid(original, originalName, "(conv → BN output)"),
            grid(ghost, ghostName, "(Ghost module output)")
        )
    }
}

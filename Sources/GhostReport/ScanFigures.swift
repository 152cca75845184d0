import Foundation
import GhostAnalysis
import GhostIO
import GhostTensor

/// The scan's figures: the per-layer redundancy bar chart, the Figure-1 grid and the pair close-ups.
public enum ScanFigures {
    /// Outline colours of the first three pairs (their names are the file and fit-kernels labels).
    public static let pairColors: [(name: String, color: Color)] = [("red", .red), ("green", .green), ("blue", .blue)]

    /// Smallest map side a Figure-1 layer should have: smaller maps show nothing.
    public static let minimumFigureSide = 7

    /// The layer Figure 1 shows: `preferred` when its maps are at least `minimumFigureSide` on both sides,
    /// else the deepest scanned layer whose maps are (layers in network order), else the largest maps.
    public static func figureLayer(preferred: String?, layers: [(name: String, height: Int, width: Int)]) -> String? {
        func big(_ l: (name: String, height: Int, width: Int)) -> Bool {
            min(l.height, l.width) >= minimumFigureSide
        }
        if let p = preferred, let l = layers.first(where: { $0.name == p }), big(l) { return p }
        if let l = layers.last(where: big) { return l.name }
        return layers.max { $0.height * $0.width < $1.height * $1.width }?.name
    }

    /// redundancy.png/.svg/.pdf: the share of channels with a ghost partner, per layer.
    public static func writeRedundancy(_ report: ScanReport, to dir: String) throws -> [String] {
        var chart = BarChart(
            title: "\(report.model): channels with a ghost partner per layer",
            valueLabel: "fraction of channels with |r| ≥ \(report.f2(Double(report.threshold)))",
            bars: report.layers.map { (label: $0.layer, value: $0.fractionWithPartner) }, valueRange: 0...1)
        chart.notes = [
            "Pearson r over \(report.images) test images; a channel counts when some other channel of its "
                + "layer reaches the threshold"
        ]
        return try chart.render().write(to: dir + "/redundancy.png")
    }

    /// Writes figure1 and pair-<colour> (PNG, SVG, PDF) for the first three pairs of `layer`; returns the paths.
    /// `model`, `image` and `label` name what is shown in the titles.
    public static func write(
        maps: GhostTensor.Tensor, layer: LayerRedundancy, to dir: String, model: String = "",
        image: Int? = nil, label: String? = nil
    ) throws -> [String] {
        let (C, H, W) = (maps.shape[0], maps.shape[1], maps.shape[2])
        let pairs = Array(layer.topPairs.prefix(3))
        var grid = FeatureMapGrid()
        for (p, c) in zip(pairs, pairColors) { grid.highlights += [(p.a, c.color), (p.b, c.color)] }
        let imageText = image.map { "test image \($0)" + (label.map { " (\($0))" } ?? "") }
        grid.title =
            ([model.isEmpty ? nil : model, layer.layer, imageText].compactMap { $0 } + ["\(C) maps of \(H)×\(W)"])
            .joined(separator: " · ")
        grid.notes = zip(pairs, pairColors).map { p, c in
            (
                text: "\(c.name) outline: ch \(p.a) ~ ch \(p.b), r = \(String(format: "%.3f", p.correlation))",
                color: c.color
            )
        }
        var paths = try grid.render(maps).write(to: dir + "/figure1.png")
        for (p, c) in zip(pairs, pairColors) {
            let two = GhostTensor.Tensor(uninitialized: [2, H, W])
            two.uncheckedMutablePointer.update(from: maps.readPointer + p.a * H * W, count: H * W)
            (two.uncheckedMutablePointer + H * W).update(from: maps.uncheckedMutablePointer + p.b * H * W, count: H * W)
            var g = FeatureMapGrid()
            g.columns = 2
            g.scale = max(1, 180 / Double(max(W, 1)))
            g.padding = 10
            g.highlights = [(0, c.color), (1, c.color)]
            g.cellLabels = ["ch \(p.a)", "ch \(p.b)"]
            g.title = "\(layer.layer): ch \(p.a) ~ ch \(p.b), r = \(String(format: "%.3f", p.correlation))"
            g.notes = [
                (
                    text: [model.isEmpty ? nil : model, imageText].compactMap { $0 }.joined(separator: " · "),
                    color: .darkGray
                )
            ].filter { !$0.text.isEmpty }
            paths += try g.render(two).write(to: dir + "/pair-\(c.name).png")
        }
        return paths
    }

    /// The figures of `report`'s grid layer, titled with the report's model and image.
    public static func write(
        maps: GhostTensor.Tensor, layer: LayerRedundancy, report: ScanReport, label: String? = nil,
        to dir: String
    ) throws -> [String] {
        try write(maps: maps, layer: layer, to: dir, model: report.model, image: report.imageIndex, label: label)
    }
}

import Foundation
import GhostAnalysis
import GhostIO
import GhostTensor

/// The Figure-1 grid and the pair close-ups.
public enum ScanFigures {
    public static let pairColors: [(name: String, color: RGBImage.Color)] = [("red", .red), ("green", .green), ("blue", .blue)]

    /// redundancy.png: the share of channels with a ghost partner, per layer.
    public static func writeRedundancy(_ report: ScanReport, to dir: String) throws -> [String] {
        let chart = BarChart(title: "\(report.model): channels with a ghost partner (r ≥ \(report.f2(Double(report.threshold))))",
                             valueLabel: "fraction of channels",
                             bars: report.layers.map { (label: $0.layer, value: $0.fractionWithPartner) }, valueRange: 0...1)
        try PNGFile.write(chart.render(), to: dir + "/redundancy.png")
        return [dir + "/redundancy.png"]
    }

    /// Writes figure1.png and pair-<colour>.png for the first three pairs of `layer`; returns the paths.
    public static func write(maps: GhostTensor.Tensor, layer: LayerRedundancy, to dir: String) throws -> [String] {
        var grid = FeatureMapGrid()
        let pairs = Array(layer.topPairs.prefix(3))
        for (p, c) in zip(pairs, pairColors) { grid.highlights += [(p.a, c.color), (p.b, c.color)] }
        try PNGFile.write(grid.render(maps), to: dir + "/figure1.png")
        var paths = [dir + "/figure1.png"]
        let (H, W) = (maps.shape[1], maps.shape[2])
        for (p, c) in zip(pairs, pairColors) {
            let two = GhostTensor.Tensor(uninitialized: [2, H, W])
            two.pointer.update(from: maps.pointer + p.a * H * W, count: H * W)
            (two.pointer + H * W).update(from: maps.pointer + p.b * H * W, count: H * W)
            var g = FeatureMapGrid()
            g.columns = 2
            g.scale = max(1, 160 / max(W, 1))
            g.padding = 8
            g.highlights = [(0, c.color), (1, c.color)]
            let caption = "\(layer.layer) ch \(p.a) ~ ch \(p.b), r = \(String(format: "%.3f", p.correlation))"
            try PNGFile.write(captioned(g.render(two), caption), to: dir + "/pair-\(c.name).png")
            paths.append(dir + "/pair-\(c.name).png")
        }
        return paths
    }

    /// `img` below a one-line caption.
    public static func captioned(_ img: RGBImage, _ caption: String) -> RGBImage {
        var framed = RGBImage(width: max(img.width, RGBImage.textWidth(caption, scale: 2) + 16), height: img.height + 30)
        framed.text(caption, x: 8, y: 6, scale: 2)
        for y in 0..<img.height { for x in 0..<img.width { framed.set(x, y + 30, img.get(x, y)) } }
        return framed
    }
}

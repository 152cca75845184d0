import Foundation
import GhostAnalysis
import GhostIO
import GhostTensor

/// The fit-kernels figures: MSE against the kernel size d, and the source · target · fit triplets.
public enum FitKernelsFigures {
    /// Writes mse-vs-d (PNG, SVG, PDF) into `dir`; returns the paths.
    public static func write(_ report: FitKernelsReport, to dir: String) throws -> [String] {
        try plot(report).render(width: 780, height: 460).write(to: dir + "/mse-vs-d.png")
    }

    /// MSE (× 10⁻³) against d: the three Figure-1 pairs, and the median ghost and random pairs; ticks at
    /// the fitted d only, the legend right of the data.
    public static func plot(_ r: FitKernelsReport) -> LinePlot {
        var series: [LinePlot.Series] = []
        let colors: [String: Color] = ["red": .red, "green": .green, "blue": .blue]
        let markers: [String: Marker] = ["red": .circle, "green": .square, "blue": .triangle]
        for p in r.labelled {
            series.append(
                .init(
                    name: "\(p.label!) pair: ch \(p.a) → ch \(p.b)",
                    points: p.fits.map { (Double($0.d), $0.mse * 1e3) },
                    color: colors[p.label!] ?? .black, marker: markers[p.label!] ?? .circle))
        }
        series.append(
            .init(
                name: "median of ghost pairs",
                points: zip(r.sizes, r.quartiles(.ghost)).map { (Double($0), $1[1] * 1e3) },
                color: .black, marker: .diamond))
        series.append(
            .init(
                name: "median of random pairs",
                points: zip(r.sizes, r.quartiles(.random)).map { (Double($0), $1[1] * 1e3) },
                color: Color(140, 140, 140), marker: .invertedTriangle, dash: [5, 3]))
        var plot = LinePlot(
            title: "\(r.model): MSE of d×d depthwise fits, \(r.tableLayer)", xLabel: "kernel size d",
            yLabel: "MSE × 10⁻³", series: series)
        plot.notes = [
            "\(r.normalization.rawValue) maps, \(r.images) images, \(r.bias ? "with" : "no") bias; "
                + "lower is a better linear reconstruction of the target from the source"
        ]
        plot.integerX = true
        plot.xTicks = r.sizes.map(Double.init)
        return plot
    }

    /// The triplet figure of one pair: source map, target map, and the d×d fit of the target from the
    /// source, on one shared grey scale, each panel labelled.
    public static func triplet(
        layer: String, source a: Int, target b: Int,
        maps: (
            source: [Double], target: [Double],
            fitted: [Double]
        ), height: Int, width: Int, d: Int, mse: Double, model: String = "",
        image: Int? = nil
    ) -> Figure {
        let three = Tensor(
            shape: [3, height, width], values: (maps.source + maps.target + maps.fitted).map { Float($0) })
        var grid = FeatureMapGrid()
        grid.columns = 3
        grid.scale = max(1, 170 / Double(max(width, 1)))
        grid.padding = 12
        grid.normalization = .global
        grid.cellLabels = [
            "source · ch \(a)", "target · ch \(b)",
            "\(d)×\(d) fit (MSE \(String(format: "%.2f", mse * 1e3))×10⁻³)",
        ]
        grid.title = "\(layer): ch \(b) reconstructed from ch \(a) by a \(d)×\(d) depthwise kernel"
        let what = [model.isEmpty ? nil : model, image.map { "test image \($0)" }].compactMap { $0 }
        grid.notes = [
            (
                text: (what + ["source · target · d×d fit, one shared grey scale"]).joined(separator: " · "),
                color: .darkGray
            )
        ]
        return grid.render(three)
    }
}

import Foundation
import GhostAnalysis
import GhostIO

/// The fit-kernels figure: MSE against the kernel size d.
public enum FitKernelsFigures {
    /// Writes mse-vs-d.png into `dir`; returns the paths.
    public static func write(_ report: FitKernelsReport, to dir: String) throws -> [String] {
        try PNGFile.write(plot(report).render(width: 900, height: 560), to: dir + "/mse-vs-d.png")
        return [dir + "/mse-vs-d.png"]
    }

    /// MSE (× 10⁻³) against d: the three Figure-1 pairs, and the median ghost and random pairs.
    public static func plot(_ r: FitKernelsReport) -> LinePlot {
        var series: [LinePlot.Series] = []
        let colors: [String: RGBImage.Color] = ["red": .red, "green": .green, "blue": .blue]
        for p in r.labelled {
            series.append(.init(name: "\(p.label!) \(p.a)→\(p.b)", points: p.fits.map { (Double($0.d), $0.mse * 1e3) },
                                color: colors[p.label!] ?? .black))
        }
        series.append(.init(name: "median ghost pairs", points: zip(r.sizes, r.quartiles(.ghost)).map { (Double($0), $1[1] * 1e3) }, color: .black))
        series.append(.init(name: "median random pairs", points: zip(r.sizes, r.quartiles(.random)).map { (Double($0), $1[1] * 1e3) },
                            color: RGBImage.Color(150, 150, 150)))
        var plot = LinePlot(title: "\(r.model): MSE of d×d depthwise fits (\(r.normalization.rawValue) maps)", xLabel: "kernel size d",
                            yLabel: "MSE × 1e-3", series: series)
        plot.integerX = true
        return plot
    }
}

import Foundation
import GhostIO
import GhostTensor
import GhostTrain

/// Figures that compare runs: training curves of several models on shared axes, and the paper's Fig. 6
/// style accuracy-vs-MACs trade-off of named models.
public enum ComparisonPlots {
    /// Test accuracy (top) and test loss (bottom) per epoch, one coloured line per run.
    public static func curves(_ runs: [(name: String, history: [EpochRecord])], title: String) -> RGBImage {
        let (w, h) = (900, 1000)
        var img = RGBImage(width: w, height: h)
        func series(_ value: (EpochRecord) -> Double) -> [LinePlot.Series] {
            runs.enumerated().map { i, run in
                LinePlot.Series(name: run.name, points: run.history.map { (x: Double($0.epoch), y: value($0)) },
                                color: RGBImage.Color.palette[i % RGBImage.Color.palette.count])
            }
        }
        var acc = LinePlot(title: title + ": test accuracy", xLabel: "epoch", yLabel: "accuracy (%)", series: series { 100 * $0.testAccuracy })
        var loss = LinePlot(title: title + ": test loss", xLabel: "epoch", yLabel: "cross-entropy", series: series(\.testLoss))
        acc.integerX = true
        loss.integerX = true
        acc.legend = .bottomRight   // accuracy rises towards the top right, where the legend would hide it
        acc.draw(into: &img, x: 0, y: 0, width: w, height: h / 2)
        loss.draw(into: &img, x: 0, y: h / 2, width: w, height: h / 2)
        return img
    }

    /// One labelled marker per model at (MACs in millions, accuracy in %).
    public static func tradeoff(_ points: [(label: String, macs: Double, accuracy: Double)], title: String) -> RGBImage {
        let series = points.enumerated().map { i, p in
            LinePlot.Series(name: p.label, points: [(x: p.macs / 1e6, y: 100 * p.accuracy)],
                            color: RGBImage.Color.palette[i % RGBImage.Color.palette.count], connected: false)
        }
        var plot = LinePlot(title: title, xLabel: "MACs (millions)", yLabel: "test accuracy (%)", series: series)
        plot.legend = .below
        return plot.render(width: 900, height: 560 + 22 * points.count)
    }
}


extension ModelComparison {
    /// The accuracy-vs-MACs figure of these models.
    public func tradeoffPlot(title: String) -> RGBImage {
        ComparisonPlots.tradeoff(models.map { (label: $0.name, macs: Double($0.macs), accuracy: $0.accuracy) }, title: title)
    }
}

import Foundation
import GhostIO
import GhostTensor
import GhostTrain

/// Figures that compare runs: training curves of several models on shared axes, and the paper's Fig. 6
/// style accuracy-vs-MACs trade-off of named models.
public enum ComparisonPlots {
    /// Test accuracy (top) and test loss (bottom) per epoch, one colour and marker per run.
    public static func curves(
        _ runs: [(name: String, history: [EpochRecord])], title: String,
        testImages: Int? = nil
    ) -> Figure {
        let markers = Marker.allCases
        func series(_ value: (EpochRecord) -> Double) -> [LinePlot.Series] {
            runs.enumerated().map { i, run in
                LinePlot.Series(
                    name: run.name, points: run.history.map { (x: Double($0.epoch), y: value($0)) },
                    color: Color.palette[i % Color.palette.count], marker: markers[i % markers.count])
            }
        }
        let note = testImages.map { ["test set: \($0) images"] } ?? []
        var acc = LinePlot(
            title: title + ": test accuracy", xLabel: "epoch", yLabel: "test accuracy (%)",
            series: series { 100 * $0.testAccuracy })
        var loss = LinePlot(
            title: title + ": test loss", xLabel: "epoch", yLabel: "test cross-entropy",
            series: series(\.testLoss))
        acc.notes = note
        acc.integerX = true
        loss.integerX = true
        let (w, h) = (760.0, 780.0)
        return Figure(width: w, height: h, title: title) { c in
            LinePlot.stacked([acc, loss], c, in: Rect(x: 0, y: 0, width: w, height: h))
        }
    }

    /// One marker per model at (MACs in millions, accuracy in %), each model its own colour and shape, the
    /// same in the legend; `testImages` is stated under the title.
    public static func tradeoffPlot(
        _ points: [(label: String, macs: Double, accuracy: Double)], title: String,
        testImages: Int? = nil
    ) -> LinePlot {
        let markers = Marker.allCases
        let series = points.enumerated().map { i, p in
            LinePlot.Series(
                name: p.label, points: [(x: p.macs / 1e6, y: 100 * p.accuracy)],
                color: Color.palette[i % Color.palette.count], connected: false,
                marker: markers[i % markers.count])
        }
        var plot = LinePlot(
            title: title, xLabel: "multiply-accumulates per image (millions)",
            yLabel: "test accuracy (%)", series: series)
        plot.notes = [
            testImages.map { "accuracy on \($0) test images" } ?? "accuracy on the test set (size not recorded)"
        ]
        return plot
    }

    /// The trade-off chart as a figure.
    public static func tradeoff(
        _ points: [(label: String, macs: Double, accuracy: Double)], title: String,
        testImages: Int? = nil
    ) -> Figure {
        let plot = tradeoffPlot(points, title: title, testImages: testImages)
        // A legend too wide for the right goes below the data box: the figure grows by its height.
        let legend = Canvas.measuring { Legend(entries: plot.legendEntries).size($0) }
        return plot.render(width: 760, height: legend.width > 0.38 * 760 ? 400 + legend.height : 440)
    }
}

extension ModelComparison {
    /// The accuracy-vs-MACs figure of these models (`testImages`: how many test images the accuracy used).
    public func tradeoffPlot(title: String, testImages: Int? = nil) -> Figure {
        ComparisonPlots.tradeoff(
            models.map { (label: $0.name, macs: Double($0.macs), accuracy: $0.accuracy) },
            title: title, testImages: testImages ?? models.first?.testImages)
    }
}

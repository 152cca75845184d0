import GhostIO
import GhostTrain

/// The training-curve figure: loss (train, test) above accuracy (train, test), per epoch.
public enum TrainingCurve {
    public static func render(_ history: [EpochRecord], title: String) -> RGBImage {
        let (w, h) = (900, 1000)
        var img = RGBImage(width: w, height: h)
        let epochs = history.map { Double($0.epoch) }
        func series(_ name: String, _ values: [Double], _ color: RGBImage.Color) -> LinePlot.Series {
            LinePlot.Series(name: name, points: Array(zip(epochs, values)).map { (x: $0.0, y: $0.1) }, color: color)
        }
        var loss = LinePlot(title: title + ": loss", xLabel: "epoch", yLabel: "cross-entropy",
                            series: [series("train", history.map(\.trainLoss), RGBImage.Color.palette[0]),
                                     series("test", history.map(\.testLoss), RGBImage.Color.palette[1])])
        loss.integerX = true
        var acc = LinePlot(title: title + ": accuracy", xLabel: "epoch", yLabel: "accuracy (%)",
                           series: [series("train", history.map { 100 * $0.trainAccuracy }, RGBImage.Color.palette[0]),
                                    series("test", history.map { 100 * $0.testAccuracy }, RGBImage.Color.palette[1])])
        acc.integerX = true
        loss.draw(into: &img, x: 0, y: 0, width: w, height: h / 2)
        acc.draw(into: &img, x: 0, y: h / 2, width: w, height: h / 2)
        return img
    }
}

import Foundation
import GhostIO
import GhostTrain

/// What a run minimises, for the loss axis and note of its curves.
public enum TrainingObjective: Sendable {
    /// Cross-entropy against the labels (with label smoothing ε when > 0).
    case crossEntropy(labelSmoothing: Double)
    /// Knowledge distillation: (1 − α)·CE + α·T²·KL(teacher ‖ student).
    case distillation(temperature: Double, weight: Double)

    /// One line saying what the training loss is.
    public var description: String {
        switch self {
        case .crossEntropy(let eps):
            return eps > 0 ? "cross-entropy, label smoothing \(Ticks.format(eps))" : "cross-entropy"
        case .distillation(let t, let a):
            return "distillation (1 − α)·CE + α·T²·KL, α = \(Ticks.format(a)), T = \(Ticks.format(t))"
        }
    }
}

/// The training-curve figure: loss (per step and per epoch, train and test) above accuracy (train, test),
/// against epochs, starting at epoch 0 when the starting model's test numbers are given.
public enum TrainingCurve {
    /// The curves of `history`. `stepLosses`: the training loss of steps (0-based global step index; drawn as a
    /// thin line at epoch (step + 1) / `stepsPerEpoch`);
    /// `start`: the model's test loss and accuracy before the first step; `testImages`: the test-set size.
    public static func render(
        _ history: [EpochRecord], title: String,
        objective: TrainingObjective = .crossEntropy(labelSmoothing: 0),
        stepLosses: [(step: Int, loss: Double)] = [], stepsPerEpoch: Int? = nil,
        start: (testLoss: Double, testAccuracy: Double)? = nil, testImages: Int? = nil
    ) -> Figure {
        let epochs = history.map { Double($0.epoch) }
        let first = Double(history.first?.epoch ?? 1) - 1
        let startX = start.map { _ in [first] } ?? []
        func points(_ values: [Double], _ start: Double?) -> [(x: Double, y: Double)] {
            (start.map { [(x: first, y: $0)] } ?? []) + zip(epochs, values).map { (x: $0.0, y: $0.1) }
        }
        let testNote = testImages.map { " on \($0) test images" } ?? ""
        var loss = LinePlot(title: title + ": loss", xLabel: "epoch", yLabel: "loss", series: [])
        if !stepLosses.isEmpty {
            let per = Double(stepsPerEpoch ?? max(1, stepLosses.count / max(history.count, 1)))
            let pts = stepLosses.map { (x: Double($0.step + 1) / per, y: $0.loss) }
            loss.series.append(.init(name: "train, per step", points: pts, color: Color(160, 190, 225), marker: nil))
        }
        loss.series.append(
            .init(
                name: "train, epoch mean", points: points(history.map(\.trainLoss), nil),
                color: Color.palette[0], marker: .circle))
        loss.series.append(
            .init(
                name: "test (cross-entropy)", points: points(history.map(\.testLoss), start?.testLoss),
                color: Color.palette[1], marker: .square))
        loss.notes = ["training loss: \(objective.description); test loss: cross-entropy\(testNote)"]
        loss.integerX = true
        loss.xTicks = Ticks.atData(epochs + startX, range: 0...Double(history.count + 1))
        var acc = LinePlot(
            title: title + ": accuracy", xLabel: "epoch", yLabel: "accuracy (%)",
            series: [
                .init(
                    name: "train (augmented batches)", points: points(history.map { 100 * $0.trainAccuracy }, nil),
                    color: Color.palette[0], marker: .circle),
                .init(
                    name: "test" + (testImages.map { " (\($0) images)" } ?? ""),
                    points: points(history.map { 100 * $0.testAccuracy }, start.map { 100 * $0.testAccuracy }),
                    color: Color.palette[1], marker: .square),
            ])
        acc.integerX = true
        acc.xTicks = loss.xTicks
        if start != nil { acc.notes = ["epoch 0: the starting model, before the first step"] }
        let (w, h) = (760.0, 780.0)
        return Figure(width: w, height: h, title: title + ": training curves") { c in
            LinePlot.stacked([loss, acc], c, in: Rect(x: 0, y: 0, width: w, height: h))
        }
    }
}

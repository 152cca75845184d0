import Foundation
import GhostIO
import GhostModels
import GhostReport
import GhostTrain

/// The terminal side of a training run: a progress bar per epoch, notes on stderr, and the curve (PNG, SVG, PDF)
/// after each epoch with every step's loss, the objective's name and, for a fine-tune, the starting point.
final class TrainingProgress: TrainerEvents {
    let curve: String
    let objective: TrainingObjective
    var bar: ProgressBar?
    var stepLosses: [(step: Int, loss: Double)] = []
    var start: Evaluation?
    var testImages = 0, stepsPerEpoch = 0

    init(curve: String, config: TrainConfig) {
        self.curve = curve
        objective =
            config.distillation.map { .distillation(temperature: Double($0.temperature), weight: Double($0.weight)) }
            ?? .crossEntropy(labelSmoothing: Double(config.labelSmoothing))
    }

    func note(_ message: String) { FileHandle.standardError.write(Data((message + "\n").utf8)) }

    func trainingStarted(start: Evaluation?, testImages: Int, stepsPerEpoch: Int) {
        (self.start, self.testImages, self.stepsPerEpoch) = (start, testImages, stepsPerEpoch)
    }

    func epochStarted(_ epoch: Int, of epochs: Int, steps: Int) {
        bar = ProgressBar(total: steps, label: "epoch \(epoch + 1)/\(epochs)")
    }

    func batchFinished(
        _ batch: Int, step: Int, stepLoss: Double, loss: Double, accuracy: Double, learningRate: Float,
        imagesPerSecond: Double
    ) {
        stepLosses.append((step, stepLoss))
        bar?.update(
            batch + 1,
            String(
                format: "loss %.4f acc %.2f%% lr %.4f %.1f img/s", loss, 100 * accuracy,
                learningRate, imagesPerSecond))
    }

    func epochFinished(_ history: [EpochRecord], architecture: Architecture) throws {
        finish()
        let figure = TrainingCurve.render(
            history, title: architecture.displayName, objective: objective,
            stepLosses: stepLosses, stepsPerEpoch: stepsPerEpoch,
            start: start.map { ($0.meanLoss, $0.accuracy) }, testImages: testImages)
        try PNGFile.write(figure, to: curve)
    }

    /// Ends the current bar's line (interrupt, error or epoch end).
    func finish() {
        bar?.finish()
        bar = nil
    }
}

extension CommandLine {
    /// This process's command line as recorded in checkpoints ("ghostkit train …", arguments with spaces quoted).
    static var recorded: String {
        (["ghostkit"] + arguments.dropFirst()).map { $0.contains(" ") ? "'\($0)'" : $0 }.joined(separator: " ")
    }
}

/// The directory part of a path ("." for a bare file name).
func directory(of path: String) -> String { URL(fileURLWithPath: path).deletingLastPathComponent().path }

/// The last component of a path.
func fileName(of path: String) -> String { URL(fileURLWithPath: path).lastPathComponent }

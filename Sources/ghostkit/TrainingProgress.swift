import Foundation
import GhostIO
import GhostModels
import GhostReport
import GhostTrain

/// The terminal side of a training run: a progress bar per epoch, notes on stderr, the curve PNG after each epoch.
final class TrainingProgress: TrainerEvents {
    let curve: String
    var bar: ProgressBar?

    init(curve: String) { self.curve = curve }

    func note(_ message: String) { FileHandle.standardError.write(Data((message + "\n").utf8)) }

    func epochStarted(_ epoch: Int, of epochs: Int, steps: Int) {
        bar = ProgressBar(total: steps, label: "epoch \(epoch + 1)/\(epochs)")
    }

    func batchFinished(_ batch: Int, loss: Double, accuracy: Double, learningRate: Float, imagesPerSecond: Double) {
        bar?.update(batch + 1, String(format: "loss %.4f acc %.2f%% lr %.4f %.1f img/s", loss, 100 * accuracy,
                                      learningRate, imagesPerSecond))
    }

    func epochFinished(_ history: [EpochRecord], architecture: Architecture) {
        finish()
        do { try PNGFile.write(TrainingCurve.render(history, title: architecture.displayName), to: curve) } catch {
            note("\(error)")
        }
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

import ArgumentParser
import Foundation
import GhostCheckpoint
import GhostIO

/// `ghostkit eval`: test accuracy, per-class accuracy and the confusion matrix of a checkpoint.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a checkpoint on the test set: accuracy, per-class accuracy, confusion matrix.",
        discussion: "Example: ghostkit eval checkpoints/resnet18-fmnist.safetensors")

    @Argument(help: "Checkpoint (safetensors).") var checkpoint: String
    @OptionGroup var archOptions: ArchitectureOptions
    @OptionGroup var data: DatasetOptions
    @OptionGroup var engine: EngineOptions
    @Option(help: "Batch size.") var batchSize: Int = 256
    @Flag(
        help: ArgumentHelp("Print one Markdown table row instead: model | params | MACs | accuracy | forward img/s "
            + "(batch 64), for side-by-side tables."))
    var tableRow = false

    func run() throws {
        try engine.apply()
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be ≥ 1") }
        let ev = try CheckpointEvaluation(
            path: checkpoint, architecture: try archOptions.architecture(), data: data,
            batchSize: batchSize)
        if tableRow {
            print(ev.summary(path: checkpoint, batch: 64).markdownRow)
            return
        }
        let e = ev.result
        let test = ev.test
        var lines = [
            String(
                format: "%@ on %@ (%d images): accuracy %.2f%%, loss %.4f", checkpoint, test.name, e.count,
                100 * e.accuracy, e.meanLoss), "",
        ]
        var rows = [["class", "accuracy"] + test.classNames.indices.map { "→\($0)" }]
        for (c, name) in test.classNames.enumerated() {
            rows.append(
                ["\(c) \(name)", String(format: "%.2f%%", 100 * e.perClassAccuracy[c])]
                    + e.confusion[c].map(String.init))
        }
        lines.append(Format.table(rows))
        lines.append("(rows: true class, columns: predicted class)")
        print(lines.joined(separator: "\n"))
    }
}

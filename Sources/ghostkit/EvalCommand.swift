import ArgumentParser
import Foundation
import GhostModels
import GhostTensor
import GhostTrain

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
    @Flag(help: "Print one Markdown table row instead: model | params | MACs | accuracy | forward img/s (batch 64), for side-by-side tables.")
    var tableRow = false

    func run() throws {
        try engine.apply()
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be ≥ 1") }
        let ckpt = try Checkpoint(path: checkpoint, architecture: try archOptions.architecture())
        let (model, _) = try ckpt.makeModel()
        let test = try data.load(split: "test", channels: ckpt.architecture.inChannels)
        guard ckpt.architecture.inChannels == test.channels, ckpt.architecture.numClasses == test.classNames.count else {
            throw GhostError.file(checkpoint, "\(ckpt.architecture.displayName) does not fit \(test.name) (\(test.channels) channels, \(test.classNames.count) classes)")
        }
        let norm = ckpt.normalization ?? data.normalization(of: test)
        let loader = BatchLoader(dataset: test, batchSize: batchSize, normalization: norm)
        let bar = ProgressBar(total: loader.batchesPerEpoch, label: "eval")
        let t0 = Date()
        let e = Evaluation.run(model, loader: loader, classes: ckpt.architecture.numClasses) { done, _ in
            bar.update(done, String(format: "%.1f img/s", Double(done * batchSize) / max(Date().timeIntervalSince(t0), 1e-9)))
        }
        bar.finish()
        if tableRow {
            var p = Profiler()
            _ = model.profile([1, test.channels, test.height, test.width], &p)
            let x = loader.batch(0, order: Array(0..<test.count), epoch: 0).images
            let times = BenchTimer.measure(iterations: 3) { _ = model(x) }
            print(String(format: "| %@ | %.2f M | %.1f M | %.2f %% | %.1f |", ckpt.architecture.displayName, Double(p.totalParams) / 1e6,
                         Double(p.totalMACs) / 1e6, 100 * e.accuracy, Double(x.shape[0]) / (times.min() ?? .infinity)))
            return
        }
        var lines = [String(format: "%@ on %@ (%d images): accuracy %.2f%%, loss %.4f", checkpoint, test.name, e.count,
                            100 * e.accuracy, e.meanLoss), ""]
        var rows = [["class", "accuracy"] + test.classNames.indices.map { "→\($0)" }]
        for (c, name) in test.classNames.enumerated() {
            rows.append(["\(c) \(name)", String(format: "%.2f%%", 100 * e.perClassAccuracy[c])] + e.confusion[c].map(String.init))
        }
        lines.append(Format.table(rows))
        lines.append("(rows: true class, columns: predicted class)")
        print(lines.joined(separator: "\n"))
    }
}

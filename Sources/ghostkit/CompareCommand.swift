import ArgumentParser
import Foundation
import GhostIO
import GhostTensor
import GhostTrain

/// `ghostkit compare`: several checkpoints side by side (the paper's Table 5 style) as Markdown, CSV, JSON
/// and an accuracy-vs-MACs PNG.
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Side-by-side table of checkpoints: params, MACs, test accuracy, measured img/s "
            + "(Markdown, CSV, JSON, PNG).",
        discussion: HelpText.fit(
            """
            The first checkpoint is the baseline the others' params and MACs are given against. Every model is
            evaluated on the same test split; img/s is the best of --iterations forward passes of --timing-batch
            test images (after a warm-up) with --threads threads.
              ghostkit compare checkpoints/resnet18-fmnist.safetensors checkpoints/ghost-resnet18-fmnist.safetensors \\
                               --out outputs/compare/resnet18-vs-ghost
            writes outputs/compare/resnet18-vs-ghost.{md,csv,json} and resnet18-vs-ghost-accuracy-vs-macs.png.
            """))

    @Argument(help: "Checkpoints (safetensors or PyTorch .pth); the first is the baseline.") var checkpoints: [String]
    @Option(parsing: .upToNextOption, help: "Names for the rows (default: each model's architecture).") var names:
        [String] = []
    @Option(help: "Output path without extension: <out>.md, .csv, .json and <out>-accuracy-vs-macs.png.") var out:
        String
    @OptionGroup var existing: OverwriteOption
    @Option(help: "Title of the figure.") var title = "accuracy vs MACs"
    @OptionGroup var data: DatasetOptions
    @OptionGroup var engine: EngineOptions
    @Option(help: "Batch size of the evaluation.") var batchSize: Int = 256
    @Option(help: "Images per timed forward pass.") var timingBatch: Int = 64
    @Option(help: "Timed forward passes per model (the best counts).") var iterations: Int = 3

    func validate() throws {
        guard !checkpoints.isEmpty else { throw ValidationError("give at least one checkpoint") }
        guard names.isEmpty || names.count == checkpoints.count else {
            throw ValidationError("--names has \(names.count) names for \(checkpoints.count) checkpoints")
        }
        guard batchSize >= 1, timingBatch >= 1, iterations >= 1 else {
            throw ValidationError("--batch-size, --timing-batch and --iterations must be ≥ 1")
        }
        guard !out.hasSuffix("/"), !URL(fileURLWithPath: out).lastPathComponent.isEmpty else {
            throw ValidationError("--out is a path without extension, e.g. outputs/compare/models")
        }
    }

    func run() throws {
        try existing.check([out + ".md"])
        try engine.apply()
        var models: [ModelSummary] = []
        for (i, path) in checkpoints.enumerated() {
            let ev = try CheckpointEvaluation(path: path, architecture: nil, data: data, batchSize: batchSize)
            if let first = models.first, first.inputShape != [1, ev.test.channels, ev.test.height, ev.test.width] {
                throw GhostError.file(
                    path,
                    "test images \(ev.test.channels)×\(ev.test.height)×\(ev.test.width) differ from the first model's")
            }
            let row = ev.summary(
                name: names.isEmpty ? nil : names[i], path: path, batch: timingBatch, iterations: iterations)
            print(row.markdownRow)
            models.append(row)
        }
        let table = ModelComparison(models: models)
        let dir = URL(fileURLWithPath: out).deletingLastPathComponent().path
        do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
            throw GhostError.file(dir, "cannot create the output directory")
        }
        try AtomicFile.write(Data(table.markdown.utf8), to: out + ".md")
        try AtomicFile.write(Data(table.csv.utf8), to: out + ".csv")
        try AtomicFile.write(try table.json(), to: out + ".json")
        try PNGFile.write(table.tradeoffPlot(title: title), to: out + "-accuracy-vs-macs.png")
        print(table.markdown)
        print("wrote \(out).md, \(out).csv, \(out).json, \(out)-accuracy-vs-macs.png")
    }
}

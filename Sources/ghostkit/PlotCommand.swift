import ArgumentParser
import Foundation
import GhostIO
import GhostModels
import GhostReport
import GhostTensor
import GhostTrain

/// `ghostkit plot`: comparison figures from files other commands wrote.
struct PlotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plot",
        abstract: "Comparison figures: training curves of several runs, accuracy vs MACs of several models.",
        subcommands: [Curves.self, Tradeoff.self])

    struct Curves: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "curves",
            abstract: "Test accuracy and loss per epoch of several runs on shared axes (PNG).",
            discussion: HelpText.fit(
                """
                  ghostkit plot curves checkpoints/resnet18-fmnist-metrics.json \\
                      checkpoints/ghost-resnet18-fmnist-metrics.json \\
                      --names "ResNet-18 (from scratch)" "Ghost-ResNet-18 (fine-tune)" --out outputs/curves.png
                """))
        @Argument(help: "Per-epoch metrics written by train/finetune (<stem>-metrics.json or .csv).") var metrics:
            [String]
        @Option(parsing: .upToNextOption, help: "Legend names, one per file (default: file names).") var names:
            [String] = []
        @Option(help: "Title.") var title = "training curves"
        @Option(help: "Output PNG.") var out: String
        @OptionGroup var existing: OverwriteOption

        func run() throws {
            try existing.check([out])
            guard !metrics.isEmpty else { throw ValidationError("give at least one metrics file") }
            guard names.isEmpty || names.count == metrics.count else {
                throw ValidationError("--names needs one name per metrics file (\(metrics.count))")
            }
            let runs = try metrics.enumerated().map { i, path in
                (
                    name: names.isEmpty
                        ? URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent : names[i],
                    history: try EpochRecord.read(path)
                )
            }
            try PNGFile.write(ComparisonPlots.curves(runs, title: title), to: out)
            print("wrote \(out)")
        }
    }

    struct Tradeoff: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "tradeoff",
            abstract: "Accuracy vs MACs of the models in a results table (the paper's Fig. 6 style, PNG).",
            discussion: HelpText.fit(
                """
                Reads a Markdown pipe table (e.g. the ablation's ablation.md) or a CSV whose header has a column
                containing "MACs" and one containing "accuracy"; the first column names each point.
                  ghostkit plot tradeoff outputs/ablation-resnet18-fmnist/ablation.md \
                    --out outputs/ablation-resnet18-fmnist/accuracy-vs-macs.png
                """))
        @Argument(help: "Results table (Markdown or CSV).") var table: String
        @Option(help: "Title.") var title = "accuracy vs MACs"
        @Option(help: "How many test images the accuracies used (stated on the figure).") var testImages: Int?
        @Option(help: "Output PNG.") var out: String
        @OptionGroup var existing: OverwriteOption

        func run() throws {
            try existing.check([out])
            guard let text = try? String(contentsOfFile: table, encoding: .utf8) else {
                throw GhostError.file(table, "cannot read")
            }
            let t = try ResultTable(text: text, source: table)
            guard let m = t.column("macs"), let a = t.column("accuracy") else {
                let header = t.header.joined(separator: ", ")
                throw GhostError.file(
                    table, "needs a column named like 'MACs' and one like 'accuracy' (header: \(header))")
            }
            var points: [(label: String, macs: Double, accuracy: Double)] = []
            for (i, row) in t.rows.enumerated() {
                guard row.count > max(m, a), let macs = ResultTable.number(row[m]), let acc = ResultTable.number(row[a])
                else {
                    throw GhostError.file(table, "row \(i + 1): cannot read MACs/accuracy from \(row)")
                }
                // Accuracy given as a fraction (0.93) or a percentage without sign (93.1).
                points.append((row[0], macs, acc > 1 ? acc / 100 : acc))
            }
            try PNGFile.write(ComparisonPlots.tradeoff(points, title: title, testImages: testImages), to: out)
            print("wrote \(out)")
        }
    }
}

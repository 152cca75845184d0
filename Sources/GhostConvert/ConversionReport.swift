import Foundation
import GhostIO
import GhostModels

/// What `ghostkit convert` did: settings, sizes before/after, accuracies, and per-conv fit quality.
public struct ConversionReport: Codable {
    public struct Size: Codable { public let params: Int; public let macs: Int; public init(params: Int, macs: Int) { self.params = params; self.macs = macs } }

    public let source: String
    public let sourceSHA256: String
    public let output: String
    public let original: String
    public let converted: String
    public let s: Int
    public let d: Int
    public let mode: ConversionMode
    public let calibrationImages: Int
    public let recalibrated: Bool
    public let inputSize: Int
    public let sizeBefore: Size
    public let sizeAfter: Size
    public let evalImages: Int
    /// Test accuracy of the original, of the converted model as initialised, and after BN recalibration.
    public let accuracyOriginal: Double?
    public let accuracyConverted: Double?
    public let accuracyRecalibrated: Double?
    public let units: [ConvertedUnit]
    public let seconds: Double

    enum CodingKeys: String, CodingKey {
        case source, output, original, converted, s, d, mode, recalibrated, units, seconds
        case sourceSHA256 = "source_sha256", calibrationImages = "calibration_images", inputSize = "input_size"
        case sizeBefore = "size_before", sizeAfter = "size_after", evalImages = "eval_images"
        case accuracyOriginal = "accuracy_original", accuracyConverted = "accuracy_converted", accuracyRecalibrated = "accuracy_recalibrated"
    }

    public init(source: String, sourceSHA256: String, output: String, original: String, converted: String, s: Int, d: Int, mode: ConversionMode,
                calibrationImages: Int, recalibrated: Bool, inputSize: Int, sizeBefore: Size, sizeAfter: Size, evalImages: Int,
                accuracyOriginal: Double?, accuracyConverted: Double?, accuracyRecalibrated: Double?, units: [ConvertedUnit], seconds: Double) {
        self.source = source; self.sourceSHA256 = sourceSHA256; self.output = output; self.original = original; self.converted = converted
        self.s = s; self.d = d; self.mode = mode; self.calibrationImages = calibrationImages; self.recalibrated = recalibrated
        self.inputSize = inputSize; self.sizeBefore = sizeBefore; self.sizeAfter = sizeAfter; self.evalImages = evalImages
        self.accuracyOriginal = accuracyOriginal; self.accuracyConverted = accuracyConverted; self.accuracyRecalibrated = accuracyRecalibrated
        self.units = units; self.seconds = seconds
    }

    func pct(_ x: Double?) -> String { x.map { String(format: "%.2f %%", 100 * $0) } ?? "–" }

    /// Summary lines for the terminal.
    public func summary() -> String {
        let p = Double(sizeAfter.params) / Double(sizeBefore.params), m = Double(sizeAfter.macs) / Double(sizeBefore.macs)
        return """
        \(original) → \(converted) (\(mode.rawValue), calibration \(calibrationImages) images)
        params \(sizeBefore.params) → \(sizeAfter.params) (\(String(format: "%.1f", 100 * p)) %), MACs at \(inputSize)² \(sizeBefore.macs) → \(sizeAfter.macs) (\(String(format: "%.1f", 100 * m)) %)
        test accuracy (\(evalImages) images): original \(pct(accuracyOriginal)), converted \(pct(accuracyConverted)), after BN recalibration \(pct(accuracyRecalibrated))
        """
    }

    /// Writes report.md, report.json and report.csv (per converted conv) into `dir`.
    /// `grids`: the converted conv drawn by ConversionGrids, its two PNG file names (in `dir`) and its ghost count.
    public func write(to dir: String, grids: (unit: String, files: [String], ghosts: Int)? = nil) throws -> [String] {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try AtomicFile.write(try enc.encode(self), to: dir + "/report.json")
        var csv = "conv,channels,intrinsic,mean_r2,min_r2\n"
        for u in units {
            csv += "\(u.name),\(u.channels),\(u.intrinsic),\(u.meanR2.map { String(format: "%.5f", $0) } ?? ""),\(u.minR2.map { String(format: "%.5f", $0) } ?? "")\n"
        }
        try AtomicFile.write(Data(csv.utf8), to: dir + "/report.csv")
        var md = "# Conversion: \(original) → \(converted)\n\n"
        md += "Source `\(source)` (sha256 `\(sourceSHA256.prefix(16))…`), written to `\(output)` in \(String(format: "%.1f", seconds)) s.\n\n"
        md += mode == .dataDriven
            ? "Data-driven: per conv, the channel correlation of its BN outputs over \(calibrationImages) calibration images picks m = ⌈n/\(s)⌉ intrinsic channels (greedy cover on r², ≤ \(s - 1) ghosts each); the primary conv copies their trained filters and BN; each ghost channel's \(d)×\(d) cheap kernel + bias is the least-squares fit from its intrinsic map to its original BN output; `output_index` restores the channel order.\n\n"
            : "Naive: the first m = ⌈n/\(s)⌉ filters are kept, every cheap \(d)×\(d) kernel starts as the identity (each ghost copies its intrinsic map).\n\n"
        md += "| | params | MACs at \(inputSize)² | test accuracy (\(evalImages) images) |\n|---|---|---|---|\n"
        md += "| original | \(sizeBefore.params) | \(sizeBefore.macs) | \(pct(accuracyOriginal)) |\n"
        md += "| converted | \(sizeAfter.params) (\(String(format: "%.1f", 100 * Double(sizeAfter.params) / Double(sizeBefore.params))) %) | \(sizeAfter.macs) (\(String(format: "%.1f", 100 * Double(sizeAfter.macs) / Double(sizeBefore.macs))) %) | \(pct(accuracyConverted)) |\n"
        md += "| converted + BN recalibration | | | \(pct(accuracyRecalibrated))\(recalibrated ? " (saved)" : "") |\n\n"
        md += "## Per conv\n\n| conv | n | m | mean R² of ghost fits | min R² |\n|---|---|---|---|---|\n"
        for u in units {
            md += "| \(u.name) | \(u.channels) | \(u.intrinsic) | \(u.meanR2.map { String(format: "%.3f", $0) } ?? "–") | \(u.minR2.map { String(format: "%.3f", $0) } ?? "–") |\n"
        }
        if let g = grids, g.files.count == 2 {
            md += "\n## Intrinsic vs ghost maps\n\n`\(g.unit)` for one test image: the original ResNet's maps (first) and the Ghost model's "
            md += "(second), in the same channel order. The \(g.ghosts) channels outlined in red are the ghosts the Ghost model regenerates "
            md += "from its intrinsic maps with the \(d)×\(d) cheap operation; the others come from its primary conv.\n\n"
            md += "![original](\(g.files[0])) ![ghost](\(g.files[1]))\n"
        }
        try AtomicFile.write(Data(md.utf8), to: dir + "/report.md")
        return ["report.md", "report.json", "report.csv"].map { dir + "/" + $0 }
    }
}

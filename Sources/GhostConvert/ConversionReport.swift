import Foundation
import GhostIO
import GhostModels

/// What `ghostkit convert` did: settings, sizes before/after, accuracies, and per-conv fit quality.
public struct ConversionReport: Codable {
    public struct Size: Codable {
        public let params: Int
        public let macs: Int
        public init(params: Int, macs: Int) { (self.params, self.macs) = (params, macs) }
    }

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
    /// The per-conv ratios chosen under a MACs budget (`--macs-budget`), nil for a uniform conversion.
    public var guided: GuidedRatios.Plan?
    /// Linear CKA per block, original vs the saved (recalibrated) model, on the calibration images.
    public var cka: [ConversionSimilarity.Layer]?

    enum CodingKeys: String, CodingKey {
        case source, output, original, converted, s, d, mode, recalibrated, units, seconds, guided, cka
        case sourceSHA256 = "source_sha256"
        case calibrationImages = "calibration_images"
        case inputSize = "input_size"
        case sizeBefore = "size_before"
        case sizeAfter = "size_after"
        case evalImages = "eval_images"
        case accuracyOriginal = "accuracy_original"
        case accuracyConverted = "accuracy_converted"
        case accuracyRecalibrated = "accuracy_recalibrated"
    }

    public init(
        source: String, sourceSHA256: String, output: String, original: String, converted: String, s: Int, d: Int,
        mode: ConversionMode,
        calibrationImages: Int, recalibrated: Bool, inputSize: Int, sizeBefore: Size, sizeAfter: Size, evalImages: Int,
        accuracyOriginal: Double?, accuracyConverted: Double?, accuracyRecalibrated: Double?, units: [ConvertedUnit],
        seconds: Double
    ) {
        self.source = source
        self.sourceSHA256 = sourceSHA256
        self.output = output
        self.original = original
        self.converted = converted
        self.s = s
        self.d = d
        self.mode = mode
        self.calibrationImages = calibrationImages
        self.recalibrated = recalibrated
        self.inputSize = inputSize
        self.sizeBefore = sizeBefore
        self.sizeAfter = sizeAfter
        self.evalImages = evalImages
        self.accuracyOriginal = accuracyOriginal
        self.accuracyConverted = accuracyConverted
        self.accuracyRecalibrated = accuracyRecalibrated
        self.units = units
        self.seconds = seconds
    }

    func pct(_ x: Double?) -> String { x.map { String(format: "%.2f %%", 100 * $0) } ?? "–" }
    /// "50.3 %": `part` as a percentage of `whole`, one decimal.
    func percent(_ part: Int, of whole: Int) -> String {
        String(format: "%.1f %%", 100 * Double(part) / Double(whole))
    }
    /// An optional R² with `digits` decimals, else `missing`.
    func r2(_ x: Double?, _ digits: Int, missing: String) -> String {
        x.map { String(format: "%.\(digits)f", $0) } ?? missing
    }

    /// Summary lines for the terminal.
    public func summary() -> String {
        let params = percent(sizeAfter.params, of: sizeBefore.params)
        let macs = percent(sizeAfter.macs, of: sizeBefore.macs)
        let (before, after) = (pct(accuracyOriginal), pct(accuracyConverted))
        return """
            \(original) → \(converted) (\(mode.rawValue), calibration \(calibrationImages) images)
            params \(sizeBefore.params) → \(sizeAfter.params) (\(params)), \
            MACs at \(inputSize)² \(sizeBefore.macs) → \(sizeAfter.macs) (\(macs))
            test accuracy (\(evalImages) images): original \(before), converted \(after), \
            after BN recalibration \(pct(accuracyRecalibrated))
            """
    }

    /// The Markdown section of a guided conversion: budget, predicted vs measured MACs, the choice per conv.
    func guidedSection(_ plan: GuidedRatios.Plan) -> String {
        let f = { (x: Int) in String(format: "%.1f %%", 100 * Double(x) / Double(plan.originalMACs)) }
        var md = "\n## Redundancy-guided ratios (MACs budget \(String(format: "%.3f", plan.budgetFraction)))\n\n"
        let model = plan.damageModel ?? .noise, measured = model != .noise
        let options = plan.convs.first?.options.dropFirst() ?? []
        let list = { (v: [Int]) in Array(Set(v)).sorted().map(String.init).joined(separator: ", ") }
        md += "Per conv, s ∈ {1 (left plain), \(list(options.map(\.s)))} and d ∈ {\(list(options.map(\.d)))} "
        md += "minimise the summed damage under the budget (exact knapsack over \(plan.buckets) MAC buckets). "
        md += "*Damage*: "
        md += model == .measured
            ? "measured: KL divergence of the original's softmax to that of the model with only this conv converted "
                + "(its real fitted module, AdaBN on the probe), mean over \(plan.probeImages ?? 0) calibration images"
            : model == .stageContext
            ? "measured in stage context: KL divergence of the original's softmax to that of the model with this conv "
                + "and the other convs of its stage converted (those at s = 2, d = 3; AdaBN on the probe), minus the "
                + "same with this conv plain, mean over \(plan.probeImages ?? 0) calibration images"
            : "sensitivity × residual. "
        if measured {
            md += String(format: " (%d forward passes, %.0f s)", plan.damagePasses ?? 0, plan.damageSeconds ?? 0)
            md += plan.damageReusedFrom.map { ", reused from \($0). " } ?? ". "
        }
        md += "*Residual*: share of the conv's BN-output energy its ghosts' "
        md += "least-squares fits miss on the calibration images. *Sensitivity*: relative change of the logits "
        md += "per unit of relative noise energy injected at that BN output (ε = \(plan.noiseEnergy))"
        md += measured ? ", reported for comparison.\n\n" : ".\n\n"
        md += "MACs: original \(plan.originalMACs), predicted \(plan.predictedMACs) (\(f(plan.predictedMACs)))"
        md += plan.measuredMACs.map { ", measured \($0) (\(f($0)))" } ?? ""
        md += String(format: "; predicted damage %.4g.\n\n", plan.damage)
        if let r = plan.refinement { md += refinementSection(r) }
        md += "![guided plan: s, d, damage and sensitivity per conv](guided-plan.png)\n\n"
        md += "| conv | n | sensitivity | s | d | residual | damage | MACs | MACs as plain conv |\n"
        md += "|---|---|---|---|---|---|---|---|---|\n"
        for c in plan.convs {
            md += "| \(c.name) | \(c.channels) | \(String(format: "%.3g", c.sensitivity)) | \(c.chosen.s) | "
            md +=
                c.chosen.s == 1
                ? "– | – | 0 | "
                : "\(c.chosen.d) | " + String(format: "%.3f | %.3g | ", c.chosen.residual, c.chosen.damage)
            md += "\(c.chosen.macs) | \(c.options[0].macs) |\n"
        }
        return md
    }

    /// The Markdown paragraph and tables of a guided plan's joint-damage refinement: starts, accepted moves, passes.
    func refinementSection(_ r: GuidedRefinement.Log) -> String {
        var md = "**Joint-damage refinement** (\(r.settings.rounds) rounds × \(r.settings.candidates) candidates): "
        md += "joint KL = KL of the original's softmax to the model with every conv at its chosen (s, d), "
        md += r.settings.adaBN == .calibration
            ? "AdaBN over the calibration images as the conversion does, then eval mode, "
            : "AdaBN on the probe (its batch statistics), "
        md += "mean over \(r.probeImages) "
        md += r.heldOut ? "training images after the calibration set" : "calibration images"
        md += "; MACs ≤ \(r.budgetMACs). "
        md += "Kept start: \(r.start) " + String(format: "(joint KL %.4g) → refined joint KL %.4g after %d accepted "
            + "move(s) in %d round(s), %d probe passes, %.0f s. The table below is the refined plan.\n\n", r.startKL,
            r.kl, r.moves.count, r.rounds, r.passes, r.seconds)
        md += "| start | MACs | joint KL |\n|---|---|---|\n"
        for start in r.starts { md += "| \(start.name) | \(start.macs) | " + String(format: "%.4g |\n", start.kl) }
        if !r.moves.isEmpty {
            md += "\n| round | move (conv → s, d) | predicted Δ damage | joint KL before | after | MACs |\n"
            md += "|---|---|---|---|---|---|\n"
            for m in r.moves {
                let what = m.changes.map { "\($0.conv) → \($0.s), \($0.d)" }.joined(separator: "; ")
                md += "| \(m.round) | \(what) | " + String(format: "%+.3g | %.4g | %.4g | ", m.predictedChange,
                                                              m.klBefore, m.klAfter) + "\(m.macs) |\n"
            }
        }
        return md + "\n"
    }

    /// The Markdown table of CKA per block (original vs converted).
    func ckaSection(_ layers: [ConversionSimilarity.Layer]) -> String {
        var md = "\n## Linear CKA per block, original vs converted\n\n"
        md += "Minibatch linear CKA (unbiased HSIC) of each block's output on the \(calibrationImages) calibration "
        md += "images, after \(recalibrated ? "BN recalibration" : "conversion"); 1 = the same representation.\n\n"
        md += "| block | CKA |\n|---|---|\n"
        for l in layers { md += "| \(l.layer) | \(l.cka.map { String(format: "%.4f", $0) } ?? "–") |\n" }
        return md
    }

    /// Writes report.md, report.json and report.csv (per converted conv) into `dir`.
    /// `grids`: the converted conv drawn by ConversionGrids, its two PNG file names (in `dir`) and its ghost count.
    public func write(to dir: String, grids: (unit: String, files: [String], ghosts: Int)? = nil) throws -> [String] {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try AtomicFile.write(try enc.encode(self), to: dir + "/report.json")
        var csv = "conv,channels,intrinsic,mean_r2,min_r2\n"
        for u in units {
            let (mean, min) = (r2(u.meanR2, 5, missing: ""), r2(u.minR2, 5, missing: ""))
            csv += "\(u.name),\(u.channels),\(u.intrinsic),\(mean),\(min)\n"
        }
        try AtomicFile.write(Data(csv.utf8), to: dir + "/report.csv")
        var md = "# Conversion: \(original) → \(converted)\n\n"
        let took = String(format: "%.1f", seconds)
        md += "Source `\(source)` (sha256 `\(sourceSHA256.prefix(16))…`), written to `\(output)` in \(took) s.\n\n"
        md +=
            mode == .dataDriven
            ? "Data-driven: per conv, the channel correlation of its BN outputs over \(calibrationImages) calibration "
                + "images picks m = ⌈n/\(s)⌉ intrinsic channels (greedy cover on r², ≤ \(s - 1) ghosts each); the "
                + "primary conv copies their trained filters and BN; each ghost channel's \(d)×\(d) cheap kernel + "
                + "bias is the least-squares fit from its intrinsic map to its original BN output; "
                + "`output_index` restores the channel order.\n\n"
            : "Naive: the first m = ⌈n/\(s)⌉ filters are kept, every cheap \(d)×\(d) kernel starts as the identity "
                + "(each ghost copies its intrinsic map).\n\n"
        md += "| | params | MACs at \(inputSize)² | test accuracy (\(evalImages) images) |\n|---|---|---|---|\n"
        md += "| original | \(sizeBefore.params) | \(sizeBefore.macs) | \(pct(accuracyOriginal)) |\n"
        md += "| converted | \(sizeAfter.params) (\(percent(sizeAfter.params, of: sizeBefore.params))) "
            + "| \(sizeAfter.macs) (\(percent(sizeAfter.macs, of: sizeBefore.macs))) | \(pct(accuracyConverted)) |\n"
        md += "| converted + BN recalibration | | | \(pct(accuracyRecalibrated))\(recalibrated ? " (saved)" : "") |\n\n"
        md += "## Per conv\n\n| conv | n | s | d | m | mean R² of ghost fits | min R² |\n"
        md += "|---|---|---|---|---|---|---|\n"
        for u in units {
            md +=
                "| \(u.name) | \(u.channels) | \(u.s.map(String.init) ?? "\(s)") | \(u.d.map(String.init) ?? "\(d)") | "
            md += "\(u.intrinsic) | \(r2(u.meanR2, 3, missing: "–")) | \(r2(u.minR2, 3, missing: "–")) |\n"
        }
        if let plan = guided { md += guidedSection(plan) }
        if let cka, !cka.isEmpty { md += ckaSection(cka) }
        if let g = grids, g.files.count == 2 {
            md +=
                "\n## Intrinsic vs ghost maps\n\n`\(g.unit)` for one test image: the original ResNet's maps (first) "
                + "and the Ghost model's "
            md +=
                "(second), in the same channel order. The \(g.ghosts) channels outlined in red are the ghosts the "
                + "Ghost model regenerates "
            md +=
                "from its intrinsic maps with the \(d)×\(d) cheap operation; the others come from its primary conv.\n\n"
            md += "![original](\(g.files[0])) ![ghost](\(g.files[1]))\n"
        }
        try AtomicFile.write(Data(md.utf8), to: dir + "/report.md")
        return ["report.md", "report.json", "report.csv"].map { dir + "/" + $0 }
    }
}

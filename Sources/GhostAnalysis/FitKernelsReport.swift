import Foundation
import GhostCheckpoint
import GhostIO
import GhostModels
import GhostTensor

/// The Table-2 analogue and its aggregates: report.md, report.csv, report.json and the MSE-vs-d plot.
public struct FitKernelsReport: Codable {
    /// GhostNet paper, Table 2 (MSE × 10⁻³ for d = 1, 3, 5, 7; ResNet-50 on ImageNet, pairs picked by eye).
    public static let paperTable2: [(label: String, mse: [Double])] = [
        ("red", [4.0, 3.3, 3.3, 3.2]), ("green", [25.0, 24.3, 24.1, 23.9]), ("blue", [12.1, 11.2, 11.1, 11.0]),
    ]
    public static let paperSizes = [1, 3, 5, 7]

    public let model: String
    public let checkpoint: String
    public let scan: String
    public let sizes: [Int]
    public let normalization: MapNormalization
    public let bias: Bool
    public let images: Int
    /// Layer of the Figure-1 pairs.
    public let tableLayer: String
    public let pairs: [PairFit]
    public let seconds: Double

    enum CodingKeys: String, CodingKey {
        case model, checkpoint, scan, sizes, normalization, bias, images, pairs, seconds
        case tableLayer = "table_layer"
    }

    public init(
        model: String, checkpoint: String, scan: String, sizes: [Int], normalization: MapNormalization, bias: Bool,
        images: Int, tableLayer: String, pairs: [PairFit], seconds: Double
    ) {
        self.model = model
        self.checkpoint = checkpoint
        self.scan = scan
        self.sizes = sizes
        self.normalization = normalization
        self.bias = bias
        self.images = images
        self.tableLayer = tableLayer
        self.pairs = pairs
        self.seconds = seconds
    }

    /// Quartiles (25, 50, 75 %) of MSE per kernel size over `pairs`.
    public func quartiles(_ kind: PairFit.Kind, layer: String? = nil) -> [[Double]] {
        let chosen = pairs.filter { $0.kind == kind && (layer == nil || $0.layer == layer) }
        return sizes.indices.map { i in
            let v = chosen.map { $0.fits[i].mse }.sorted()
            guard !v.isEmpty else { return [.nan, .nan, .nan] }
            return [0.25, 0.5, 0.75].map { q in v[min(v.count - 1, Int((q * Double(v.count - 1)).rounded()))] }
        }
    }

    public var labelled: [PairFit] { ["red", "green", "blue"].compactMap { l in pairs.first { $0.label == l } } }
    var layers: [String] { pairs.reduce(into: [String]()) { if !$0.contains($1.layer) { $0.append($1.layer) } } }

    /// The paper-style table as plain text (MSE × 10⁻³).
    public func summaryTable() -> String {
        var s = "pair (\(tableLayer))".padding(toLength: 22, withPad: " ", startingAt: 0)
        s +=
            sizes.map { "d=\($0)".padding(toLength: 9, withPad: " ", startingAt: 0) }.joined() + "  paper (d=1/3/5/7)\n"
        for p in labelled {
            s += "\(p.label!) \(p.a)→\(p.b) r=\(f3(Double(p.correlation)))".padding(
                toLength: 22, withPad: " ", startingAt: 0)
            s += p.fits.map { String(format: "%-9.2f", $0.mse * 1e3) }.joined()
            s +=
                "  "
                + (Self.paperTable2.first { $0.label == p.label }?.mse.map { String(format: "%.1f", $0) }.joined(
                    separator: "/") ?? "") + "\n"
        }
        let g = quartiles(.ghost)
        let r = quartiles(.random)
        s +=
            "median ghost pairs".padding(toLength: 22, withPad: " ", startingAt: 0)
            + g.map { String(format: "%-9.2f", $0[1] * 1e3) }.joined() + "\n"
        s +=
            "median random pairs".padding(toLength: 22, withPad: " ", startingAt: 0)
            + r.map { String(format: "%-9.2f", $0[1] * 1e3) }.joined() + "\n"
        return s
    }

    /// Writes report.md, report.csv and report.json into `dir` (mse-vs-d.png: GhostReport's FitKernelsFigures); returns
    /// the paths.
    public func write(to dir: String) throws -> [String] {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        enc.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        try AtomicFile.write(try enc.encode(self), to: dir + "/report.json")
        var csv = "layer,kind,label,a,b,correlation,d,mse,r2,bias\n"
        for p in pairs {
            for f in p.fits {
                csv +=
                    "\(p.layer),\(p.kind.rawValue),\(p.label ?? ""),\(p.a),\(p.b),\(f4(Double(p.correlation))),\(f.d),"
                    + String(format: "%.6e,%.5f,%.5f\n", f.mse, f.r2, f.bias)
            }
        }
        try AtomicFile.write(Data(csv.utf8), to: dir + "/report.csv")
        try AtomicFile.write(Data(markdown().utf8), to: dir + "/report.md")
        return ["report.md", "report.csv", "report.json"].map { dir + "/" + $0 }
    }

    func markdown() -> String {
        let ghosts = pairs.filter { $0.kind == .ghost }
        let randoms = pairs.filter { $0.kind == .random }
        var md = "# Depthwise kernel fits: \(model)\n\n"
        md += "Checkpoint `\(checkpoint)`, activations and pairs from `\(scan)` (\(images) Fashion-MNIST test images). "
        let withBias = bias ? " with a bias" : " without bias"
        md += "For each pair (source channel a → target channel b) a d×d depthwise filter\(withBias) is fitted "
        md +=
            "by exact least squares (normal equations of the zero-padded \"same\" patch matrix, Cholesky), jointly "
            + "over all images; "
        md += "the MSE is the mean over every pixel of every image. Maps are normalised per image and channel: "
        md +=
            Self.describe(normalization)
            + " Fits for smaller d are nested in those for larger d, so the MSE can only fall with d.\n\n"
        md +=
            "## Table 2 analogue (MSE × 10⁻³)\n\nThe three most similar disjoint pairs of `\(tableLayer)` — the pairs "
            + "boxed red, green and "
        md +=
            "blue in the scan's Figure 1. The paper's numbers (ResNet-50 on ImageNet, pairs chosen by eye, "
            + "normalisation and fitting unstated) "
        md += "are printed beside ours for the trend, not for equality.\n\n"
        md +=
            "| pair | r | " + sizes.map { "d=\($0)" }.joined(separator: " | ")
            + " | R² (d=\(sizes.last!)) | paper d=1/3/5/7 |\n"
        md += "|---|---|" + sizes.map { _ in "---|" }.joined() + "---|---|\n"
        for p in labelled {
            let paper =
                Self.paperTable2.first { $0.label == p.label }?.mse.map { String(format: "%.1f", $0) }.joined(
                    separator: " / ") ?? ""
            md +=
                "| \(p.label!) \(p.a)→\(p.b) | \(f3(Double(p.correlation))) | "
                + p.fits.map { String(format: "%.2f", $0.mse * 1e3) }.joined(separator: " | ")
                + " | \(f3(p.fits.last!.r2)) | \(paper) |\n"
        }
        if labelled.contains(where: { $0.otherNormalizations != nil }) {
            let ds = sizes.map(String.init).joined(separator: "/")
            md += "\nThe same pairs under the other normalisations (MSE × 10⁻³, d = \(ds)):\n\n"
            for p in labelled {
                for (mode, v) in (p.otherNormalizations ?? [:]).sorted(by: { $0.key < $1.key }) {
                    md +=
                        "- \(p.label!) \(p.a)→\(p.b), \(mode): "
                        + v.map { String(format: "%.3f", $0 * 1e3) }.joined(separator: " / ") + "\n"
                }
            }
        }
        md += "\n![MSE vs d](mse-vs-d.png)\n\nSource, target and fitted target (d = \(sizes.last!)) for one image:\n\n"
        md += labelled.map { "![\($0.label!)](triplet-\($0.label!).png)" }.joined(separator: " ") + "\n\n"
        md += "## All pairs: ghost pairs against random pairs\n\n"
        md +=
            "\(ghosts.count) ghost pairs (the scan's top pairs of \(layers.count) layers) and \(randoms.count) random "
            + "pairs of the same layers "
        md +=
            "(the control: how well does a d×d filter map two unrelated channels?). MSE × 10⁻³, quartiles 25 / 50 / "
            + "75 %.\n\n"
        md +=
            "| pairs | " + sizes.map { "d=\($0)" }.joined(separator: " | ") + " |\n|---|"
            + sizes.map { _ in "---|" }.joined() + "\n"
        for (name, q) in [("ghost", quartiles(.ghost)), ("random", quartiles(.random))] {
            md +=
                "| \(name) | "
                + q.map { String(format: "%.2f / **%.2f** / %.2f", $0[0] * 1e3, $0[1] * 1e3, $0[2] * 1e3) }.joined(
                    separator: " | ") + " |\n"
        }
        let g = quartiles(.ghost)
        let r = quartiles(.random)
        md +=
            "| random ÷ ghost (medians) | "
            + zip(g, r).map { String(format: "%.1f×", $1[1] / max($0[1], 1e-30)) }.joined(separator: " | ") + " |\n\n"
        let monotone = pairs.filter(\.mseNonIncreasing).count
        md += "MSE non-increasing in d for \(monotone) of \(pairs.count) pairs.\n\n"
        md +=
            "### Per layer (median MSE × 10⁻³, ghost / random)\n\n| layer | "
            + sizes.map { "d=\($0)" }.joined(separator: " | ") + " |\n|---|"
            + sizes.map { _ in "---|" }.joined() + "\n"
        for l in layers {
            let gq = quartiles(.ghost, layer: l)
            let rq = quartiles(.random, layer: l)
            md +=
                "| \(l) | "
                + zip(gq, rq).map { String(format: "%.2f / %.2f", $0[1] * 1e3, $1[1] * 1e3) }.joined(separator: " | ")
                + " |\n"
        }
        md += String(format: "\nFitting took %.2f s.\n", seconds)
        return md
    }

    static func describe(_ n: MapNormalization) -> String {
        switch n {
        case .raw: return "none (raw activations, after the block's ReLU)."
        case .minmax: return "each map min-max scaled to [0, 1] (a constant map becomes 0)."
        case .standardize: return "each map standardised to mean 0 and standard deviation 1."
        }
    }

    func f3(_ x: Double) -> String { String(format: "%.3f", x) }
    func f4(_ x: Double) -> String { String(format: "%.4f", x) }
}

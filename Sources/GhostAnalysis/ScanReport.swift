import Foundation
import GhostCheckpoint
import GhostIO
import GhostModels
import GhostTensor

/// The results of a redundancy scan in three forms: pairs.json (programs), report.csv (spreadsheets),
/// report.md (people), plus the per-layer redundancy bar chart.
public struct ScanReport: Codable {
    public let model: String
    public let checkpoint: String
    public let sha256: String
    public let architecture: Architecture
    public let images: Int
    public let threshold: Float
    public let gridLayer: String
    public let imageIndex: Int
    public let layers: [LayerRedundancy]

    enum CodingKeys: String, CodingKey {
        case model, checkpoint, sha256, architecture, images, threshold, layers
        case gridLayer = "grid_layer"
        case imageIndex = "image_index"
    }

    public init(
        model: String, checkpoint: String, sha256: String, architecture: Architecture, images: Int, threshold: Float,
        gridLayer: String, imageIndex: Int, layers: [LayerRedundancy]
    ) {
        self.model = model
        self.checkpoint = checkpoint
        self.sha256 = sha256
        self.architecture = architecture
        self.images = images
        self.threshold = threshold
        self.gridLayer = gridLayer
        self.imageIndex = imageIndex
        self.layers = layers
    }

    /// Reads a pairs.json written by `write(to:)`.
    public static func read(_ path: String) throws -> ScanReport {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw GhostError.file(
                path,
                FileManager.default.fileExists(atPath: path) ? "cannot read" : "no such file (run ghostkit scan first)")
        }
        return try decode(data, path: path)
    }

    /// Largest pairs.json accepted (a ResNet-152 scan of every layer is a few MB).
    public static let maxBytes = 256 << 20

    /// Decodes and validates the bytes of a pairs.json; `path` only names the source in errors.
    public static func decode(_ data: Data, path: String) throws -> ScanReport {
        guard data.count <= maxBytes else {
            throw GhostError.file(path, "\(data.count) bytes is too large for a pairs.json")
        }
        let report: ScanReport
        do { report = try JSONDecoder().decode(ScanReport.self, from: data) } catch let e as GhostError {
            throw GhostError.file(path, "architecture: " + e.message)  // only Architecture's decoder throws these
        } catch {
            throw GhostError.file(path, "not a ghostkit pairs.json (\(Self.describe(error)))")
        }
        if let problem = report.problem { throw GhostError.file(path, problem) }
        return report
    }

    /// The first inconsistency a consumer of the numbers would trip on, or nil.
    var problem: String? {
        guard images >= 0 else { return "images is \(images), not ≥ 0" }
        guard imageIndex >= 0 else { return "image_index is \(imageIndex), not ≥ 0" }
        do { try architecture.validate() } catch let e as GhostError { return "architecture: " + e.message } catch {
            return "architecture: \(error)"
        }
        for l in layers {
            let q = Self.quoted(l.layer)
            guard l.channels >= 0, l.channels <= 1 << 20 else { return "layer \(q) has \(l.channels) channels" }
            guard l.bestPartnerQuantiles.count == 7 else {
                return "layer \(q): best_partner_quantiles has \(l.bestPartnerQuantiles.count) values, not 7"
            }
            guard (0...l.channels).contains(l.intrinsicEstimate) else {
                return "layer \(q): intrinsic_estimate \(l.intrinsicEstimate) is outside 0…\(l.channels)"
            }
            if let e = l.effectiveRank, !(e.isFinite && e >= 0 && e <= Double(l.channels) * (1 + 1e-9)) {
                return "layer \(q): effective_rank \(e) is outside 0…\(l.channels)"
            }
            for p in l.topPairs {
                guard (0..<l.channels).contains(p.a), (0..<l.channels).contains(p.b) else {
                    return "pair \(p.a)~\(p.b) of layer \(q) is outside its \(l.channels) channels"
                }
                guard p.a != p.b else { return "pair \(p.a)~\(p.b) of layer \(q) pairs a channel with itself" }
            }
        }
        return nil
    }

    /// A layer name for a one-line message: no raw control characters, long names shortened.
    static func quoted(_ s: String) -> String {
        var q = "'"
        for u in s.unicodeScalars.prefix(80) { q += u.value < 0x20 || u.value == 0x7F ? "?" : String(u) }
        return q + (s.unicodeScalars.count > 80 ? "…'" : "'")
    }

    static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): return "missing key '\(key.stringValue)'"
        case DecodingError.typeMismatch(_, let c), DecodingError.valueNotFound(_, let c):
            return "wrong type at \(c.codingPath.map(\.stringValue).joined(separator: "."))"
        case DecodingError.dataCorrupted(let c): return c.debugDescription
        default: return "\(error)"
        }
    }

    /// Writes pairs.json, report.csv and report.md into `dir` (the figures: GhostReport's ScanFigures); returns the
    /// paths.
    public func write(to dir: String) throws -> [String] {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try AtomicFile.write(try enc.encode(self), to: dir + "/pairs.json")
        let header = [
            "layer", "channels", "fraction_with_partner", "intrinsic_estimate", "best_partner_median",
            "best_partner_p90", "top_pair_a", "top_pair_b", "top_pair_r", "effective_rank",
        ]
        var csv = header.joined(separator: ",") + "\n"
        for l in layers {
            let t = l.topPairs.first
            let row = [
                l.layer, String(l.channels), f4(l.fractionWithPartner), String(l.intrinsicEstimate),
                f4(Double(l.bestPartnerQuantiles[3])), f4(Double(l.bestPartnerQuantiles[5])),
                t.map { String($0.a) } ?? "", t.map { String($0.b) } ?? "", t.map { f4(Double($0.correlation)) } ?? "",
                l.effectiveRank.map(f4) ?? "",
            ]
            csv += row.joined(separator: ",") + "\n"
        }
        try AtomicFile.write(Data(csv.utf8), to: dir + "/report.csv")
        try AtomicFile.write(Data(markdown().utf8), to: dir + "/report.md")
        return ["pairs.json", "report.csv", "report.md"].map { dir + "/" + $0 }
    }

    /// The per-layer table as plain text.
    public func summaryTable() -> String {
        var s = "layer        channels  with partner  eff. rank  intrinsic  median best r  top pair (r)\n"
        for l in layers {
            let t = l.topPairs.first.map { "\($0.a)~\($0.b) (\(f4(Double($0.correlation))))" } ?? "-"
            s +=
                l.layer.padding(toLength: 12, withPad: " ", startingAt: 0) + " "
                + String(
                    format: "%8d  %11.1f%%  %9.1f  %9d  %13.3f  ", l.channels,
                    100 * l.fractionWithPartner, l.effectiveRank ?? .nan, l.intrinsicEstimate, l.bestPartnerQuantiles[3]
                ) + t + "\n"
        }
        return s
    }

    func markdown() -> String {
        var md = "# Redundancy scan: \(model)\n\n"
        md +=
            "Checkpoint `\(checkpoint)` (sha256 `\(sha256.prefix(16))…`), \(architecture.displayName), \(images) "
            + "Fashion-MNIST test images.\n\n"
        md +=
            "Similarity is the Pearson correlation r of two channels over every pixel of every image (maps "
            + "mean-centred; "
        md +=
            "the MSE between the two standardised maps is 2·(1 − r)). A channel *has a ghost partner* when some other "
            + "channel of the "
        md +=
            "same layer reaches r ≥ \(f2(Double(threshold))). *Intrinsic estimate*: channels kept by a greedy cover "
            + "at that threshold — "
        md += "every other channel has a kept partner above it. "
        md += "*Effective rank*: exp of the entropy of the normalised eigenvalues of the layer's channel covariance "
        md += "(Roy & Vetterli 2007) — how many channels' worth of independent directions the maps span.\n\n"
        md +=
            "| layer | channels | with partner | effective rank | intrinsic estimate | best-partner r: median | p90 | "
            + "max "
            + "| top pairs (r) |\n|---|---|---|---|---|---|---|---|---|\n"
        for l in layers {
            let pairs = l.topPairs.prefix(3).map { "\($0.a)~\($0.b) (\(f2(Double($0.correlation))))" }.joined(
                separator: ", ")
            md +=
                "| \(l.layer) | \(l.channels) | \(String(format: "%.1f %%", 100 * l.fractionWithPartner)) | "
                + "\(l.effectiveRank.map { String(format: "%.1f", $0) } ?? "–") | \(l.intrinsicEstimate) | "
                + "\(f2(Double(l.bestPartnerQuantiles[3]))) | \(f2(Double(l.bestPartnerQuantiles[5]))) | "
                + "\(f2(Double(l.bestPartnerQuantiles[6]))) | \(pairs) |\n"
        }
        md += "\n![redundancy per layer](redundancy.png)\n\n## Figure 1 analogue\n\n"
        md +=
            "Feature maps of `\(gridLayer)` for test image \(imageIndex); the three most similar disjoint pairs of "
            + "that layer are boxed "
        md +=
            "in red, green and blue, as in GhostNet's Figure 1 (where the pairs were picked by eye).\n\n![figure "
            + "1](figure1.png)\n\n"
        md += "Close-ups: ![red](pair-red.png) ![green](pair-green.png) ![blue](pair-blue.png)\n"
        return md
    }

    public func f2(_ x: Double) -> String { String(format: "%.2f", x) }
    func f4(_ x: Double) -> String { String(format: "%.4f", x) }
}

import Foundation
import GhostIO

/// The result of `ghostkit similarity`: linear CKA per compared layer pair, as report.json (programs),
/// report.csv (spreadsheets) and report.md (people).
public struct SimilarityReport: Codable {
    /// One compared pair of layers.
    public struct Entry: Codable {
        public let layerA: String
        public let layerB: String
        /// Minibatch linear CKA (nil: a representation had no estimated variance).
        public let cka: Double?
        public let hsic: LinearCKA

        enum CodingKeys: String, CodingKey { case layerA = "layer_a", layerB = "layer_b", cka, hsic }
    }

    public let modelA: String
    public let modelB: String
    public let checkpointA: String
    public let checkpointB: String
    public let images: Int
    public let batchSize: Int
    public let skippedImages: Int
    public let pairing: SimilarityRun.Pairing
    public let layersA: [String]
    public let layersB: [String]
    /// Row-major over (layersA × layersB) for cross pairing, one per layer for same-name pairing.
    public let entries: [Entry]

    enum CodingKeys: String, CodingKey {
        case images, pairing, entries
        case modelA = "model_a", modelB = "model_b", checkpointA = "checkpoint_a", checkpointB = "checkpoint_b"
        case batchSize = "batch_size", skippedImages = "skipped_images", layersA = "layers_a", layersB = "layers_b"
    }

    /// The report of a finished run.
    public init(run: SimilarityRun, modelA: String, modelB: String, checkpointA: String, checkpointB: String,
                batchSize: Int) {
        self.modelA = modelA; self.modelB = modelB; self.checkpointA = checkpointA; self.checkpointB = checkpointB
        self.batchSize = batchSize
        pairing = run.pairing
        layersA = run.layersA
        layersB = run.layersB
        skippedImages = run.skippedImages
        var entries: [Entry] = []
        for (i, row) in run.cka.enumerated() {
            for (j, c) in row.enumerated() {
                entries.append(Entry(layerA: run.layersA[i], layerB: run.columnLayer(i, j), cka: c.value, hsic: c))
            }
        }
        self.entries = entries
        images = run.cka.first?.first?.examples ?? 0
    }

    /// The diagonal (same-named layers): the entries whose two layers have the same name.
    public var sameNamed: [Entry] { entries.filter { $0.layerA == $0.layerB } }

    /// CKA as a (layersA × layersB) matrix (cross pairing), nil entries as NaN.
    public var matrix: [[Double]] {
        guard pairing == .cross else { return [] }
        return layersA.indices.map { i in layersB.indices.map { j in entries[i * layersB.count + j].cka ?? .nan } }
    }

    func f4(_ x: Double?) -> String { x.map { String(format: "%.4f", $0) } ?? "–" }

    /// The per-layer table for the terminal (same-named pairs).
    public func summaryTable() -> String {
        var s = "layer            linear CKA\n"
        for e in sameNamed { s += e.layerA.padding(toLength: 16, withPad: " ", startingAt: 0) + " " + f4(e.cka) + "\n" }
        return s
    }

    /// Writes report.json, report.csv and report.md into `dir`; `figures` are PNG names (in `dir`) to show.
    public func write(to dir: String, figures: [String] = []) throws -> [String] {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try AtomicFile.write(try enc.encode(self), to: dir + "/report.json")
        var csv = "layer_a,layer_b,cka,hsic_xy,hsic_xx,hsic_yy,batches,images\n"
        for e in entries {
            csv += "\(e.layerA),\(e.layerB),\(e.cka.map { String(format: "%.6f", $0) } ?? ""),"
            csv += "\(e.hsic.crossSum),\(e.hsic.selfSumX),\(e.hsic.selfSumY),\(e.hsic.batches),\(e.hsic.examples)\n"
        }
        try AtomicFile.write(Data(csv.utf8), to: dir + "/report.csv")
        try AtomicFile.write(Data(markdown(figures: figures).utf8), to: dir + "/report.md")
        return ["report.md", "report.json", "report.csv"].map { dir + "/" + $0 }
    }

    func markdown(figures: [String]) -> String {
        var md = "# Layer similarity: \(modelA) vs \(modelB)\n\n"
        md += "A `\(checkpointA)`, B `\(checkpointB)`; \(images) test images in minibatches of \(batchSize)"
        md += skippedImages > 0 ? " (\(skippedImages) left over in a batch under 4 images, not used).\n\n" : ".\n\n"
        md += "Linear CKA of each layer's outputs (every image's activations flattened to one vector), minibatch "
        md += "estimator of Nguyen, Raghu & Kornblith (2021) with the unbiased HSIC of Song et al. (2012): "
        md += "1 = the same representation up to rotation and scale, 0 = unrelated.\n\n"
        let diagonal = sameNamed
        if !diagonal.isEmpty {
            md += "| layer | linear CKA |\n|---|---|\n"
            for e in diagonal { md += "| \(e.layerA) | \(f4(e.cka)) |\n" }
        }
        if pairing == .cross {
            md += "\n## Every layer of A × every layer of B\n\n| A \\ B | " + layersB.joined(separator: " | ") + " |\n"
            md += "|---|" + String(repeating: "---|", count: layersB.count) + "\n"
            for (i, row) in matrix.enumerated() {
                let cells = row.map { $0.isNaN ? "–" : String(format: "%.3f", $0) }
                md += "| \(layersA[i]) | " + cells.joined(separator: " | ")
                md += " |\n"
            }
        }
        md += figures.isEmpty ? "" : "\n" + figures.map { "![\($0)](\($0))" }.joined(separator: "\n") + "\n"
        return md
    }
}

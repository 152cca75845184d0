import Foundation

/// One model of a side-by-side comparison: size, cost, accuracy and measured speed.
public struct ModelSummary: Codable, Equatable {
    public var name: String
    public var checkpoint: String
    /// Parameters and multiply-accumulates of one forward pass at `inputShape` ([1, C, H, W]).
    public var params: Int
    public var macs: Int
    public var inputShape: [Int]
    public var testImages: Int
    public var accuracy: Double
    public var loss: Double
    /// Forward images per second at `batch` (best of the timed runs), with `threads` engine threads.
    public var imagesPerSecond: Double
    public var batch: Int
    public var threads: Int

    public init(
        name: String, checkpoint: String, params: Int, macs: Int, inputShape: [Int], testImages: Int, accuracy: Double,
        loss: Double, imagesPerSecond: Double, batch: Int, threads: Int
    ) {
        (self.name, self.checkpoint) = (name, checkpoint)
        (self.params, self.macs, self.inputShape) = (params, macs, inputShape)
        (self.testImages, self.accuracy, self.loss) = (testImages, accuracy, loss)
        (self.imagesPerSecond, self.batch, self.threads) = (imagesPerSecond, batch, threads)
    }

    enum CodingKeys: String, CodingKey {
        case name, checkpoint, params, macs, loss, batch, threads, accuracy
        case inputShape = "input_shape"
        case testImages = "test_images"
        case imagesPerSecond = "images_per_second"
    }

    /// `| name | 11.17 M | 556.7 M | 93.14 % | 812.3 |`: the row `ghostkit eval --table-row` prints.
    public var markdownRow: String {
        String(
            format: "| %@ | %.2f M | %.1f M | %.2f %% | %.1f |", name, Double(params) / 1e6, Double(macs) / 1e6,
            100 * accuracy, imagesPerSecond)
    }
}

/// A side-by-side table of models (the paper's Table 5 style) as Markdown, CSV and JSON, with the first row
/// as the baseline the others' params and MACs are measured against.
public struct ModelComparison: Codable, Equatable {
    public var models: [ModelSummary]
    public init(models: [ModelSummary]) { self.models = models }

    private func percentOfBaseline(_ value: Int, _ key: KeyPath<ModelSummary, Int>) -> String {
        guard let base = models.first?[keyPath: key], base > 0 else { return "" }
        return String(format: "%.1f %%", 100 * Double(value) / Double(base))
    }

    /// "10000 test images", or each model's count when they differ ("2000/10000 test images").
    var testImagesText: String {
        let counts = models.map(\.testImages)
        let text = Set(counts).count == 1 ? "\(counts[0])" : counts.map(String.init).joined(separator: "/")
        return text + " test images"
    }

    /// The table as Markdown; the accuracy header states the test-set size.
    public var markdown: String {
        guard let first = models.first else { return "" }
        let size = first.inputShape.dropFirst()
        let macsAt = size.dropFirst().map(String.init).joined(separator: "×")
        let speed = "forward img/s (batch \(first.batch), \(first.threads) threads)"
        var lines = [
            "| model | params | params vs first | MACs (\(macsAt)) | MACs vs first "
                + "| test accuracy (\(testImagesText)) | \(speed) |",
            "|---|---|---|---|---|---|---|",
        ]
        for m in models {
            lines.append(
                String(
                    format: "| %@ | %.2f M | %@ | %.1f M | %@ | %.2f %% | %.1f |", m.name, Double(m.params) / 1e6,
                    percentOfBaseline(m.params, \.params), Double(m.macs) / 1e6, percentOfBaseline(m.macs, \.macs),
                    100 * m.accuracy, m.imagesPerSecond))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    public var csv: String {
        var lines = [
            "model,checkpoint,params,macs,input_shape,test_images,accuracy,loss,images_per_second,batch,threads"
        ]
        for m in models {
            let cells = [
                Self.csvCell(m.name), Self.csvCell(m.checkpoint), "\(m.params)", "\(m.macs)",
                m.inputShape.map(String.init).joined(separator: "x"), "\(m.testImages)",
                String(format: "%.6f", m.accuracy),
                String(format: "%.6f", m.loss), String(format: "%.2f", m.imagesPerSecond), "\(m.batch)", "\(m.threads)",
            ]
            lines.append(cells.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    public func json() throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try e.encode(self)
    }

    /// A CSV cell, quoted when it holds a comma or a quote.
    static func csvCell(_ s: String) -> String {
        s.contains(",") || s.contains("\"") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }
}

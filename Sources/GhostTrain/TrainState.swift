import Foundation
import GhostIO
import GhostTensor

/// Where a training run stands, stored in the checkpoint metadata ("ghostkit.train_state").
public struct TrainState: Codable {
    public static let key = "ghostkit.train_state"
    /// Completed epochs; with `batch` > 0, batches already done in the next epoch.
    public var epoch: Int
    public var batch: Int
    public var history: [EpochRecord]
    /// Every command line that contributed to this run (the first, then each --resume).
    public var commands: [String]?

    public init(epoch: Int, batch: Int, history: [EpochRecord], commands: [String]) {
        self.epoch = epoch
        self.batch = batch
        self.history = history
        self.commands = commands
    }

    public init?(json: String) {
        guard let s = try? JSONDecoder().decode(TrainState.self, from: Data(json.utf8)), s.epoch >= 0, s.batch >= 0
        else { return nil }
        self = s
    }

    public var json: String { String(data: try! JSONEncoder().encode(self), encoding: .utf8)! }
}

/// Metrics of one epoch.
public struct EpochRecord: Codable {
    public var epoch: Int
    public var trainLoss, trainAccuracy, testLoss, testAccuracy, seconds: Double

    enum CodingKeys: String, CodingKey {
        case epoch, seconds
        case trainLoss = "train_loss"
        case trainAccuracy = "train_accuracy"
        case testLoss = "test_loss"
        case testAccuracy = "test_accuracy"
    }

    public init(
        epoch: Int, trainLoss: Double, trainAccuracy: Double, testLoss: Double, testAccuracy: Double, seconds: Double
    ) {
        self.epoch = epoch
        self.trainLoss = trainLoss
        self.trainAccuracy = trainAccuracy
        self.testLoss = testLoss
        self.testAccuracy = testAccuracy
        self.seconds = seconds
    }

    /// Writes the history as CSV and JSON (atomically).
    public static func write(_ history: [EpochRecord], csv: String, json: String) throws {
        var text = "epoch,train_loss,train_accuracy,test_loss,test_accuracy,seconds\n"
        for r in history {
            text += String(
                format: "%d,%.6f,%.6f,%.6f,%.6f,%.1f\n", r.epoch, r.trainLoss, r.trainAccuracy, r.testLoss,
                r.testAccuracy, r.seconds)
        }
        try AtomicFile.write(Data(text.utf8), to: csv)
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        enc.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        try AtomicFile.write(try enc.encode(history), to: json)
    }

    /// Reads a history written by `write`: the JSON file, or the CSV (by extension).
    public static func read(_ path: String) throws -> [EpochRecord] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw GhostError.file(path, FileManager.default.fileExists(atPath: path) ? "cannot read" : "no such file")
        }
        if path.hasSuffix(".csv") {
            let t = try ResultTable(text: String(decoding: data, as: UTF8.self), source: path)
            guard t.header.starts(with: ["epoch", "train_loss", "train_accuracy", "test_loss", "test_accuracy"]) else {
                throw GhostError.file(
                    path, "not a metrics CSV written by ghostkit train (header \(t.header.joined(separator: ",")))")
            }
            return try t.rows.enumerated().map { i, row in
                let v = row.map(Double.init)
                guard v.count >= 6, let e = v[0], let a = v[1], let b = v[2], let c = v[3], let d = v[4], let s = v[5]
                else {
                    throw GhostError.file(path, "line \(i + 2): expected 6 numbers")
                }
                return EpochRecord(
                    epoch: Int(e), trainLoss: a, trainAccuracy: b, testLoss: c, testAccuracy: d, seconds: s)
            }
        }
        let dec = JSONDecoder()
        dec.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        do { return try dec.decode([EpochRecord].self, from: data) } catch {
            throw GhostError.file(path, "not a metrics JSON written by ghostkit train")
        }
    }
}

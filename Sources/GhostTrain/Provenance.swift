import Foundation
import GhostData
import GhostIO
import GhostModels

/// The provenance file written beside a trained checkpoint: how to reproduce it and what it scores.
public struct Provenance: Encodable {
    public var checkpoint: String
    public var sha256: String
    public var bytes: Int
    public var architecture: Architecture
    public var normalization: Normalization
    public var dataset: String
    public var commands: [String]
    public var config: String
    public var epochs: Int
    public var wallTimeSeconds: Double
    public var testAccuracy: Double
    public var history: [EpochRecord]
    public var created: String

    enum CodingKeys: String, CodingKey {
        case checkpoint, sha256, bytes, architecture, normalization, dataset, commands, config, epochs
        case wallTimeSeconds = "wall_time_seconds"
        case testAccuracy = "test_accuracy"
        case history, created
    }

    public init(
        checkpoint: String, architecture: Architecture, normalization: Normalization, dataset: String,
        config: String, state: TrainState
    ) throws {
        self.checkpoint = URL(fileURLWithPath: checkpoint).lastPathComponent
        sha256 = try SHA256.hex(file: checkpoint)
        bytes = (try? FileManager.default.attributesOfItem(atPath: checkpoint)[.size] as? Int) ?? 0
        self.architecture = architecture
        self.normalization = normalization
        self.dataset = dataset
        commands = state.commands ?? []
        self.config = config
        epochs = state.epoch
        wallTimeSeconds = state.history.reduce(0) { $0 + $1.seconds }
        testAccuracy = state.history.last?.testAccuracy ?? .nan
        history = state.history
        created = ISO8601DateFormatter().string(from: Date())
    }

    /// Writes pretty JSON atomically.
    public func write(to path: String) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        enc.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        try AtomicFile.write(try enc.encode(self), to: path)
    }
}

import Foundation
import GhostData
import GhostIO
import GhostModels
import GhostTensor
import GhostTestSupport
import GhostTrain
import XCTest

/// The training loop called as a library (no subprocess): an interrupted run resumed from its checkpoint ends with
/// the same weights as an uninterrupted one, and the events arrive in order.
final class TrainerTests: XCTestCase {
    final class Recorder: TrainerEvents {
        var log: [String] = []
        func note(_ message: String) { log.append("note " + message) }
        func trainingStarted(start: Evaluation?, testImages: Int, stepsPerEpoch: Int) {
            log.append("begin \(start == nil) \(testImages) \(stepsPerEpoch)")
        }
        func epochStarted(_ epoch: Int, of epochs: Int, steps: Int) { log.append("start \(epoch)/\(epochs) \(steps)") }
        func batchFinished(_ batch: Int, step: Int, stepLoss: Double, loss: Double, accuracy: Double,
                           learningRate: Float, imagesPerSecond: Double) {
            XCTAssertTrue(loss.isFinite && stepLoss.isFinite)
            log.append("batch \(batch)")
        }
        func epochFinished(_ history: [EpochRecord], architecture: Architecture) throws { log.append("end \(history.count)") }
    }

    /// 48 random 8×8 gray images in 3 classes (deterministic).
    func data() throws -> TrainData {
        var rng = SplitMix64(seed: 7)
        let n = 48
        let images = Tensor(shape: [n, 1, 8, 8], values: (0..<(n * 64)).map { _ in Float(rng.next() % 256) / 255 })
        let labels = (0..<n).map { $0 % 3 }
        let train = try ImageDataset(images: images, labels: labels, classNames: ["a", "b", "c"], name: "random")
        return TrainData(train: train, test: train.prefix(24), normalization: Normalization(mean: [0.5], std: [0.25]))
    }

    func config(_ out: String) throws -> TrainConfig {
        let arch = try Architecture(name: "resnet20", inChannels: 1, numClasses: 3)
        var c = TrainConfig(start: .fresh(arch), out: out)
        (c.epochs, c.batchSize, c.learningRate, c.warmupEpochs) = (2, 16, 0.05, 0.5)
        c.augmentation = Augmentation(cropPadding: 1, horizontalFlip: true)
        return c
    }

    func testInterruptedRunResumesToTheSameWeights() throws {
        let dir = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let data = try data()
        let full = Recorder()
        try Trainer(try config(dir + "/a/m.safetensors")).run(on: data, events: full)
        XCTAssertEqual(full.log.first, "begin true 24 3")
        XCTAssertEqual(full.log.filter { $0.hasPrefix("start") }, ["start 0/2 3", "start 1/2 3"])
        XCTAssertEqual(full.log.filter { $0.hasPrefix("end") }, ["end 1", "end 2"])

        var cut = try config(dir + "/b/m.safetensors")
        cut.stopAfter = 4
        XCTAssertThrowsError(try Trainer(cut).run(on: data, events: Recorder())) { e in
            XCTAssertTrue("\(e)".contains("interrupted at epoch 2, batch 1"), "\(e)")
        }
        var resume = try config(dir + "/b/m.safetensors")
        resume.start = .resume(dir + "/b/m.safetensors")
        let resumed = Recorder()
        try Trainer(resume).run(on: data, events: resumed)
        XCTAssertTrue(resumed.log.first?.hasPrefix("note resuming") ?? false, "\(resumed.log)")
        let fa = try SafetensorsFile(path: dir + "/a/m.safetensors")
        let fb = try SafetensorsFile(path: dir + "/b/m.safetensors")
        XCTAssertEqual(fa.names, fb.names)
        for name in fa.names { XCTAssertEqual(try fa.tensor(name).scalars, try fb.tensor(name).scalars, name) }
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/a/m.json"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/a/m-metrics.csv"))
    }

    func testBadSettingsAreRefusedBeforeAnythingRuns() throws {
        var c = try config("/nonexistent/m.safetensors")
        c.optimizer = .adam
        c.nesterov = true
        XCTAssertThrowsError(try Trainer(c)) { e in XCTAssertTrue("\(e)".contains("--nesterov"), "\(e)") }
        c = try config("/nonexistent/m.safetensors")
        c.distillation = DistillationConfig(teacher: "t.safetensors", temperature: 0)
        XCTAssertEqual(c.problem(), "--kd-temperature must be > 0 (got 0.0)")
        c.distillation = nil
        c.epochs = 0
        XCTAssertEqual(c.problem(), "--epochs must be ≥ 1 (got 0)")
    }
}

import ArgumentParser
import Foundation
import GhostDistributed
import GhostIO
import GhostModels
import GhostTrain

extension TrainCommand {
    /// Runs `config` with a progress bar and the per-epoch curve; shared with `finetune`.
    static func train(_ config: TrainConfig, expected: Architecture?, data: DatasetOptions) throws {
        if let p = config.problem() { throw ValidationError(p) }
        let outDir = directory(of: config.out)  // locked for this run (the trainer reports an unwritable one)
        try? FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: true)
        if FileManager.default.fileExists(atPath: outDir) { try OutputDirectory.lock(outDir) }
        CommandFailure.checkpoint = config.out
        let trainer = try Trainer(config, expected: expected)
        trainer.communicator = World.current  // one rank of an mpirun job, or the single process
        let arch = trainer.architecture
        let train = try data.load(split: "train", architecture: arch)
        let test = try data.load(split: "test", architecture: arch, like: train)
        for (split, set) in [("training", train), ("test", test)] where set.count == 0 {
            throw GhostError("\(set.name): no \(split) images (a dataset needs at least one)")
        }
        let progress = TrainingProgress(curve: trainer.outputs.curve, config: config)
        defer { progress.finish() }
        try trainer.run(
            on: TrainData(train: train, test: test, normalization: data.normalization(of: train)),
            events: progress)
        let f = trainer.outputs
        print("wrote \(f.checkpoint), \(f.provenance), \(f.metricsCSV), \(f.metricsJSON), \(f.curve)")
    }
}

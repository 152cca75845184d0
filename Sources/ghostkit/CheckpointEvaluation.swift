import Foundation
import GhostBench
import GhostCheckpoint
import GhostData
import GhostIO
import GhostModels
import GhostTensor
import GhostTrain

/// A checkpoint evaluated on its dataset's test split: what `eval` and `compare` share.
struct CheckpointEvaluation {
    let checkpoint: Checkpoint
    let model: ImageClassifier
    let test: ImageDataset
    let loader: BatchLoader
    let result: Evaluation

    /// Loads `path`, checks that it fits the test split, and evaluates it with a progress bar.
    init(path: String, architecture: Architecture?, data: DatasetOptions, batchSize: Int) throws {
        let ckpt = try Checkpoint(path: path, architecture: architecture)
        let (model, _) = try ckpt.makeModel()
        let test = try data.load(split: "test", architecture: ckpt.architecture)
        guard ckpt.architecture.inChannels == test.channels, ckpt.architecture.numClasses == test.classNames.count
        else {
            throw GhostError.file(
                path,
                "\(ckpt.architecture.displayName) does not fit \(test.name) (\(test.channels) channels, " +
                    "\(test.classNames.count) classes)"
            )
        }
        let norm = try ckpt.normalization ?? data.normalization(of: test)
        let loader = BatchLoader(dataset: test, batchSize: batchSize, normalization: norm)
        let bar = ProgressBar(total: loader.batchesPerEpoch, label: "eval")
        let t0 = Date()
        result = Evaluation.run(model, loader: loader, classes: ckpt.architecture.numClasses) { done, _ in
            bar.update(
                done, String(format: "%.1f img/s", Double(done * batchSize) / max(Date().timeIntervalSince(t0), 1e-9)))
        }
        bar.finish()
        self.checkpoint = ckpt
        self.model = model
        self.test = test
        self.loader = loader
    }

    /// Params/MACs at the test images' size, accuracy, and the best forward img/s over `iterations` timed
    /// batches of `batch` test images (after a warm-up).
    func summary(name: String? = nil, path: String, batch: Int, iterations: Int = 3) -> ModelSummary {
        let input = [1, test.channels, test.height, test.width]
        var p = Profiler()
        _ = model.profile(input, &p)
        let n = min(batch, test.count)
        let x = BatchLoader(dataset: test, batchSize: n, normalization: loader.normalization).batch(
            0, order: Array(0..<test.count), epoch: 0
        ).images
        let times = BenchTimer.measure(iterations: iterations) { _ = model(x) }
        return ModelSummary(
            name: name ?? checkpoint.architecture.displayName, checkpoint: path, params: p.totalParams,
            macs: p.totalMACs, inputShape: input, testImages: result.count, accuracy: result.accuracy,
            loss: result.meanLoss, imagesPerSecond: Double(n) / (times.min() ?? .infinity), batch: n,
            threads: Engine.threads)
    }
}

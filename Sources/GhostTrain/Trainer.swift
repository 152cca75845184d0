import Foundation
import GhostCheckpoint
import GhostData
import GhostDistributed
import GhostIO
import GhostModels
import GhostTensor

/// What a running `Trainer` reports to its caller (a progress bar, a figure writer, a test).
public protocol TrainerEvents: AnyObject {
    /// A message for the terminal ("resuming … at epoch 3, batch 12").
    func note(_ message: String)
    /// Training starts: `start` is the starting model's test evaluation for a fine-tune (`.initialise`), else nil.
    func trainingStarted(start: Evaluation?, testImages: Int, stepsPerEpoch: Int)
    /// An epoch of `steps` batches starts.
    func epochStarted(_ epoch: Int, of epochs: Int, steps: Int)
    /// Batch `batch` (0-based) of global step `step` finished with loss `stepLoss`; running means over the epoch.
    func batchFinished(
        _ batch: Int, step: Int, stepLoss: Double, loss: Double, accuracy: Double, learningRate: Float,
        imagesPerSecond: Double)
    /// An epoch ended and its checkpoint and metrics were written; `history` includes it.
    func epochFinished(_ history: [EpochRecord], architecture: Architecture) throws
}

/// The training loop of `ghostkit train` and `ghostkit finetune` as a library: SGD/Adam/AdamW with a cosine schedule
/// and warm-up, optional distillation, an atomic checkpoint with the optimiser state after every epoch and on
/// interrupt, bitwise-exact resume, metrics (CSV/JSON) and provenance beside the checkpoint.
public final class Trainer {
    public let config: TrainConfig
    public let architecture: Architecture
    public let model: ImageClassifier
    /// Normalisation the checkpoint was trained with (resume and fine-tune keep it), nil for a fresh model.
    public let checkpointNormalization: Normalization?
    private var startEpoch = 0, startBatch = 0
    private var history: [EpochRecord] = []
    private var optimizerState: [String: Tensor] = [:]
    private var commands: [String] = []
    /// The data-parallel job this trainer is one rank of: every rank runs its contiguous share of each global batch
    /// (`Shard`), BatchNorm's statistics and the gradients are summed over the ranks, and only rank 0 writes files.
    public var communicator: Communicator = SingleProcess()

    /// Paths of the files a run writes beside its checkpoint.
    public struct Outputs {
        public let checkpoint, metricsCSV, metricsJSON, curve, provenance: String
        /// The curve's vector copies beside the PNG.
        public var curveVectors: [String] { [".svg", ".pdf"].map { String(curve.dropLast(4)) + $0 } }
        public init(checkpoint: String) {
            /// Side files share the checkpoint's stem: model.safetensors → model.json, model-metrics.csv, …
            let stem = checkpoint.hasSuffix(".safetensors") ? String(checkpoint.dropLast(12)) : checkpoint
            self.checkpoint = checkpoint
            (metricsCSV, metricsJSON) = (stem + "-metrics.csv", stem + "-metrics.json")
            (curve, provenance) = (stem + "-curve.png", stem + ".json")
        }
        public var all: [String] { [checkpoint, metricsCSV, metricsJSON, curve, provenance] + curveVectors }
    }

    public var outputs: Outputs { Outputs(checkpoint: config.out) }

    /// Builds (or loads) the model; `expected` is the architecture the caller asked for, checked against a
    /// checkpoint's.
    public init(_ config: TrainConfig, expected: Architecture? = nil) throws {
        if let p = config.problem() { throw GhostError(p) }
        self.config = config
        switch config.start {
        case .fresh(let a):
            architecture = a
            model = a.build(seed: config.seed)
            checkpointNormalization = nil
        case .resume(let path), .initialise(let path):
            let ckpt = try Checkpoint(path: path)
            if let a = expected, a != ckpt.architecture {
                throw GhostError.file(path, "checkpoint is \(ckpt.architecture.displayName), not \(a.displayName)")
            }
            architecture = ckpt.architecture
            checkpointNormalization = ckpt.normalization
            if case .resume = config.start {
                guard let state = ckpt.metadata[TrainState.key].flatMap(TrainState.init(json:)) else {
                    throw GhostError.file(path, "has no training state (was it written by ghostkit train?)")
                }
                optimizerState = ckpt.optimizerState
                (startEpoch, startBatch, history) = (state.epoch, state.batch, state.history)
                commands = state.commands ?? []
            }
            model = try ckpt.makeModel().model
        }
    }

    /// Runs the remaining epochs on `data`. Throws on interrupt (after writing a checkpoint to resume from) and when
    /// the loss stops being finite (keeping the last good checkpoint).
    public func run(on data: TrainData, events: TrainerEvents) throws {
        let (arch, out, files) = (architecture, config.out, outputs)
        if case .resume(let path) = config.start {
            events.note("resuming \(path) at epoch \(startEpoch + 1), batch \(startBatch)")
        }
        let (train, test) = (data.train, data.test)
        let norm = checkpointNormalization ?? data.normalization
        guard arch.inChannels == train.channels else {
            throw GhostError(
                "\(arch.displayName) expects \(arch.inChannels) input channels; "
                    + "\(train.name) has \(train.channels)")
        }
        guard arch.numClasses == train.classNames.count else {
            throw GhostError(
                "\(arch.displayName) has \(arch.numClasses) classes; "
                    + "\(train.name) has \(train.classNames.count)")
        }
        let loader = BatchLoader(
            dataset: train, batchSize: config.batchSize, normalization: norm,
            augmentation: config.augmentation, seed: config.seed, shuffle: true, dropLast: true)
        guard loader.batchesPerEpoch > 0 else {
            throw GhostError("--batch-size \(config.batchSize) exceeds the \(train.count) training images")
        }
        let testLoader = BatchLoader(dataset: test, batchSize: 256, normalization: norm)
        let (epochs, steps) = (config.epochs, loader.batchesPerEpoch)
        let schedule = LRSchedule.cosine(
            baseLR: config.resolvedLearningRate, totalSteps: epochs * steps,
            warmupSteps: Int(config.warmupEpochs * Double(steps)), minLR: 0)
        let opt = makeOptimizer()
        do { try opt.loadState(optimizerState) } catch let e as GhostError {
            if case .resume(let path) = config.start { throw GhostError.file(path, e.message) }
            throw GhostError.file(out, e.message)
        }
        var step = TrainStep(
            model: model, optimizer: opt, labelSmoothing: config.labelSmoothing,
            clipNorm: config.clipNorm, distillation: try makeDistillation())
        let comm = communicator
        step.communicator = comm
        if comm.size > 1 {
            guard config.batchSize >= comm.size else {
                throw GhostError("--batch-size \(config.batchSize) is smaller than the \(comm.size) ranks")
            }
            for (_, p) in model.namedParameters() {  // every rank starts from rank 0's weights
                p.value.makeUnique()
                p.value.withUnsafeMutableBufferPointer { comm.broadcast($0, root: 0) }
            }
            BatchNorm2D.statisticsReducer = { comm.allReduceSum($0) }
        }
        defer { if comm.size > 1 { BatchNorm2D.statisticsReducer = nil } }
        let outDir = URL(fileURLWithPath: out).deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: true)
        let summary = try trainSummary()
        commands.append(config.commandLine)
        func save(epoch: Int, batch: Int) throws {
            guard comm.isRoot else { return }  // rank 0 writes; the others hold the same weights
            let state = TrainState(epoch: epoch, batch: batch, history: history, commands: commands)
            let last = batch == 0 && epoch == epochs
            try Checkpoint.save(
                model, architecture: arch, to: out, dtype: last ? config.dtype : .F32,
                normalization: norm,
                metadata: [TrainState.key: state.json, "ghostkit.train_config": summary],
                optimizerState: epoch == epochs ? [:] : opt.state)
        }
        Interrupt.install()
        var batchesRun = 0
        var start: Evaluation?
        if case .initialise = config.start, startEpoch == 0, startBatch == 0 {
            start = Evaluation.run(model, loader: testLoader, classes: arch.numClasses)
        }
        events.trainingStarted(start: start, testImages: test.count, stepsPerEpoch: steps)
        let (runStart, commStart) = (Date(), comm.communicationSeconds)
        for epoch in startEpoch..<epochs {
            let order = loader.order(epoch: epoch)
            events.epochStarted(epoch, of: epochs, steps: steps)
            var lossSum: Double = 0
            var correct = 0
            var seen = 0
            let t0 = Date()
            for b in (epoch == startEpoch ? startBatch : 0)..<steps {
                var stop = [Interrupt.requested ? 1.0 : 0]
                if comm.size > 1 { stop.withUnsafeMutableBufferPointer { comm.allReduceMax($0) } }  // any rank's signal
                if stop[0] > 0 || batchesRun == config.stopAfter {
                    try save(epoch: epoch, batch: b)
                    comm.barrier()  // the checkpoint is complete before any rank ends the job
                    throw GhostError.file(
                        out,
                        "interrupted at epoch \(epoch + 1), batch \(b); "
                            + "checkpoint written, continue with --resume \(out)")
                }
                opt.learningRate = schedule.learningRate(at: epoch * steps + b)
                let (x, y) = Self.share(loader.batch(b, order: order, epoch: epoch), comm)
                let r = step(x, y, globalCount: config.batchSize)
                batchesRun += 1
                guard r.loss.isFinite else {
                    let kept =
                        FileManager.default.fileExists(atPath: out)
                        ? "the last good checkpoint is kept"
                        : "no checkpoint was written"
                    throw GhostError.file(
                        out,
                        "loss became \(r.loss.isNaN ? "NaN" : "\(r.loss)") at epoch "
                            + "\(epoch + 1), batch \(b) (step \(epoch * steps + b)); \(kept)")
                }
                lossSum += Double(r.loss) * Double(config.batchSize)
                correct += r.correct
                seen += config.batchSize
                events.batchFinished(
                    b, step: epoch * steps + b, stepLoss: Double(r.loss), loss: lossSum / Double(seen),
                    accuracy: Double(correct) / Double(seen),
                    learningRate: opt.learningRate,
                    imagesPerSecond: Double(seen) / max(Date().timeIntervalSince(t0), 1e-9))
            }
            let eval = Evaluation.run(model, loader: testLoader, classes: arch.numClasses)
            history.append(
                EpochRecord(
                    epoch: epoch + 1, trainLoss: seen > 0 ? lossSum / Double(seen) : .nan,
                    trainAccuracy: seen > 0 ? Double(correct) / Double(seen) : .nan,
                    testLoss: eval.meanLoss, testAccuracy: eval.accuracy,
                    seconds: Date().timeIntervalSince(t0)))
            events.note(
                String(
                    format: "epoch %d: test accuracy %.2f%%, test loss %.4f",
                    epoch + 1, 100 * eval.accuracy, eval.meanLoss))
            try save(epoch: epoch + 1, batch: 0)
            guard comm.isRoot else { continue }
            try EpochRecord.write(history, csv: files.metricsCSV, json: files.metricsJSON)
            try events.epochFinished(history, architecture: arch)
        }
        if comm.size > 1 {
            let total = Date().timeIntervalSince(runStart)
            let inComm = comm.communicationSeconds - commStart
            let floats = GradientAllReduce(parameters: opt.parameters).floatsPerStep
            events.note(
                String(
                    format: "data-parallel on %d ranks: %.2f s of %.2f s in MPI collectives on rank %d "
                        + "(%.1f %%, waits for slower ranks included); %d gradient floats (%.2f MB) all-reduced per " +
                            "step",
                    comm.size, inComm, total, comm.rank, 100 * inComm / max(total, 1e-9), floats, Double(floats) * 4e-6)
            )
        }
        guard comm.isRoot else { return }
        let dataset = "\(train.name) (\(train.count) images), \(test.name) (\(test.count) images)"
        try Provenance(
            checkpoint: out, architecture: arch, normalization: norm, dataset: dataset, config: summary,
            state: TrainState(epoch: epochs, batch: 0, history: history, commands: commands)
        )
        .write(to: files.provenance)
    }

    /// This rank's contiguous rows of a global batch (all of it in one process).
    static func share(_ batch: (images: Tensor, labels: [Int]), _ comm: Communicator) -> (Tensor, [Int]) {
        guard comm.size > 1 else { return batch }
        let rows = Shard.range(count: batch.labels.count, parts: comm.size, index: comm.rank)
        let per = batch.images.count / max(batch.labels.count, 1)
        let x = Tensor(uninitialized: [rows.count] + batch.images.shape.dropFirst())
        x.uncheckedMutablePointer.update(
            from: batch.images.readPointer + rows.lowerBound * per, count: rows.count * per)
        return (x, Array(batch.labels[rows]))
    }

    private func makeOptimizer() -> Optimizer {
        let params = model.trainableParameters()
        let (lr, wd) = (config.resolvedLearningRate, config.resolvedWeightDecay)
        switch config.optimizer {
        case .sgd:
            return SGD(
                parameters: params, learningRate: lr, momentum: config.momentum, weightDecay: wd,
                nesterov: config.nesterov)
        case .adam, .adamw:
            return Adam(
                parameters: params, learningRate: lr, beta1: config.beta1, beta2: config.beta2,
                eps: config.eps, weightDecay: wd, decoupled: config.optimizer == .adamw)
        }
    }

    private func makeDistillation() throws -> Distillation? {
        guard let d = config.distillation else { return nil }
        let t = try Checkpoint(path: d.teacher)
        guard t.architecture.numClasses == architecture.numClasses,
            t.architecture.inChannels == architecture.inChannels
        else {
            throw GhostError.file(
                d.teacher,
                "teacher \(t.architecture.displayName) does not match "
                    + "\(architecture.displayName) (classes or input channels)")
        }
        return Distillation(teacher: try t.makeModel().model, temperature: d.temperature, weight: d.weight)
    }

    private func trainSummary() throws -> String {
        var initSHA: String?
        if case .initialise(let path) = config.start { initSHA = try SHA256.hex(file: path) }
        let teacherSHA = try config.distillation.map { try SHA256.hex(file: $0.teacher) }
        return config.summary(architecture: architecture, initSHA: initSHA, teacherSHA: teacherSHA)
    }
}

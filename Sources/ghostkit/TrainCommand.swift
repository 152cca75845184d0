import ArgumentParser
import Foundation
import GhostCheckpoint
import GhostData
import GhostIO
import GhostModels
import GhostReport
import GhostTensor
import GhostTrain

/// `ghostkit train`: SGD/Adam/AdamW training of a ResNet or GhostNet with per-epoch atomic checkpoints and exact resume.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a ResNet or GhostNet (SGD, Adam or AdamW; cosine schedule with warm-up) with atomic per-epoch checkpoints and --resume.",
        discussion: """
        Example (a short run):
          ghostkit train --arch resnet18 --stem cifar --in-channels 1 --num-classes 10 --dataset fashion-mnist \\
                         --epochs 1 --limit-train 2000 --out outputs/train-demo/model.safetensors
          ghostkit train --arch ghostnet --stem cifar --in-channels 1 --num-classes 10 --optimizer adamw \\
                         --epochs 1 --limit-train 2000 --out outputs/train-ghostnet/model.safetensors
        Ctrl-C writes a checkpoint at the current batch; --resume continues from it exactly
        (same seed and thread count give bitwise-identical weights).
        """)

    @OptionGroup var archOptions: ArchitectureOptions
    @OptionGroup var data: DatasetOptions
    @OptionGroup var engine: EngineOptions
    @Option(help: "Epochs.") var epochs: Int = 10
    @Option(help: "Batch size.") var batchSize: Int = 128
    @Option(help: "Optimiser: sgd, adam or adamw (PyTorch semantics).") var optimizer: String = "sgd"
    @Option(help: "Peak learning rate (default 0.1 for sgd, 0.001 for adam and adamw).") var lr: Float?
    @Option(help: "Momentum (sgd).") var momentum: Float = 0.9
    @Flag(help: "Nesterov momentum (sgd).") var nesterov = false
    @Option(help: "Weight decay: coupled L2 for sgd and adam (default 5e-4), decoupled for adamw (default 0.01).") var weightDecay: Float?
    @Option(help: "Adam's β₁.") var beta1: Float = 0.9
    @Option(help: "Adam's β₂.") var beta2: Float = 0.999
    @Option(help: "Adam's ε (added outside the square root).") var eps: Float = 1e-8
    @Option(help: "Linear warm-up length in epochs (fractional allowed).") var warmupEpochs: Double = 1
    @Option(help: "Label smoothing ε.") var labelSmoothing: Float = 0
    @Option(help: "Clip the global gradient norm to this value (0 = off).") var clipNorm: Float = 0
    @Option(help: "Random-crop padding in pixels (0 = off).") var cropPadding: Int = 2
    @Flag(inversion: .prefixedNo, help: "Random horizontal flips (turn off for digit-like data).") var flip = true
    @Option(help: "Random seed (initialisation, shuffling, augmentation).") var seed: UInt64 = 0
    @Option(help: "Checkpoint path (written atomically after every epoch).") var out: String
    @Option(help: "Storage dtype of the checkpoint: F32, F16 or BF16.") var dtype: String = "F32"
    @Option(help: "Resume from this checkpoint (written by ghostkit train).") var resume: String?
    @Option(name: .customLong("init"), help: "Start from the weights (and architecture) of this checkpoint, e.g. a converted Ghost-ResNet.")
    var initCheckpoint: String?
    @Option(help: "Distil from this teacher checkpoint (e.g. the ResNet a Ghost model was converted from).") var teacher: String?
    @Option(help: "Distillation temperature T.") var kdTemperature: Float = 4
    @Option(help: "Distillation weight α of the soft loss (1 − α on the labels).") var kdWeight: Float = 0.5
    @Option(help: "Behave as if interrupted after this many batches of this run (tests of --resume).") var stopAfter: Int?

    func run() throws {
        let outDir = URL(fileURLWithPath: out).deletingLastPathComponent().path
        /// Side files share the checkpoint's stem: model.safetensors → model.json, model-metrics.csv, model-curve.png.
        let stem = out.hasSuffix(".safetensors") ? String(out.dropLast(12)) : out
        let (metricsCSV, metricsJSON, curvePNG, provenancePath) = (stem + "-metrics.csv", stem + "-metrics.json", stem + "-curve.png", stem + ".json")
        // First thing: remove what a run killed while writing any of these left behind.
        for path in [out, metricsCSV, metricsJSON, curvePNG, provenancePath] {
            AtomicFile.removeStaleTemps(in: outDir, for: URL(fileURLWithPath: path).lastPathComponent)
        }
        try engine.apply()
        let kind = try OptimizerKind(name: optimizer)
        let lr = self.lr ?? (kind == .sgd ? 0.1 : 1e-3)
        let weightDecay = self.weightDecay ?? (kind == .adamw ? 0.01 : 5e-4)
        guard epochs >= 1, batchSize >= 1, lr > 0, (0..<1).contains(momentum), weightDecay >= 0, cropPadding >= 0 else {
            throw ValidationError("need --epochs ≥ 1, --batch-size ≥ 1, --lr > 0, 0 ≤ --momentum < 1, --weight-decay ≥ 0")
        }
        guard (0..<1).contains(beta1), (0..<1).contains(beta2), eps >= 0 else { throw ValidationError("need 0 ≤ --beta1, --beta2 < 1 and --eps ≥ 0") }
        guard kind == .sgd || !nesterov else { throw ValidationError("--nesterov applies to --optimizer sgd") }
        guard let storage = SafetensorsDType(rawValue: dtype.uppercased()), [.F32, .F16, .BF16].contains(storage) else {
            throw ValidationError("--dtype must be F32, F16 or BF16")
        }
        var arch = try archOptions.architecture()
        var model: ImageClassifier
        var startEpoch = 0, startBatch = 0
        var history: [EpochRecord] = []
        var optimizerState: [String: Tensor] = [:]
        var commands: [String] = []
        var checkpointNormalization: Normalization?
        if let resume {
            let ckpt = try Checkpoint(path: resume)
            if let a = arch, a != ckpt.architecture {
                throw GhostError.file(resume, "checkpoint is \(ckpt.architecture.displayName), not \(a.displayName)")
            }
            guard let state = ckpt.metadata[TrainState.key].flatMap(TrainState.init(json:)) else {
                throw GhostError.file(resume, "has no training state (was it written by ghostkit train?)")
            }
            arch = ckpt.architecture
            model = try ckpt.makeModel().model
            optimizerState = ckpt.optimizerState
            (startEpoch, startBatch, history) = (state.epoch, state.batch, state.history)
            commands = state.commands ?? []
            checkpointNormalization = ckpt.normalization
            FileHandle.standardError.write("resuming \(resume) at epoch \(startEpoch + 1), batch \(startBatch)\n".data(using: .utf8)!)
        } else if let initCheckpoint {
            let ckpt = try Checkpoint(path: initCheckpoint)
            if let a = arch, a != ckpt.architecture {
                throw GhostError.file(initCheckpoint, "checkpoint is \(ckpt.architecture.displayName), not \(a.displayName)")
            }
            arch = ckpt.architecture
            model = try ckpt.makeModel().model
            checkpointNormalization = ckpt.normalization
        } else {
            guard let a = arch else { throw ValidationError("--arch is required (or --resume / --init)") }
            model = a.build(seed: seed)
        }
        guard let arch else { throw ValidationError("--arch is required") }
        let train = try data.load(split: "train", architecture: arch)
        let test = try data.load(split: "test", architecture: arch, like: train)
        /// A resumed or fine-tuned model keeps the normalisation it was trained with.
        let norm = try checkpointNormalization ?? data.normalization(of: train)
        guard arch.inChannels == train.channels else {
            throw ValidationError("\(arch.displayName) expects \(arch.inChannels) input channels; \(train.name) has \(train.channels)")
        }
        guard arch.numClasses == train.classNames.count else {
            throw ValidationError("\(arch.displayName) has \(arch.numClasses) classes; \(train.name) has \(train.classNames.count)")
        }
        let loader = BatchLoader(dataset: train, batchSize: batchSize, normalization: norm,
                                 augmentation: Augmentation(cropPadding: cropPadding, horizontalFlip: flip),
                                 seed: seed, shuffle: true, dropLast: true)
        guard loader.batchesPerEpoch > 0 else { throw ValidationError("--batch-size \(batchSize) exceeds the \(train.count) training images") }
        let testLoader = BatchLoader(dataset: test, batchSize: 256, normalization: norm)
        let steps = loader.batchesPerEpoch
        let schedule = LRSchedule.cosine(baseLR: lr, totalSteps: epochs * steps,
                                         warmupSteps: Int(warmupEpochs * Double(steps)), minLR: 0)
        let params = model.trainableParameters()
        let opt: Optimizer = switch kind {
        case .sgd: SGD(parameters: params, learningRate: lr, momentum: momentum, weightDecay: weightDecay, nesterov: nesterov)
        case .adam, .adamw: Adam(parameters: params, learningRate: lr, beta1: beta1, beta2: beta2, eps: eps, weightDecay: weightDecay,
                                 decoupled: kind == .adamw)
        }
        do { try opt.loadState(optimizerState) } catch let e as GhostError { throw GhostError.file(resume ?? out, e.message) }
        var distillation: Distillation?
        if let teacher {
            guard kdTemperature > 0, (0...1).contains(kdWeight) else { throw ValidationError("need --kd-temperature > 0 and 0 ≤ --kd-weight ≤ 1") }
            let t = try Checkpoint(path: teacher)
            guard t.architecture.numClasses == arch.numClasses, t.architecture.inChannels == arch.inChannels else {
                throw GhostError.file(teacher, "teacher \(t.architecture.displayName) does not match \(arch.displayName) (classes or input channels)")
            }
            distillation = Distillation(teacher: try t.makeModel().model, temperature: kdTemperature, weight: kdWeight)
        }
        let step = TrainStep(model: model, optimizer: opt, labelSmoothing: labelSmoothing, clipNorm: clipNorm > 0 ? clipNorm : nil,
                             distillation: distillation)
        try FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: true)
        let optimizerConfig = kind == .sgd ? "momentum=\(momentum) nesterov=\(nesterov)"
            : "optimizer=\(kind.rawValue) beta1=\(beta1) beta2=\(beta2) eps=\(eps)"
        let config = "arch=\(arch.json) epochs=\(epochs) batch=\(batchSize) lr=\(lr) \(optimizerConfig) " +
            "wd=\(weightDecay) warmup=\(warmupEpochs) ls=\(labelSmoothing) crop=\(cropPadding) flip=\(flip) seed=\(seed) threads=\(engine.threads)"
            + (try initCheckpoint.map { " init=\($0) init_sha256=\(try SHA256.hex(file: $0))" } ?? "")
            + (try teacher.map { " teacher=\($0) teacher_sha256=\(try SHA256.hex(file: $0)) kd_t=\(kdTemperature) kd_alpha=\(kdWeight)" } ?? "")
        commands.append((["ghostkit"] + CommandLine.arguments.dropFirst()).map { $0.contains(" ") ? "'\($0)'" : $0 }.joined(separator: " "))
        func save(epoch: Int, batch: Int) throws {
            let state = TrainState(epoch: epoch, batch: batch, history: history, commands: commands)
            try Checkpoint.save(model, architecture: arch, to: out, dtype: batch == 0 && epoch == epochs ? storage : .F32,
                                normalization: norm,
                                metadata: [TrainState.key: state.json, "ghostkit.train_config": config],
                                optimizerState: epoch == epochs ? [:] : opt.state)
        }
        Interrupt.install()
        var batchesRun = 0
        for epoch in startEpoch..<epochs {
            let order = loader.order(epoch: epoch)
            let bar = ProgressBar(total: steps, label: "epoch \(epoch + 1)/\(epochs)")
            var lossSum: Double = 0, correct = 0, seen = 0
            let t0 = Date()
            for b in (epoch == startEpoch ? startBatch : 0)..<steps {
                if Interrupt.requested || batchesRun == stopAfter {
                    try save(epoch: epoch, batch: b)
                    bar.finish()
                    throw GhostError.file(out, "interrupted at epoch \(epoch + 1), batch \(b); checkpoint written, continue with --resume \(out)")
                }
                opt.learningRate = schedule.learningRate(at: epoch * steps + b)
                let (x, y) = loader.batch(b, order: order, epoch: epoch)
                let r = step(x, y)
                batchesRun += 1
                guard r.loss.isFinite else {
                    let kept = FileManager.default.fileExists(atPath: out) ? "the last good checkpoint is kept" : "no checkpoint was written"
                    throw GhostError.file(out, "loss became \(r.loss.isNaN ? "NaN" : "\(r.loss)") at epoch \(epoch + 1), batch \(b) (step \(epoch * steps + b)); \(kept)")
                }
                lossSum += Double(r.loss) * Double(y.count); correct += r.correct; seen += y.count
                let rate = Double(seen) / max(Date().timeIntervalSince(t0), 1e-9)
                bar.update(b + 1, String(format: "loss %.4f acc %.2f%% lr %.4f %.1f img/s", lossSum / Double(seen),
                                         100 * Double(correct) / Double(seen), opt.learningRate, rate))
            }
            bar.finish()
            let eval = Evaluation.run(model, loader: testLoader, classes: arch.numClasses)
            history.append(EpochRecord(epoch: epoch + 1, trainLoss: seen > 0 ? lossSum / Double(seen) : .nan,
                                       trainAccuracy: seen > 0 ? Double(correct) / Double(seen) : .nan,
                                       testLoss: eval.meanLoss, testAccuracy: eval.accuracy,
                                       seconds: Date().timeIntervalSince(t0)))
            FileHandle.standardError.write(String(format: "epoch %d: test accuracy %.2f%%, test loss %.4f\n",
                                                  epoch + 1, 100 * eval.accuracy, eval.meanLoss).data(using: .utf8)!)
            try save(epoch: epoch + 1, batch: 0)
            try EpochRecord.write(history, csv: metricsCSV, json: metricsJSON)
            try PNGFile.write(TrainingCurve.render(history, title: arch.displayName), to: curvePNG)
        }
        try Provenance(checkpoint: out, architecture: arch, normalization: norm, dataset: "\(train.name) (\(train.count) images), \(test.name) (\(test.count) images)",
                       config: config, state: TrainState(epoch: epochs, batch: 0, history: history, commands: commands))
            .write(to: provenancePath)
        print("wrote \(out), \(provenancePath), \(metricsCSV), \(metricsJSON), \(curvePNG)")
    }
}

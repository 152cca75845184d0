import ArgumentParser
import Foundation
import GhostCheckpoint
import GhostData
import GhostIO
import GhostModels
import GhostTensor
import GhostTrain

/// `ghostkit train`: SGD/Adam/AdamW training of a ResNet or GhostNet with per-epoch atomic checkpoints and exact
/// resume.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract:
            "Train a ResNet or GhostNet (SGD, Adam or AdamW; cosine schedule with warm-up) with atomic per-epoch " +
                "checkpoints and --resume.",
        discussion: HelpText.fit(
            """
            Example (a short run):
              ghostkit train --arch resnet18 --stem cifar --in-channels 1 --num-classes 10 --dataset fashion-mnist \\
                             --epochs 1 --limit-train 2000 --out outputs/train-demo/model.safetensors
              ghostkit train --arch ghostnet --stem cifar --in-channels 1 --num-classes 10 --optimizer adamw \\
                             --epochs 1 --limit-train 2000 --out outputs/train-ghostnet/model.safetensors
            Ctrl-C writes a checkpoint at the current batch; --resume continues from it exactly
            (same seed and thread count give bitwise-identical weights).
            """))

    @OptionGroup var archOptions: ArchitectureOptions
    @OptionGroup var data: DatasetOptions
    @OptionGroup var engine: EngineOptions
    @OptionGroup var existing: OverwriteOption
    @Option(help: "Epochs.") var epochs: Int = 10
    @Option(help: "Batch size.") var batchSize: Int = 128
    @Option(help: "Optimiser: sgd, adam or adamw (PyTorch semantics).") var optimizer: OptimizerKind = .sgd
    @Option(help: "Peak learning rate (default 0.1 for sgd, 0.001 for adam and adamw).") var lr: Float?
    @Option(help: "Momentum (sgd).") var momentum: Float = 0.9
    @Flag(help: "Nesterov momentum (sgd).") var nesterov = false
    @Option(help: "Weight decay: coupled L2 for sgd and adam (default 5e-4), decoupled for adamw (default 0.01).")
    var weightDecay: Float?
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
    @Option(help: "Storage dtype of the checkpoint: F32, F16 or BF16.") var dtype: StorageDType = .f32
    @Option(help: "Resume from this checkpoint (written by ghostkit train).") var resume: String?
    @Option(
        name: .customLong("init"),
        help: "Start from the weights (and architecture) of this checkpoint, e.g. a converted Ghost-ResNet.")
    var initCheckpoint: String?
    @Option(help: "Distil from this teacher checkpoint (e.g. the ResNet a Ghost model was converted from).")
    var teacher: String?
    @Option(help: "Distillation temperature T.") var kdTemperature: Float = 4
    @Option(help: "Distillation weight α of the soft loss (1 − α on the labels).") var kdWeight: Float = 0.5
    @Option(help: "Behave as if interrupted after this many batches of this run (tests of --resume).") var stopAfter:
        Int?

    func run() throws {
        let files = Trainer.Outputs(checkpoint: out)
        if resume == nil { try existing.check([out]) }
        // First thing: remove what a run killed while writing any of these left behind.
        for path in files.all { AtomicFile.removeStaleTemps(in: directory(of: path), for: fileName(of: path)) }
        try engine.apply()
        var config = TrainConfig(start: .initialise(from: ""), out: out)
        let arch = try archOptions.architecture()
        if let resume {
            config.start = .resume(resume)
        } else if let initCheckpoint {
            config.start = .initialise(from: initCheckpoint)
        } else {
            guard let arch else { throw ValidationError("--arch is required (or --resume / --init)") }
            config.start = .fresh(arch)
        }
        (config.epochs, config.batchSize, config.optimizer) = (epochs, batchSize, optimizer)
        (config.learningRate, config.momentum, config.nesterov, config.weightDecay) = (
            lr, momentum, nesterov, weightDecay
        )
        (config.beta1, config.beta2, config.eps, config.warmupEpochs) = (beta1, beta2, eps, warmupEpochs)
        (config.labelSmoothing, config.clipNorm) = (labelSmoothing, clipNorm > 0 ? clipNorm : nil)
        config.augmentation = Augmentation(cropPadding: cropPadding, horizontalFlip: flip)
        (config.seed, config.dtype, config.stopAfter) = (seed, dtype.safetensors, stopAfter)
        config.threads = engine.threads
        config.distillation = teacher.map {
            DistillationConfig(teacher: $0, temperature: kdTemperature, weight: kdWeight)
        }
        config.commandLine = CommandLine.recorded
        try TrainCommand.train(config, expected: arch, data: data)
    }
}

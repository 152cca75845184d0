import ArgumentParser
import Foundation
import GhostCheckpoint
import GhostData
import GhostIO
import GhostModels
import GhostTensor
import GhostTrain

/// `ghostkit finetune`: a short SGD run starting from a checkpoint (typically a converted Ghost-ResNet);
/// the training engine of `ghostkit train --init` with fine-tuning defaults.
struct FinetuneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "finetune",
        abstract:
            "Fine-tune a checkpoint (e.g. a converted Ghost-ResNet) on Fashion-MNIST: train --init with short-run " +
                "defaults.",
        discussion: HelpText.fit(
            """
              ghostkit finetune outputs/convert-resnet18-fmnist/resnet18-fmnist-ghost-s2-d3.safetensors --epochs 2
            Same progress bar, per-epoch atomic checkpoints, --resume, metrics and curve as `ghostkit train`.
            """))

    @Argument(help: "Checkpoint to start from.") var checkpoint: String
    @Option(help: "Epochs.") var epochs: Int = 2
    @Option(help: "Peak learning rate (cosine decay to 0).") var lr: Float = 0.01
    @Option(help: "Linear warm-up in epochs.") var warmupEpochs: Double = 0.1
    @Option(help: "Batch size.") var batchSize: Int = 128
    @Option(help: "Weight decay.") var weightDecay: Float = 5e-4
    @Option(help: "Label smoothing ε.") var labelSmoothing: Float = 0.1
    @Option(help: "Random seed.") var seed: UInt64 = 0
    @OptionGroup var data: DatasetOptions
    @Option(help: "Storage dtype of the final checkpoint.") var dtype: StorageDType = .f32
    @Option(help: "Output checkpoint (default: <input stem>-ft.safetensors beside the input).") var out: String?
    @Option(help: "Resume an interrupted fine-tune from its checkpoint.") var resume: String?
    @OptionGroup var engine: EngineOptions
    @Flag(help: "Distil from the ResNet the checkpoint was converted from (its metadata names it), or from --teacher.")
    var distill = false
    @Option(help: "Teacher checkpoint for distillation (implies --distill).") var teacher: String?
    @Option(help: "Distillation temperature T.") var kdTemperature: Float = 4
    @Option(help: "Distillation weight α.") var kdWeight: Float = 0.5
    @OptionGroup var existing: OverwriteOption

    func run() throws {
        let stem = checkpoint.hasSuffix(".safetensors") ? String(checkpoint.dropLast(12)) : checkpoint
        var config = TrainConfig(
            start: resume.map { .resume($0) } ?? .initialise(from: checkpoint),
            out: out ?? stem + "-ft.safetensors")
        if resume == nil { try existing.check([config.out]) }
        for path in Trainer.Outputs(checkpoint: config.out).all {
            AtomicFile.removeStaleTemps(in: directory(of: path), for: fileName(of: path))
        }
        try engine.apply()
        (config.epochs, config.learningRate, config.warmupEpochs, config.batchSize) = (
            epochs, lr, warmupEpochs, batchSize
        )
        (config.weightDecay, config.labelSmoothing, config.nesterov, config.seed) = (
            weightDecay, labelSmoothing, true, seed
        )
        let storage = dtype.safetensors
        (config.dtype, config.threads, config.commandLine) = (storage, engine.threads, CommandLine.recorded)
        if distill || teacher != nil {
            guard let t = try teacher ?? Checkpoint(path: checkpoint).metadata["ghostkit.converted_from"] else {
                throw GhostError.file(
                    checkpoint,
                    "names no source model to distil from (not written by ghostkit "
                        + "convert); pass --teacher")
            }
            FileHandle.standardError.write(Data("distilling from \(t) (T = \(kdTemperature), α = \(kdWeight))\n".utf8))
            config.distillation = DistillationConfig(teacher: t, temperature: kdTemperature, weight: kdWeight)
        }
        try TrainCommand.train(config, expected: nil, data: data)
    }
}

import ArgumentParser
import Foundation
import GhostCheckpoint
import GhostConvert
import GhostData
import GhostDistributed
import GhostIO
import GhostModels
import GhostReport
import GhostTensor
import GhostTrain

/// `ghostkit convert`: a trained ResNet becomes a Ghost-ResNet, initialised from its own weights and activations.
struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract:
            "Convert a trained ResNet into a Ghost-ResNet (data-driven intrinsic channels and fitted cheap kernels).",
        discussion: HelpText.fit(
            """
              ghostkit convert                                   # the embedded checkpoint, s=2, d=3
              ghostkit convert checkpoints/resnet18-fmnist.safetensors --s 3 --d 5 --calibration-images 1024
              ghostkit convert my.safetensors --arch resnet18 --naive --out outputs/naive/ghost.safetensors
            Writes the Ghost checkpoint and report.{md,json,csv}
            (default: outputs/convert-<model>/<model>-ghost-s<s>-d<d>.safetensors).
            Then: ghostkit finetune <that checkpoint>.
            """))

    @Argument(help: "Trained ResNet checkpoint (default: the embedded one).") var checkpoint: String?
    @Option(help: "Expected architecture (resnet18, resnet50, resnet56 …): refuse a checkpoint of another one.")
    var arch: String?
    @Option(name: .customLong("s"), help: "Ratio s: m = ⌈n/s⌉ intrinsic channels per conv.") var s: Int = 2
    @Option(name: .customLong("d"), help: "Kernel size d of the depthwise cheap operation (odd).") var d: Int = 3
    @Option(
        help: ArgumentHelp("Residual blocks to convert: comma-separated names or globs, a stage name meaning all its "
            + "blocks (e.g. 'layer3,layer4' or 'layer2.1'; default: all)."))
    var blocks: String?
    @Option(
        help: """
            Redundancy-guided: choose s ∈ {1,2,3,4} and d ∈ {1,3} per conv so that MACs ≤ F × the original's \
            (0 < F < 1; replaces --s/--d).
            """) var macsBudget: Double?
    @OptionGroup var guided: GuidedSearchOptions
    @Flag(help: "Naive conversion: first m filters, identity cheap kernels (the ablation baseline).") var naive = false
    @Option(help: "Training images (of the image source's train split) used for calibration.")
    var calibrationImages: Int = 512
    @Option(help: "Test images for the accuracy before/after (0 = skip).") var evalImages: Int = 10000
    @Flag(help: "Keep the BN statistics from the conversion (no AdaBN recalibration).") var noRecalibrate = false
    @OptionGroup var source: ImageSourceOptions
    @Option(help: "Storage dtype of the Ghost checkpoint: F32, F16 or BF16.") var dtype: StorageDType = .f32
    @Option(help: "Output checkpoint path.") var out: String?
    @Option(
        help: ArgumentHelp("Converted conv whose maps are drawn in the original and in the Ghost model, ghosts "
            + "outlined (default: the first, e.g. layer1.0.conv1)."))
    var gridUnit: String?
    @OptionGroup var engine: EngineOptions
    @OptionGroup var existing: OverwriteOption

    func run() throws {
        try engine.apply()
        var c = ConversionConfig(checkpoint: try checkpoint ?? EmbeddedCheckpoint.path())
        (c.expectedArchitecture, c.s, c.d, c.blocks) = (arch, s, d, blocks)
        (c.mode, c.calibrationImages, c.evalImages) = (naive ? .naive : .dataDriven, calibrationImages, evalImages)
        let storage = dtype.safetensors
        (c.recalibrate, c.source, c.inputSize) = (!noRecalibrate, try source.source(), source.inputSize)
        (c.dtype, c.out, c.macsBudget, c.overwrite) = (storage, out, macsBudget, existing.overwrite)
        c.guided = guided.search()
        if let p = c.problem() { throw ValidationError(p) }
        c.communicator = World.current  // under mpirun: calibration and test batches sharded, sums all-reduced
        var bar: ProgressBar?
        let done = try ConversionRun.run(
            c, checkUnits: { _ = try ConversionGrids.unit(gridUnit, among: $0) },
            progress: { label, b, total in
                if bar?.label != label {
                    bar?.finish()
                    bar = ProgressBar(total: total, label: label)
                }
                bar?.update(b, "")
            }, note: { FileHandle.standardError.write(Data(($0 + "\n").utf8)) })
        bar?.finish()
        guard World.current.isRoot else { return }  // rank 0 writes the report and grids
        // One image's maps of one converted conv, original vs Ghost.
        let grids = try ConversionGrids(
            original: done.original, ghost: done.ghost, unit: gridUnit,
            image: done.sampleImage)
        let pictures = grids.render(originalName: done.report.original, ghostName: done.report.converted)
        let gridFiles = ["grid-\(grids.unit)-resnet.png", "grid-\(grids.unit)-ghost.png"]
        try PNGFile.write(pictures.original, to: done.dir + "/" + gridFiles[0])
        try PNGFile.write(pictures.ghost, to: done.dir + "/" + gridFiles[1])
        let plot = try done.report.guided.map { try GuidedPlanFigure.write($0, to: done.dir) } ?? []
        let written =
            try plot + done.report.write(to: done.dir, grids: (grids.unit, gridFiles, grids.ghostChannels.count))
        print(done.report.summary())
        print("wrote " + ([done.output] + written + gridFiles.map { done.dir + "/" + $0 }).joined(separator: ", "))
    }
}

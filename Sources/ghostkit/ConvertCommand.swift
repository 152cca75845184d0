import ArgumentParser
import Foundation
import GhostCheckpoint
import GhostConvert
import GhostData
import GhostIO
import GhostModels
import GhostReport
import GhostTensor
import GhostTrain

/// `ghostkit convert`: a trained ResNet becomes a Ghost-ResNet, initialised from its own weights and activations.
struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert a trained ResNet into a Ghost-ResNet (data-driven intrinsic channels and fitted cheap kernels).",
        discussion: """
          ghostkit convert                                   # the embedded checkpoint, s=2, d=3
          ghostkit convert checkpoints/resnet18-fmnist.safetensors --s 3 --d 5 --calibration-images 1024
          ghostkit convert my.safetensors --arch resnet18 --naive --out outputs/naive/ghost.safetensors
        Writes the Ghost checkpoint and report.{md,json,csv} (default: outputs/convert-<model>/<model>-ghost-s<s>-d<d>.safetensors).
        Then: ghostkit finetune <that checkpoint>.
        """)

    @Argument(help: "Trained ResNet checkpoint (default: the embedded one).") var checkpoint: String?
    @Option(help: "Expected architecture (resnet18, resnet50, resnet56 …): refuse a checkpoint of another one.") var arch: String?
    @Option(name: .customLong("s"), help: "Ratio s: m = ⌈n/s⌉ intrinsic channels per conv.") var ratio: Int = 2
    @Option(name: .customLong("d"), help: "Kernel size d of the depthwise cheap operation (odd).") var kernel: Int = 3
    @Option(help: "Residual blocks to convert: comma-separated names or globs, a stage name meaning all its blocks (e.g. 'layer3,layer4' or 'layer2.1'; default: all).")
    var blocks: String?
    @Option(help: """
        Redundancy-guided: choose s ∈ {1,2,3,4} and d ∈ {1,3} per conv so that MACs ≤ F × the original's \
        (0 < F < 1; replaces --s/--d).
        """) var macsBudget: Double?
    @Flag(help: "Naive conversion: first m filters, identity cheap kernels (the ablation baseline).") var naive = false
    @Option(help: "Fashion-MNIST training images used for calibration.") var calibrationImages: Int = 512
    @Option(help: "Test images for the accuracy before/after (0 = skip).") var evalImages: Int = 10000
    @Flag(help: "Keep the BN statistics from the conversion (no AdaBN recalibration).") var noRecalibrate = false
    @Option(help: "Directory with Fashion-MNIST (IDX).") var dataDir: String = ImageDataset.fashionMNISTDirectory
    @Option(help: "Storage dtype of the Ghost checkpoint: F32, F16 or BF16.") var dtype: String = "F32"
    @Option(help: "Output checkpoint path.") var out: String?
    @Option(help: "Converted conv whose maps are drawn in the original and in the Ghost model, ghosts outlined (default: the first, e.g. layer1.0.conv1).")
    var gridUnit: String?
    @OptionGroup var engine: EngineOptions

    func run() throws {
        try engine.apply()
        guard ratio >= 2 else { throw ValidationError("--s must be ≥ 2 (got \(ratio))") }
        guard kernel >= 1, kernel % 2 == 1 else { throw ValidationError("--d must be odd and ≥ 1 (got \(kernel))") }
        guard let storage = SafetensorsDType(rawValue: dtype.uppercased()), [.F32, .F16, .BF16].contains(storage) else {
            throw ValidationError("--dtype must be F32, F16 or BF16")
        }
        guard calibrationImages >= 32 else { throw ValidationError("--calibration-images must be ≥ 32 (BN statistics and the d×d fits need them)") }
        let path = try checkpoint ?? ScanPipeline.defaultCheckpoint()
        let t0 = Date()
        let ckpt = try Checkpoint(path: path)
        if let arch {
            let expected = try Architecture(name: arch)
            guard expected.family == ckpt.architecture.family, expected.depth == ckpt.architecture.depth, expected.ghost == ckpt.architecture.ghost else {
                throw GhostError.file(path, "checkpoint is \(ckpt.architecture.displayName), not \(arch)")
            }
        }
        guard ckpt.architecture.family != "ghostnet" else {
            throw GhostError.file(path, "is a GhostNet (\(ckpt.architecture.displayName)); convert turns a plain ResNet into a Ghost-ResNet")
        }
        guard ckpt.architecture.ghost == nil else { throw GhostError.file(path, "is already a Ghost-ResNet (\(ckpt.architecture.displayName)); convert a plain ResNet") }
        let (original, _) = try ckpt.makeModel()
        let allBlocks = ckpt.architecture.blockNames
        let chosen: [String]? = try blocks.map { spec in
            let expanded = spec.split(separator: ",").map { p in
                let p = p.trimmingCharacters(in: .whitespaces)
                return p.contains(".") ? p : p + ".*"   // a stage name ("layer3") means all of its blocks
            }.joined(separator: ",")
            return try LayerSelection.resolve(expanded, available: allBlocks)
        }
        let norm = ckpt.normalization ?? ImageDataset.fashionMNISTNormalization
        let train = try ImageDataset.fashionMNIST(split: "train", directory: dataDir)
        guard train.count >= calibrationImages else {
            throw GhostError.file(dataDir, "has \(train.count) training images; --calibration-images \(calibrationImages) needs more")
        }
        guard train.channels == ckpt.architecture.inChannels else {
            throw GhostError.file(path, "\(ckpt.architecture.displayName) expects \(ckpt.architecture.inChannels) input channels; \(train.name) has \(train.channels)")
        }
        let calib = BatchLoader(dataset: train.prefix(calibrationImages), batchSize: 64, normalization: norm)
        let order = calib.order(epoch: 0)
        let batches = (0..<calib.batchesPerEpoch).map { calib.batch($0, order: order, epoch: 0).images }

        guard macsBudget == nil || (blocks == nil && !naive) else { throw ValidationError("--macs-budget converts all blocks, data-driven") }
        let plan = try macsBudget.map { try GuidedRatios.plan(original, architecture: ckpt.architecture, calibration: batches,
                                                              fraction: $0, inputShape: [1, train.channels, train.height, train.width]) }
        FileHandle.standardError.write("converting \(ckpt.architecture.displayName) with s=\(ratio), d=\(kernel) (\(naive ? "naive" : "data-driven"))…\n".data(using: .utf8)!)
        let (ghost, ghostArch, units) = try ResNetToGhost.convert(original, architecture: ckpt.architecture,
                                                                   settings: .init(ghost: GhostSettings(s: ratio, d: kernel, blocks: chosen == allBlocks ? nil : chosen, convs: plan?.ratios),
                                                                                  dataDriven: !naive),
                                                                   calibration: batches)
        _ = try ConversionGrids.unit(gridUnit, among: units.map(\.name))   // before minutes of evaluation
        var accOriginal: Double?, accConverted: Double?, accRecal: Double?
        let test = evalImages > 0 ? try ImageDataset.fashionMNIST(split: "test", directory: dataDir).prefix(evalImages) : nil
        func accuracy(_ m: Module, _ label: String) -> Double? {
            guard let test else { return nil }
            let loader = BatchLoader(dataset: test, batchSize: 256, normalization: norm)
            let bar = ProgressBar(total: loader.batchesPerEpoch, label: label)
            let e = Evaluation.run(m, loader: loader, classes: ckpt.architecture.numClasses) { b, _ in bar.update(b, "") }
            bar.finish()
            return e.accuracy
        }
        accOriginal = accuracy(original, "eval original")
        accConverted = accuracy(ghost, "eval converted")
        if !noRecalibrate {
            ResNetToGhost.recalibrateBatchNorm(ghost, batches: batches)
            accRecal = accuracy(ghost, "eval recalibrated")
        }

        // One image's maps of one converted conv, original vs Ghost (computed before anything is written).
        let image = BatchLoader(dataset: (test ?? train).prefix(1), batchSize: 1, normalization: norm).batch(0, order: [0], epoch: 0).images
        guard let resnet = original as? ResNet else { throw GhostError.file(path, "is not a plain ResNet") }
        let grids = try ConversionGrids(original: resnet, ghost: ghost, unit: gridUnit, image: image)

        let stem = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        let output = out ?? "outputs/convert-\(stem)/\(stem)-ghost-\(macsBudget.map { "guided\($0)" } ?? "s\(ratio)-d\(kernel)")\(naive ? "-naive" : "")\(partialTag(chosen, of: allBlocks)).safetensors"
        let dir = (output as NSString).deletingLastPathComponent.isEmpty ? "." : (output as NSString).deletingLastPathComponent
        try OutputDirectory.create(dir)
        let sha = try SHA256.hex(file: path)
        try Checkpoint.save(ghost, architecture: ghostArch, to: output, dtype: storage, normalization: norm, metadata: [
            "ghostkit.converted_from": path, "ghostkit.converted_from_sha256": sha,
            "ghostkit.conversion": "s=\(ratio) d=\(kernel) mode=\(naive ? "naive" : "data-driven") calibration=\(calibrationImages) recalibrated=\(!noRecalibrate)",
        ])
        let size = ckpt.architecture.inChannels == 1 ? 28 : ckpt.architecture.defaultInputSize
        func measure(_ m: Module) -> ConversionReport.Size {
            var p = Profiler()
            _ = m.profile([1, ckpt.architecture.inChannels, size, size], &p)
            return .init(params: p.totalParams, macs: p.totalMACs)
        }
        var report = ConversionReport(source: path, sourceSHA256: sha, output: output, original: ckpt.architecture.displayName,
                                      converted: ghostArch.displayName, s: ratio, d: kernel, mode: naive ? "naive" : "data-driven",
                                      calibrationImages: calibrationImages, recalibrated: !noRecalibrate, inputSize: size,
                                      sizeBefore: measure(original), sizeAfter: measure(ghost), evalImages: test?.count ?? 0,
                                      accuracyOriginal: accOriginal, accuracyConverted: accConverted, accuracyRecalibrated: accRecal,
                                      units: units, seconds: Date().timeIntervalSince(t0))
        report.guided = plan.map { var p = $0; p.measuredMACs = report.sizeAfter.macs; return p }
        let pictures = grids.render()
        let gridFiles = ["grid-\(grids.unit)-resnet.png", "grid-\(grids.unit)-ghost.png"]
        try PNGFile.write(pictures.original, to: dir + "/" + gridFiles[0])
        try PNGFile.write(pictures.ghost, to: dir + "/" + gridFiles[1])
        let written = try report.write(to: dir, grids: (grids.unit, gridFiles, grids.ghostChannels.count))
        print(report.summary())
        print("wrote " + ([output] + written + gridFiles.map { dir + "/" + $0 }).joined(separator: ", "))
    }

    /// File-name tag of a partial conversion: "-layer3-layer4" for whole stages, else "-<n>blocks".
    func partialTag(_ chosen: [String]?, of all: [String]) -> String {
        guard let chosen, chosen != all else { return "" }
        let stages = Set(all.map { String($0.split(separator: ".")[0]) })
        let whole = stages.filter { st in all.filter { $0.hasPrefix(st + ".") }.allSatisfy(chosen.contains) }.sorted()
        let covered = all.filter { b in whole.contains(String(b.split(separator: ".")[0])) }
        return covered == chosen ? "-" + whole.joined(separator: "-") : "-\(chosen.count)blocks"
    }
}

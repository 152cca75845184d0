import Foundation
import GhostCheckpoint
import GhostData
import GhostDistributed
import GhostIO
import GhostModels
import GhostTensor
import GhostTrain

/// A finished conversion: both models, the saved checkpoint and the report's data.
public struct ConversionOutcome {
    public let original: ResNet
    public let ghost: ResNet
    public let report: ConversionReport
    /// The Ghost checkpoint written, and its directory (where the report goes).
    public let output: String, dir: String
    /// One normalised input image (test set, else training set) for the original-vs-Ghost grids.
    public let sampleImage: Tensor
}

/// Turns a trained ResNet checkpoint into a Ghost-ResNet checkpoint: calibration, conversion, optional AdaBN,
/// accuracy before / right after / after recalibration, params and MACs.
public enum ConversionRun {
    /// `checkUnits` sees the converted units' names before minutes of evaluation (e.g. to validate a grid unit);
    /// `progress(label, done, total)` reports evaluation batches.
    public static func run(_ c: ConversionConfig, checkUnits: ([String]) throws -> Void = { _ in },
                           progress: @escaping (String, Int, Int) -> Void = { _, _, _ in },
                           note: (String) -> Void = { _ in }) throws -> ConversionOutcome {
        if let p = c.problem() { throw GhostError(p) }
        let path = c.checkpoint
        let t0 = Date()
        let ckpt = try Checkpoint(path: path)
        let arch = ckpt.architecture
        try check(arch, path: path, expected: c.expectedArchitecture)
        let (model, _) = try ckpt.makeModel()
        guard let original = model as? ResNet else { throw GhostError.file(path, "is not a plain ResNet") }
        let allBlocks = arch.blockNames
        let chosen = try c.blocks.map { try selectBlocks($0, among: allBlocks) }
        let output = c.out ?? defaultOutput(c, chosen: chosen, of: allBlocks)
        if !c.overwrite, FileManager.default.fileExists(atPath: output) {
            throw GhostError.file(output, "already exists (pass --overwrite to replace it)")
        }
        let norm = ckpt.normalization ?? c.source.defaultNormalization(channels: arch.inChannels)
        let side = c.inputSize ?? arch.evalInputSide
        let (train, available) = try c.source.stream(split: "train", channels: arch.inChannels, inputSize: side,
                                                     limit: c.calibrationImages)
        if let w = ImageSource.limitWarning(flag: "--calibration-images", limit: c.calibrationImages,
                                            available: available, name: train.name) { note(w) }
        guard train.count >= 32 else {
            throw GhostError("\(train.name): \(train.count) training images; calibration needs at least 32")
        }
        guard train.channels == arch.inChannels else {
            throw GhostError.file(path, "\(arch.displayName) expects \(arch.inChannels) input channels; "
                + "\(train.name) has \(train.channels)")
        }
        // Decoded batch by batch in every pass (folder images); IDX/CIFAR splits are sliced from memory.
        let comm = c.communicator
        let batches = CalibrationBatches(stream: train, normalization: norm).sharded(comm)
        guard batches.count >= comm.size else {
            throw GhostError("\(train.name): \(train.count) calibration images make \(batches.count) batch(es) of 64, "
                + "fewer than the \(comm.size) ranks; use ≥ \(64 * (comm.size - 1) + 1) images or fewer ranks")
        }

        // A guided search gathers the correlations and fits of all its options once (two passes): its residuals,
        // the damage pass's per-option conversions and the final conversion below are built from them.
        // A reused plan needs them only for the refinement's joint passes (the final conversion would gather them).
        let shared = c.macsBudget != nil && (c.guided.damageFrom == nil || c.guided.refinement.isOn)
            ? try GuidedRatios.statistics(original, architecture: arch, calibration: batches, search: c.guided) : nil
        // The refinement's probe: the training images right after the calibration images (out of sample for the
        // fits and AdaBN), when the split has them.
        var heldOut: Tensor?
        if c.macsBudget != nil, c.guided.refinement.isOn {
            let (more, _) = try c.source.stream(split: "train", channels: arch.inChannels, inputSize: side,
                                                limit: train.count + c.guided.refinement.probeImages)
            if more.count > train.count {
                let d = try more.images(train.count..<more.count)
                heldOut = BatchLoader(dataset: d, batchSize: d.count, normalization: norm)
                    .batch(0, order: Array(0..<d.count), epoch: 0).images
            } else {
                note("\(train.name): no training images beyond the calibration set; the guided refinement probes "
                    + "calibration images")
            }
        }
        let plan = try c.macsBudget.map {
            try GuidedRatios.plan(original, architecture: arch, calibration: batches, fraction: $0,
                                  inputShape: [1, train.channels, train.height, train.width], search: c.guided,
                                  reuse: try c.guided.damageFrom.map { try .load($0, checkpoint: path) },
                                  statistics: shared, refinementProbe: heldOut)
        }
        let how = c.macsBudget.map { "a per-conv s and d under \($0) × the MACs" } ?? "s=\(c.s), d=\(c.d)"
        note("converting \(arch.displayName) with \(how) (\(c.mode.rawValue))…")
        let ghostSettings = GhostSettings(s: c.s, d: c.d, blocks: chosen == allBlocks ? nil : chosen,
                                          convs: plan?.ratios)
        let (ghost, ghostArch, units) = try ResNetToGhost.convert(
            original, architecture: arch, settings: .init(ghost: ghostSettings, dataDriven: c.mode == .dataDriven),
            calibration: batches, statistics: shared)
        try checkUnits(units.map(\.name))
        var test: ImageStream?
        if c.evalImages > 0 {
            let (t, n) = try c.source.stream(split: "test", channels: arch.inChannels, inputSize: side,
                                             limit: c.evalImages, classNames: train.classNames)
            if let w = ImageSource.limitWarning(flag: "--eval-images", limit: c.evalImages, available: n,
                                                name: t.name) { note(w) }
            test = t
        }
        // The test images are decoded `forwardImages` at a time for each model evaluated (memory flat in
        // --eval-images and in the batch of calibration).
        func accuracy(_ m: Module, _ label: String) throws -> Double? {
            guard let test else { return nil }
            let step = CalibrationBatches.forwardImages, total = (test.count + step - 1) / step
            let mine = Shard.range(count: total, parts: comm.size, index: comm.rank)  // correct/total all-reduced
            var e = Evaluation(classes: arch.numClasses)
            m.train(false)
            for b in mine {
                let d = try test.images((b * step)..<min(test.count, (b + 1) * step))
                let (x, y) = BatchLoader(dataset: d, batchSize: d.count, normalization: norm)
                    .batch(0, order: Array(0..<d.count), epoch: 0)
                e.add(logits: m(x), labels: y)
                progress(label, b + 1 - mine.lowerBound, mine.count)
            }
            var counts = [Double(e.correct), Double(e.count)]
            comm.allReduceSum(&counts)
            return counts[1] == 0 ? 0 : counts[0] / counts[1]
        }
        let accOriginal = try accuracy(original, "eval original")
        let accConverted = try accuracy(ghost, "eval converted")
        var accRecal: Double?
        if c.recalibrate {
            try ResNetToGhost.recalibrateBatchNorm(ghost, batches: batches)
            accRecal = try accuracy(ghost, "eval recalibrated")
        }
        let first = try (test ?? train).images(0..<1)
        let sample = BatchLoader(dataset: first, batchSize: 1, normalization: norm)
            .batch(0, order: [0], epoch: 0).images

        let dir = (output as NSString).deletingLastPathComponent.isEmpty ? "."
            : (output as NSString).deletingLastPathComponent
        if comm.isRoot { try OutputDirectory.create(dir) }
        let sha = try SHA256.hex(file: path)
        let conversion = "s=\(c.s) d=\(c.d) mode=\(c.mode.rawValue) calibration=\(train.count) "
            + "recalibrated=\(c.recalibrate)"
        if comm.isRoot {  // the only writer of the checkpoint (atomically, as in one process)
            try Checkpoint.save(ghost, architecture: ghostArch, to: output, dtype: c.dtype, normalization: norm,
                                metadata: ["ghostkit.converted_from": path, "ghostkit.converted_from_sha256": sha,
                                           "ghostkit.conversion": conversion])
        }
        let size = side  // --input-size, else the model's own (what the images ran at)
        func measure(_ m: Module) -> ConversionReport.Size {
            var p = Profiler()
            _ = m.profile([1, arch.inChannels, size, size], &p)
            return .init(params: p.totalParams, macs: p.totalMACs)
        }
        var report = ConversionReport(
            source: path, sourceSHA256: sha, output: output, original: arch.displayName,
            converted: ghostArch.displayName, s: c.s, d: c.d, mode: c.mode,
            calibrationImages: train.count, recalibrated: c.recalibrate, inputSize: size,
            sizeBefore: measure(original), sizeAfter: measure(ghost), evalImages: test?.count ?? 0,
            accuracyOriginal: accOriginal, accuracyConverted: accConverted, accuracyRecalibrated: accRecal,
            units: units, seconds: Date().timeIntervalSince(t0))
        report.guided = plan.map { var p = $0; p.measuredMACs = report.sizeAfter.macs; return p }
        report.cka = try ConversionSimilarity.perBlock(original, ghost, batches: batches)
        return ConversionOutcome(original: original, ghost: ghost, report: report, output: output, dir: dir,
                                 sampleImage: sample)
    }

    /// Refuses what convert cannot take: another architecture than expected, a GhostNet, a Ghost-ResNet.
    static func check(_ arch: Architecture, path: String, expected: String?) throws {
        if let expected {
            let e = try Architecture(name: expected)
            guard e.resnet?.layout.isCIFAR == arch.resnet?.layout.isCIFAR, e.depth == arch.depth,
                  e.ghost == arch.ghost else {
                throw GhostError.file(path, "checkpoint is \(arch.displayName), not \(expected)")
            }
        }
        guard arch.resnet != nil else {
            throw GhostError.file(path, "is a GhostNet (\(arch.displayName)); convert turns a plain ResNet into a "
                + "Ghost-ResNet")
        }
        guard arch.ghost == nil else {
            throw GhostError.file(path, "is already a Ghost-ResNet (\(arch.displayName)); convert a plain ResNet")
        }
    }

    /// Resolves `--blocks`: names or globs, a stage name ("layer3") meaning all of its blocks.
    public static func selectBlocks(_ spec: String, among all: [String]) throws -> [String] {
        let expanded = spec.split(separator: ",").map { p in
            let p = p.trimmingCharacters(in: .whitespaces)
            return p.contains(".") ? p : p + ".*"
        }.joined(separator: ",")
        return try LayerSelection.resolve(expanded, available: all)
    }

    /// outputs/convert-<model>/<model>-ghost-s<s>-d<d>[-naive][partial tag].safetensors
    static func defaultOutput(_ c: ConversionConfig, chosen: [String]?, of all: [String]) -> String {
        let stem = URL(fileURLWithPath: c.checkpoint).deletingPathExtension().lastPathComponent
        let naive = c.mode == .naive ? "-naive" : ""
        let ratios = c.macsBudget.map { "guided\($0)" } ?? "s\(c.s)-d\(c.d)"
        return "outputs/convert-\(stem)/\(stem)-ghost-\(ratios)\(naive)"
            + "\(partialTag(chosen, of: all)).safetensors"
    }

    /// File-name tag of a partial conversion: "-layer3-layer4" for whole stages, else "-<n>blocks".
    static func partialTag(_ chosen: [String]?, of all: [String]) -> String {
        guard let chosen, chosen != all else { return "" }
        let stages = Set(all.map { String($0.split(separator: ".")[0]) })
        let whole = stages.filter { st in all.filter { $0.hasPrefix(st + ".") }.allSatisfy(chosen.contains) }.sorted()
        let covered = all.filter { b in whole.contains(String(b.split(separator: ".")[0])) }
        return covered == chosen ? "-" + whole.joined(separator: "-") : "-\(chosen.count)blocks"
    }
}

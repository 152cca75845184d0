import Foundation
import GhostCheckpoint
import GhostData
import GhostDistributed
import GhostIO
import GhostModels
import GhostTensor

/// What a redundancy scan (or a plain activation dump) runs over and where it writes.
public struct ScanConfig {
    public var checkpointPath: String
    /// Overrides (or supplies) the checkpoint's architecture.
    public var architecture: Architecture?
    /// Where the images come from (their test split), and the side folder images are brought to (nil: the model's).
    public var source = ImageSource.standard, inputSize: Int?
    /// Number of test images (nil: 64 of a dataset, every image of files or a folder).
    public var images: Int?
    public var batchSize = 32
    /// `--layers`: names or globs (nil: every block output).
    public var layers: String?
    /// Pearson r at which two channels count as a ghost pair.
    public var threshold: Float = 0.7
    public var topK = 16
    public var overlapping = false
    /// Layer whose maps the Figure-1 grid shows (nil: the last block of layer1).
    public var gridLayer: String?
    public var imageIndex = 0
    /// Output directory (nil: outputs/scan-<checkpoint stem>).
    public var outDir: String?
    /// Smallest map side the Figure-1 layer may have (a 2×2 block shows nothing): a smaller default layer gives way
    /// to the deepest scanned layer whose maps are at least this big.
    public var minimumGridSide = 7
    public var overwrite = false
    /// Only write the HDF5 file (to `h5Path`), no pair search or report: `ghostkit dump`.
    public var dumpOnly = false
    /// HDF5 path (default: <outDir>/activations.h5).
    public var h5Path: String?
    /// The job this scan is one rank of: each rank runs a contiguous share of the batches into its own HDF5 shard,
    /// the pair search's sums are all-reduced, and rank 0 writes the master file and the report.
    public var communicator: Communicator = SingleProcess()

    public init(checkpointPath: String, architecture: Architecture? = nil) {
        self.checkpointPath = checkpointPath
        self.architecture = architecture
    }

    /// outputs/<verb>-<checkpoint stem>.
    public static func defaultOutput(_ verb: String, checkpoint: String) -> String {
        "outputs/\(verb)-" + URL(fileURLWithPath: checkpoint).deletingPathExtension().lastPathComponent
    }

    /// The first problem with these settings, as a message naming the flag, or nil.
    public func problem() -> String? {
        if let n = images, n < 1 { return "--images must be ≥ 1 (got \(n))" }
        if batchSize < 1 { return "--batch-size must be ≥ 1 (got \(batchSize))" }
        if topK < 1 { return "--top-k must be ≥ 1 (got \(topK))" }
        if !(-1...1).contains(threshold) { return "--threshold must be in [-1, 1] (got \(threshold))" }
        return nil
    }
}

/// What a scan produced: the report, where it went, and the maps of the Figure-1 layer for the chosen image.
public struct ScanResult {
    public let report: ScanReport
    public let dir: String
    /// Every path written (the HDF5 file first).
    public var written: [String]
    /// [C, H, W] maps of `report.gridLayer` for `report.imageIndex` (nil for a dump), and that image's class name.
    public let gridMaps: Tensor?, gridLabel: String?
    /// Time spent in the pair search's accumulators, and its floating-point work.
    public let analysisSeconds: Double, analysisFLOPs: Double
}

/// The redundancy scan: forward passes streamed into HDF5 and into per-layer correlation accumulators, then the
/// pair search and the report's data files.
public enum ScanRun {
    /// The HDF5 "kind" attribute of a layer: stem, block_out, conv, bn or relu.
    public static func kind(_ name: String) -> String {
        if name == "stem" || name == "pool" { return name }
        if name == "fc" || name == "classifier" { return "logits" }
        if name == "conv_head" { return "head" }
        let parts = name.split(separator: ".")
        let last = parts.last.map(String.init) ?? ""
        for k in ["conv", "bn", "relu", "downsample"] where last.hasPrefix(k) && parts.count == 3 { return k }
        return "block_out"
    }

    /// `preferred` when its maps are at least `minimumSide` on each side, else the deepest such layer, else the
    /// layer with the largest maps (nil when no captured output is a 4-D map).
    static func figureLayer(preferred: String, _ layers: [(String, [Int])], minimumSide: Int) -> String? {
        let maps = layers.filter { $0.1.count == 4 }
        func big(_ l: (String, [Int])) -> Bool { min(l.1[2], l.1[3]) >= minimumSide }
        if let l = maps.first(where: { $0.0 == preferred }), big(l) { return preferred }
        if let l = maps.last(where: big) { return l.0 }
        return maps.max { $0.1[2] * $0.1[3] < $1.1[2] * $1.1[3] }?.0
    }

    /// The layers a scan of `model` can record (a dump also records the head).
    public static func availableLayers(_ model: ImageClassifier, dumpOnly: Bool) -> [String] {
        dumpOnly ? model.layerNames : model.layerNames.filter { !model.headNames.contains($0) }
    }

    /// Runs the scan; `progress(done, total)` after every batch. Writes the HDF5 file and the report's data files
    /// (the figures are GhostReport's ScanFigures).
    public static func run(
        _ config: ScanConfig, progress: (Int, Int) -> Void = { _, _ in },
        note: (String) -> Void = { _ in }
    ) throws -> ScanResult {
        if let p = config.problem() { throw GhostError(p) }
        let cfg = config
        let ckpt = try Checkpoint(path: cfg.checkpointPath, architecture: cfg.architecture)
        let arch = ckpt.architecture
        let (model, _) = try ckpt.makeModel()
        let modelName = URL(fileURLWithPath: cfg.checkpointPath).deletingPathExtension().lastPathComponent
        let available = availableLayers(model, dumpOnly: cfg.dumpOnly)
        let chosen = try LayerSelection.resolve(cfg.layers, available: available, defaultLayers: model.blockNames)
        model.observeInsideBlocks = chosen.contains { $0.split(separator: ".").count == 3 }
        let firstGroupOutput = model.blockNames.last { $0.hasPrefix("layer1.") }
        var gridName = cfg.gridLayer ?? firstGroupOutput.flatMap { chosen.contains($0) ? $0 : nil } ?? chosen[0]
        guard chosen.contains(gridName) else {
            throw GhostError(
                "--grid-layer \(gridName) is not among the scanned layers "
                    + "(\(chosen.joined(separator: ", ")))")
        }
        guard cfg.imageIndex >= 0 else { throw GhostError("--image-index must be ≥ 0") }
        let fromFiles: Bool
        switch cfg.source {
        case .classFolder, .files: fromFiles = true
        default: fromFiles = false
        }
        let limit = cfg.images ?? (fromFiles ? nil : 64)
        let (data, held) = try cfg.source.stream(
            split: "test", channels: arch.inChannels,
            inputSize: cfg.inputSize ?? arch.evalInputSide, limit: limit)
        if let w = ImageSource.limitWarning(flag: "--images", limit: limit, available: held, name: data.name) {
            note(w)
        }
        guard cfg.imageIndex < data.count else { throw GhostError("--image-index must be in 0..<\(data.count)") }
        guard data.channels == arch.inChannels else {
            throw GhostError.file(
                cfg.checkpointPath,
                "\(arch.displayName) expects \(arch.inChannels) input "
                    + "channels; \(data.name) has \(data.channels)")
        }
        let norm = ckpt.normalization ?? cfg.source.defaultNormalization(channels: data.channels)
        let dir = cfg.outDir ?? ScanConfig.defaultOutput("scan", checkpoint: cfg.checkpointPath)
        let h5 = cfg.h5Path ?? dir + "/activations.h5"
        try OutputDirectory.create(URL(fileURLWithPath: h5).deletingLastPathComponent().path)
        if !cfg.dumpOnly { try OutputDirectory.create(dir) }
        let sha = try SHA256.hex(file: cfg.checkpointPath)
        let source =
            !fromFiles
            ? "\(data.name) first \(data.count) images"
            : "\(data.name), converted to \(data.channels) channel(s), shorter side resized to "
                + "\(EvalTransform(inputSize: data.height).resize) (PIL bilinear), "
                + "centre crop \(data.height)×\(data.width)"
        let comm = cfg.communicator
        let batches = (data.count + cfg.batchSize - 1) / cfg.batchSize
        if comm.size > 1 {
            guard batches >= comm.size else {
                throw GhostError(
                    "\(comm.size) ranks need at least \(comm.size) batches; \(data.count) images make "
                        + "\(batches) of --batch-size \(cfg.batchSize)")
            }
            if FileManager.default.fileExists(atPath: h5) && !cfg.overwrite {
                throw GhostError.file(h5, "already exists (pass --overwrite to replace it)")
            }
        }
        let mine = Shard.range(count: batches, parts: comm.size, index: comm.rank)
        let attributes = [
            "model": arch.json, "checkpoint": cfg.checkpointPath, "checkpoint_sha256": sha,
            "created": ISO8601DateFormatter().string(from: Date()),
            "input_shape": "[N, \(data.channels), \(data.height), \(data.width)]",
            "preprocessing": source + ", pixels/255, normalised mean \(norm.mean) std \(norm.std)",
        ]
        let shard = comm.size > 1 ? ActivationMaster.shardPath(h5, rank: comm.rank, size: comm.size) : h5
        // A shard without its master is left over from a killed run: replaced (the master was checked above).
        let writer = try ActivationWriter(
            path: shard, attributes: attributes,
            overwrite: cfg.overwrite || comm.size > 1)

        var correlations: [String: ChannelCorrelation] = [:]
        var gridMaps: Tensor?
        var analysisSeconds = 0.0
        var gridLabel: String?
        var gridShape: [Int] = []
        for b in mine {  // one batch of images in memory at a time (folders are decoded per batch)
            let chunk = try data.images(b * cfg.batchSize..<min(data.count, (b + 1) * cfg.batchSize))
            let (x, y) = BatchLoader(dataset: chunk, batchSize: chunk.count, normalization: norm)
                .batch(0, order: Array(0..<chunk.count), epoch: 0)
            var captured: [(name: String, kind: String, tensor: Tensor)] = []
            model.observer = { name, t in if chosen.contains(name) { captured.append((name, Self.kind(name), t)) } }
            _ = model(x)
            if b == mine.lowerBound, !cfg.dumpOnly, cfg.gridLayer == nil,
                let pick = figureLayer(
                    preferred: gridName, captured.map { ($0.name, $0.tensor.shape) },
                    minimumSide: cfg.minimumGridSide), pick != gridName
            {
                note(
                    "Figure 1: \(gridName)'s maps are smaller than \(cfg.minimumGridSide)×\(cfg.minimumGridSide); "
                        + "showing \(pick)")
                gridName = pick
            }
            if b == mine.lowerBound { gridShape = captured.first { $0.name == gridName }?.tensor.shape ?? [] }
            for c in captured {  // NaN/Inf activations (e.g. non-finite weights) stop the run at this batch
                guard let bad = c.tensor.firstNonFiniteIndex else { continue }
                let image = b * cfg.batchSize + bad / (c.tensor.count / c.tensor.shape[0])
                throw GhostError.file(
                    cfg.checkpointPath,
                    "layer \(c.name) produced \(c.tensor.readPointer[bad]) for "
                        + "image \(image) (batch \(b + 1)); nothing was written (are the weights finite?)")
            }
            try writer.append(inputs: x, labels: y, layers: captured)
            let t0 = Date()
            for c in captured where !cfg.dumpOnly {
                correlations[c.name, default: ChannelCorrelation(channels: c.tensor.shape[1])].add(c.tensor)
                let first = b * cfg.batchSize
                if c.name == gridName, cfg.imageIndex >= first, cfg.imageIndex < first + y.count {
                    let per = c.tensor.count / c.tensor.shape[0]
                    let m = Tensor(uninitialized: Array(c.tensor.shape.dropFirst()))
                    m.uncheckedMutablePointer.update(
                        from: c.tensor.readPointer + (cfg.imageIndex - first) * per, count: per)
                    gridMaps = m
                    let label = y[cfg.imageIndex - first]
                    gridLabel = label >= 0 && label < chunk.classNames.count ? chunk.classNames[label] : nil
                }
            }
            analysisSeconds += Date().timeIntervalSince(t0)
            progress(b + 1 - mine.lowerBound, mine.count)
        }
        model.observer = nil
        try writer.finish()
        if comm.size > 1 {
            for name in chosen where !cfg.dumpOnly { correlations[name]?.allReduce(comm) }
            (gridMaps, gridLabel) = shareGridMaps(
                gridMaps, gridLabel, shape: gridShape, classNames: data.classNames,
                owner: Shard.owner(
                    of: cfg.imageIndex / cfg.batchSize,
                    count: batches, parts: comm.size), comm)
            var seconds = [analysisSeconds]
            seconds.withUnsafeMutableBufferPointer { comm.allReduceMax($0) }
            analysisSeconds = seconds[0]
            comm.barrier()  // every shard is complete
            if comm.isRoot {
                let shards = (0..<comm.size).map { r -> (path: String, rows: Int) in
                    let b = Shard.range(count: batches, parts: comm.size, index: r)
                    return (
                        ActivationMaster.shardPath(h5, rank: r, size: comm.size),
                        min(data.count, b.upperBound * cfg.batchSize) - b.lowerBound * cfg.batchSize
                    )
                }
                try ActivationMaster.write(
                    path: h5, attributes: attributes, shards: shards, layout: writer.layout,
                    labels: writer.hasLabels)
            }
            comm.barrier()  // the master is in place before any rank reads it
        }
        let results =
            cfg.dumpOnly
            ? []
            : chosen.map { name in
                LayerRedundancy(
                    layer: name, correlation: correlations[name]!.pearson(),
                    channels: correlations[name]!.channels, threshold: cfg.threshold, topK: cfg.topK,
                    nonOverlapping: !cfg.overlapping, effectiveRank: correlations[name]!.effectiveRank())
            }
        let report = ScanReport(
            model: modelName, checkpoint: cfg.checkpointPath, sha256: sha, architecture: arch,
            images: data.count, threshold: cfg.threshold, gridLayer: gridName,
            imageIndex: cfg.imageIndex, layers: results)
        let written = cfg.dumpOnly || !comm.isRoot ? [h5] : [h5] + (try report.write(to: dir))
        return ScanResult(
            report: report, dir: dir, written: written, gridMaps: cfg.dumpOnly ? nil : gridMaps,
            gridLabel: fromFiles && data.classNames.isEmpty ? nil : gridLabel,
            analysisSeconds: analysisSeconds,
            analysisFLOPs: correlations.values.reduce(0) { $0 + $1.flops })
    }

    /// The Figure-1 maps and label, sent from the rank `owner` that ran the chosen image to every rank.
    static func shareGridMaps(
        _ maps: Tensor?, _ label: String?, shape: [Int], classNames: [String], owner: Int,
        _ comm: Communicator
    ) -> (Tensor?, String?) {
        guard shape.count == 4 else { return (maps, label) }
        let item = Array(shape.dropFirst())
        let per = item.reduce(1, *)
        var buffer = [Float](repeating: 0, count: per + 1)
        if comm.rank == owner, let maps {
            buffer.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: maps.readPointer, count: per) }
            buffer[per] = Float(label.flatMap { classNames.firstIndex(of: $0) } ?? -1)
        }
        buffer.withUnsafeMutableBufferPointer { comm.broadcast($0, root: owner) }
        let t = Tensor(uninitialized: item)
        buffer.withUnsafeBufferPointer { t.uncheckedMutablePointer.update(from: $0.baseAddress!, count: per) }
        let index = Int(buffer[per])
        return (t, index >= 0 && index < classNames.count ? classNames[index] : nil)
    }
}

import Foundation
import GhostAnalysis
import GhostCheckpoint
import GhostData
import GhostIO
import GhostModels
import GhostReport
import GhostTensor

/// The redundancy scan as a reusable step (used by `scan`, and by `fit-kernels` when no scan exists yet):
/// forward passes streamed into HDF5 and into per-layer correlation accumulators, then the report.
struct ScanPipeline {
    var checkpointPath: String
    var architecture: Architecture?
    var dataDir = ImageDataset.fashionMNISTDirectory
    var images = 64
    var batchSize = 32
    var layers: String?
    var threshold: Float = 0.7
    var topK = 16
    var overlapping = false
    var gridLayer: String?
    var imageIndex = 0
    var outDir: String?
    var overwrite = false
    /// PNG files or folders to run instead of the Fashion-MNIST test images.
    var inputs: [String] = []
    /// Only write the HDF5 file (to `h5Path`), no pair search or report: `ghostkit dump`.
    var dumpOnly = false
    /// HDF5 path (default: <outDir>/activations.h5).
    var h5Path: String?

    static let defaultCheckpoints = ["checkpoints/resnet50-fmnist.safetensors", "checkpoints/resnet18-fmnist.safetensors"]

    /// The embedded checkpoint a command uses when none is given.
    static func defaultCheckpoint() throws -> String {
        guard let path = defaultCheckpoints.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            throw GhostError.file(defaultCheckpoints[0], "no such file (no embedded checkpoint; pass --checkpoint)")
        }
        return path
    }

    /// outputs/<verb>-<checkpoint stem>.
    static func defaultOutput(_ verb: String, checkpoint: String) -> String {
        "outputs/\(verb)-" + URL(fileURLWithPath: checkpoint).deletingPathExtension().lastPathComponent
    }

    /// The HDF5 "kind" attribute of a layer: stem, block_out, conv, bn or relu.
    static func kind(_ name: String) -> String {
        if name == "stem" || name == "pool" { return name }
        if name == "fc" || name == "classifier" { return "logits" }
        if name == "conv_head" { return "head" }
        let last = name.split(separator: ".").last.map(String.init) ?? ""
        for k in ["conv", "bn", "relu", "downsample"] where last.hasPrefix(k) && name.split(separator: ".").count == 3 { return k }
        return "block_out"
    }

    /// Runs the scan; returns the report, the output directory and every path written.
    func run(listLayers: Bool = false) throws -> (report: ScanReport, dir: String, written: [String])? {
        guard images >= 1, batchSize >= 1, topK >= 1, (-1...1).contains(threshold) else {
            throw GhostError("need --images ≥ 1, --batch-size ≥ 1, --top-k ≥ 1, -1 ≤ --threshold ≤ 1")
        }
        let ckpt = try Checkpoint(path: checkpointPath, architecture: architecture)
        let (model, _) = try ckpt.makeModel()
        let modelName = URL(fileURLWithPath: checkpointPath).deletingPathExtension().lastPathComponent
        let available = dumpOnly ? model.layerNames : model.layerNames.filter { !model.headNames.contains($0) }
        if listLayers { print(available.joined(separator: "\n")); return nil }
        let chosen = try LayerSelection.resolve(layers, available: available, defaultLayers: model.blockNames)
        model.observeInsideBlocks = chosen.contains { $0.split(separator: ".").count == 3 }
        let firstGroupOutput = model.blockNames.last { $0.hasPrefix("layer1.") }
        let gridName = gridLayer ?? firstGroupOutput.flatMap { chosen.contains($0) ? $0 : nil } ?? chosen[0]
        guard chosen.contains(gridName) else {
            throw GhostError("--grid-layer \(gridName) is not among the scanned layers (\(chosen.joined(separator: ", ")))")
        }
        guard imageIndex >= 0 && (imageIndex < images || !inputs.isEmpty) else { throw GhostError("--image-index must be in 0..<\(images)") }
        let data = inputs.isEmpty ? try ImageDataset.fashionMNIST(split: "test", directory: dataDir).prefix(images)
            : try ImageDataset.png(inputs, channels: ckpt.architecture.inChannels)
        guard imageIndex < data.count else { throw GhostError("--image-index must be in 0..<\(data.count)") }
        guard data.channels == ckpt.architecture.inChannels else {
            throw GhostError.file(checkpointPath, "\(ckpt.architecture.displayName) expects \(ckpt.architecture.inChannels) input channels; \(data.name) has \(data.channels)")
        }
        let norm = ckpt.normalization ?? ImageDataset.fashionMNISTNormalization
        let dir = outDir ?? Self.defaultOutput("scan", checkpoint: checkpointPath)
        let h5 = h5Path ?? dir + "/activations.h5"
        try OutputDirectory.create(URL(fileURLWithPath: h5).deletingLastPathComponent().path)
        if !dumpOnly { try OutputDirectory.create(dir) }
        let sha = try SHA256.hex(file: checkpointPath)
        let writer = try ActivationWriter(path: h5, attributes: [
            "model": ckpt.architecture.json, "checkpoint": checkpointPath, "checkpoint_sha256": sha,
            "created": ISO8601DateFormatter().string(from: Date()),
            "input_shape": "[N, \(data.channels), \(data.height), \(data.width)]",
            "preprocessing": (inputs.isEmpty ? "\(data.name) first \(data.count) images" : "\(data.name): \(inputs.joined(separator: ", ")), converted to \(data.channels) channel(s), resized to \(data.height)×\(data.width)")
                + ", pixels/255, normalised mean \(norm.mean) std \(norm.std)",
        ], overwrite: overwrite)

        var correlations: [String: ChannelCorrelation] = [:]
        var gridMaps: Tensor?
        let loader = BatchLoader(dataset: data, batchSize: batchSize, normalization: norm)
        let order = loader.order(epoch: 0)
        let bar = ProgressBar(total: loader.batchesPerEpoch, label: dumpOnly ? "dump" : "scan")
        var analysisSeconds = 0.0
        for b in 0..<loader.batchesPerEpoch {
            let (x, y) = loader.batch(b, order: order, epoch: 0)
            var captured: [(name: String, kind: String, tensor: Tensor)] = []
            model.observer = { name, t in if chosen.contains(name) { captured.append((name, Self.kind(name), t)) } }
            _ = model(x)
            for c in captured {  // NaN/Inf activations (e.g. non-finite weights) stop the run at this batch
                guard let bad = c.tensor.firstNonFiniteIndex else { continue }
                let image = b * batchSize + bad / (c.tensor.count / c.tensor.shape[0])
                throw GhostError.file(checkpointPath, "layer \(c.name) produced \(c.tensor.pointer[bad]) for image \(image) (batch \(b + 1));"
                                      + " nothing was written (are the weights finite?)")
            }
            try writer.append(inputs: x, labels: y, layers: captured)
            let t0 = Date()
            for c in captured where !dumpOnly {
                correlations[c.name, default: ChannelCorrelation(channels: c.tensor.shape[1])].add(c.tensor)
                if c.name == gridName, imageIndex >= b * batchSize, imageIndex < b * batchSize + y.count {
                    let i = imageIndex - b * batchSize, per = c.tensor.count / c.tensor.shape[0]
                    let m = Tensor(uninitialized: Array(c.tensor.shape.dropFirst()))
                    m.pointer.update(from: c.tensor.pointer + i * per, count: per)
                    gridMaps = m
                }
            }
            analysisSeconds += Date().timeIntervalSince(t0)
            bar.update(b + 1, "")
        }
        bar.finish()
        model.observer = nil
        try writer.finish()
        if dumpOnly {
            return (ScanReport(model: modelName, checkpoint: checkpointPath, sha256: sha, architecture: ckpt.architecture, images: data.count,
                               threshold: threshold, gridLayer: gridName, imageIndex: imageIndex, layers: []), dir, [h5])
        }

        let results = chosen.map { name in
            LayerRedundancy(layer: name, correlation: correlations[name]!.pearson(), channels: correlations[name]!.channels,
                            threshold: threshold, topK: topK, nonOverlapping: !overlapping,
                            effectiveRank: correlations[name]!.effectiveRank())
        }
        let report = ScanReport(model: modelName, checkpoint: checkpointPath, sha256: sha, architecture: ckpt.architecture, images: data.count,
                                threshold: threshold, gridLayer: gridName, imageIndex: imageIndex, layers: results)
        var written = [h5]
        written += try report.write(to: dir)
        written += try ScanFigures.writeRedundancy(report, to: dir)
        if let maps = gridMaps, let layer = results.first(where: { $0.layer == gridName }) {
            written += try ScanFigures.write(maps: maps, layer: layer, to: dir)
        }
        let gflops = correlations.values.reduce(0) { $0 + $1.flops } / 1e9
        FileHandle.standardError.write(String(format: "pair search: %.2f GFLOP in %.2f s (%.1f GFLOP/s)\n", gflops, analysisSeconds,
                                              gflops / max(analysisSeconds, 1e-9)).data(using: .utf8)!)
        return (report, dir, written)
    }
}

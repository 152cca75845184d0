import ArgumentParser
import Foundation
import GhostAnalysis
import GhostIO
import GhostModels
import GhostTensor
import GhostTrain

/// `ghostkit scan`: dump activations to HDF5, find similar channel pairs per layer, write the
/// redundancy report and the Figure-1 analogue.
struct ScanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Redundancy scan: activations → HDF5, similar channel pairs per layer, report and Figure-1 grid.",
        discussion: """
        With no arguments it scans the embedded checkpoint (checkpoints/resnet50-fmnist.safetensors, or
        resnet18-fmnist when that is the one present) on 64 Fashion-MNIST test images.
          ghostkit scan
          ghostkit scan --checkpoint my.safetensors --images 256 --layers 'layer1.*,layer2.0' --threshold 0.8
        Writes outputs/scan-<model>/: activations.h5, pairs.json, report.md, report.csv, redundancy.png,
        figure1.png and pair-{red,green,blue}.png.
        """)

    @Option(help: "Checkpoint to scan (default: the embedded ResNet-50, else ResNet-18).") var checkpoint: String?
    @OptionGroup var archOptions: ArchitectureOptions
    @OptionGroup var engine: EngineOptions
    @Option(help: "Directory with Fashion-MNIST (IDX).") var dataDir: String = ImageDataset.fashionMNISTDirectory
    @Option(help: "Number of test images to run.") var images: Int = 64
    @Option(help: "Batch size.") var batchSize: Int = 32
    @Option(help: "Layers: comma-separated names or globs (default: every residual block output). Use 'list' to print them.")
    var layers: String?
    @Option(help: "Correlation at which two channels count as a ghost pair.") var threshold: Float = 0.9
    @Option(help: "Pairs reported per layer.") var topK: Int = 16
    @Flag(help: "Allow a channel in several reported pairs (default: pairs are disjoint).") var overlapping = false
    @Option(help: "Layer shown in the Figure-1 grid (default: the last block of layer1, the first residual group's output).")
    var gridLayer: String?
    @Option(help: "Which image (index among the scanned ones) the grid shows.") var imageIndex: Int = 0
    @Option(help: "Output directory (default: outputs/scan-<model>).") var out: String?
    @Flag(help: "Replace an existing activations.h5.") var overwrite = false

    static let defaultCheckpoints = ["checkpoints/resnet50-fmnist.safetensors", "checkpoints/resnet18-fmnist.safetensors"]

    func run() throws {
        try engine.apply()
        guard images >= 1, batchSize >= 1, topK >= 1, (-1...1).contains(threshold) else {
            throw ValidationError("need --images ≥ 1, --batch-size ≥ 1, --top-k ≥ 1, -1 ≤ --threshold ≤ 1")
        }
        guard let path = checkpoint ?? Self.defaultCheckpoints.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            throw GhostError.file(Self.defaultCheckpoints[0], "no such file (no embedded checkpoint yet; pass --checkpoint)")
        }
        let ckpt = try Checkpoint(path: path, architecture: try archOptions.architecture())
        let (model, _) = try ckpt.makeModel()
        let modelName = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        let available = ["stem"] + model.blockNames
        if layers == "list" { print(available.joined(separator: "\n")); return }
        let chosen = try LayerSelection.resolve(layers, available: available)
        let firstGroupOutput = model.blockNames.last { $0.hasPrefix("layer1.") }
        let gridName = gridLayer ?? firstGroupOutput.flatMap { chosen.contains($0) ? $0 : nil } ?? chosen[0]
        guard chosen.contains(gridName) else {
            throw ValidationError("--grid-layer \(gridName) is not among the scanned layers (\(chosen.joined(separator: ", ")))")
        }
        guard imageIndex >= 0 && imageIndex < images else { throw ValidationError("--image-index must be in 0..<\(images)") }
        let data = try ImageDataset.fashionMNIST(split: "test", directory: dataDir).prefix(images)
        guard data.channels == ckpt.architecture.inChannels else {
            throw GhostError.file(path, "\(ckpt.architecture.displayName) expects \(ckpt.architecture.inChannels) input channels; \(data.name) has \(data.channels)")
        }
        let norm = ckpt.normalization ?? ImageDataset.fashionMNISTNormalization
        let outDir = out ?? "outputs/scan-\(modelName)"
        try OutputDirectory.create(outDir)
        let h5 = outDir + "/activations.h5"
        let sha = try SHA256.hex(file: path)
        let writer = try ActivationWriter(path: h5, attributes: [
            "model": ckpt.architecture.json, "checkpoint": path, "checkpoint_sha256": sha,
            "created": ISO8601DateFormatter().string(from: Date()),
            "input_shape": "[N, \(data.channels), \(data.height), \(data.width)]",
            "preprocessing": "\(data.name) first \(data.count) images, pixels/255, normalised mean \(norm.mean) std \(norm.std)",
        ], overwrite: overwrite)

        // Forward pass: stream every chosen layer into HDF5 and into its correlation accumulator.
        var correlations: [String: ChannelCorrelation] = [:]
        var gridMaps: Tensor?
        let loader = BatchLoader(dataset: data, batchSize: batchSize, normalization: norm)
        let order = loader.order(epoch: 0)
        let bar = ProgressBar(total: loader.batchesPerEpoch, label: "scan")
        var analysisSeconds = 0.0
        for b in 0..<loader.batchesPerEpoch {
            let (x, y) = loader.batch(b, order: order, epoch: 0)
            var captured: [(name: String, kind: String, tensor: Tensor)] = []
            model.observer = { name, t in if chosen.contains(name) { captured.append((name, name == "stem" ? "stem" : "block_out", t)) } }
            _ = model(x)
            try writer.append(inputs: x, labels: y, layers: captured)
            let t0 = Date()
            for c in captured {
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

        let results = chosen.map { name in
            LayerRedundancy(layer: name, correlation: correlations[name]!.pearson(), channels: correlations[name]!.channels,
                            threshold: threshold, topK: topK, nonOverlapping: !overlapping)
        }
        let report = ScanReport(model: modelName, checkpoint: path, sha256: sha, architecture: ckpt.architecture, images: data.count,
                                threshold: threshold, gridLayer: gridName, imageIndex: imageIndex, layers: results)
        var written = [h5]
        written += try report.write(to: outDir)
        if let maps = gridMaps, let layer = results.first(where: { $0.layer == gridName }) {
            written += try ScanFigures.write(maps: maps, layer: layer, to: outDir)
        }
        let gflops = correlations.values.reduce(0) { $0 + $1.flops } / 1e9
        FileHandle.standardError.write(String(format: "pair search: %.2f GFLOP in %.2f s (%.1f GFLOP/s)\n", gflops, analysisSeconds,
                                              gflops / max(analysisSeconds, 1e-9)).data(using: .utf8)!)
        print(report.summaryTable())
        print("wrote " + written.joined(separator: ", "))
    }
}

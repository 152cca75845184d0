import ArgumentParser
import Foundation
import GhostCheckpoint
import GhostData
import GhostIO
import GhostReport
import GhostTensor

/// `ghostkit grid`: PNG grid of one layer's feature maps for one image, from a dump or a checkpoint.
struct GridCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grid",
        abstract:
            "PNG grid of any layer's feature maps for one image, from an HDF5 dump or from a checkpoint and an image.",
        discussion: HelpText.fit(
            """
              ghostkit grid --dump outputs/scan-resnet18-fmnist/activations.h5 --layer layer2.1 --index 3 --out g.png
              ghostkit grid --layer layer1.1 --index 0 --colormap heat --highlight 5,17 \
                --out g.png     # embedded checkpoint
              ghostkit grid --checkpoint my.safetensors --input shoe.png --layer stem --out g.png
            """))

    @Option(help: "HDF5 activation file written by dump or scan.") var dump: String?
    @Option(help: "Checkpoint to run (default: the embedded one) when no --dump is given.") var checkpoint: String?
    @OptionGroup var source: ImageSourceOptions
    @Option(help: "Layer name (see `ghostkit dump --layers list`).") var layer: String
    @Option(help: "Image index (in the dump, or in the image source's test split).") var index: Int = 0
    @Option(help: "Maps per row (default: square grid).") var columns: Int?
    @Option(help: "Upscaling of each map pixel, nearest neighbour (default: maps at least 48 px wide).") var scale: Int?
    @Option(help: "White pixels between maps.") var padding: Int = 3
    @Option(help: "Colour map: gray or heat.") var colormap: FeatureMapGrid.ColorMap = .gray
    @Option(help: "Scaling: per-map (each map to its own range) or global.")
    var scaling: FeatureMapGrid.Normalization = .perMap
    @Option(help: "Channels to outline (red on gray, cyan on heat; comma-separated).")
    var highlight: CommaSeparated<Int>?
    @Option(help: "PNG file to write.") var out: String
    @OptionGroup var existing: OverwriteOption

    func run() throws {
        try existing.check([out])
        for (ok, message) in [
            (index >= 0, "--index must be ≥ 0 (got \(index))"),
            ((scale ?? 1) >= 1, "--scale must be ≥ 1 (got \(scale ?? 1))"),
            ((1...64).contains(padding), "--padding must be in 1…64 (got \(padding))"),
            ((columns ?? 1) >= 1, "--columns must be ≥ 1 (got \(columns ?? 1))"),
        ] where !ok {
            throw ValidationError(message)
        }
        let maps = try dump.map { try mapsFromDump($0) } ?? mapsFromCheckpoint()
        try GridLimits.check(maps.shape, scale: scale, columns: columns, source: dump ?? layer)
        let source = try dump ?? checkpoint ?? EmbeddedCheckpoint.path()
        try GridLimits.checkFinite(maps, layer: layer, image: index, source: source)
        var grid = FeatureMapGrid()
        grid.columns = columns
        grid.colorMap = colormap
        grid.normalization = scaling
        grid.scale = scale.map(Double.init)
        grid.padding = Double(padding)
        grid.title = "\(layer) · image \(index) · \(maps.shape[0]) maps of \(maps.shape[1])×\(maps.shape[2])"
        for c in highlight?.items ?? [] {
            guard (0..<maps.shape[0]).contains(c) else {
                throw ValidationError("--highlight: \(c) is not a channel of \(layer) (0..<\(maps.shape[0]))")
            }
            grid.highlights.append((c, colormap == .heat ? GhostReport.Color(0, 200, 255) : .red))
        }
        try PNGFile.write(grid.render(maps), to: out)
        print("wrote \(out) (\(layer), image \(index), \(maps.shape[0]) maps of \(maps.shape[1])×\(maps.shape[2]))")
    }

    func mapsFromDump(_ path: String) throws -> Tensor {
        // libhdf5 may crash on it: a child reads the row first
        try HDF5Probe.checkInChild(path, layers: [layer], coverage: .rows([index]))
        let r = try ActivationReader(path: path)
        guard r.layerNames.contains(layer) else {
            throw GhostError.file(path, "has no layer '\(layer)' (it has \(r.layerNames.joined(separator: ", ")))")
        }
        let shape = try r.shape("layers/" + layer)
        guard shape.count == 4 else {
            throw GhostError.file(path, "layer '\(layer)' has shape \(shape), expected [N, C, H, W]")
        }
        guard index < shape[0] else {
            throw GhostError.file(path, "has \(shape[0]) images; --index \(index) is outside")
        }
        try GridLimits.check(Array(shape.dropFirst()), scale: scale, columns: columns, source: path)  // before reading
        return try r.read("layers/" + layer, start: index, count: 1).reshaped(Array(shape.dropFirst()))
    }

    func mapsFromCheckpoint() throws -> Tensor {
        let path = try checkpoint ?? EmbeddedCheckpoint.path()
        let ckpt = try Checkpoint(path: path)
        let (model, _) = try ckpt.makeModel()
        let names = model.layerNames
        guard names.contains(layer) else {
            throw ValidationError("unknown layer '\(layer)'; valid layers: \(names.joined(separator: ", "))")
        }
        let data = try source.open(split: "test", architecture: ckpt.architecture, limit: index + 1, limitFlag: nil)
        let i = index
        guard i < data.count else { throw ValidationError("--index \(index) is outside the \(data.count) test images") }
        let norm = try ckpt.normalization ?? source.defaultNormalization(channels: data.channels)
        let loader = BatchLoader(dataset: data, batchSize: data.count, normalization: norm)
        let (x, _) = loader.batch(0, order: Array(0..<data.count), epoch: 0)
        model.observeInsideBlocks = layer.split(separator: ".").count == 3
        var captured: Tensor?
        model.observer = { name, t in if name == layer { captured = t } }
        _ = model(x)
        guard let t = captured else { throw GhostError("layer \(layer) produced no output") }
        let per = t.count / t.shape[0]
        let shape = t.rank == 4 ? Array(t.shape.dropFirst()) : [per, 1, 1]
        let m = Tensor(uninitialized: shape)
        m.uncheckedMutablePointer.update(from: t.readPointer + i * per, count: per)
        return m
    }
}

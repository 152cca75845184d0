import ArgumentParser
import Foundation
import GhostAnalysis
import GhostCheckpoint
import GhostData
import GhostIO
import GhostModels
import GhostReport

/// `ghostkit similarity A B`: minibatch linear CKA between the layers of two models on the same test images.
struct SimilarityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "similarity",
        abstract: "Linear CKA between same-named layers of two models on the same images (table, report, figures).",
        discussion: HelpText.fit("""
        Minibatch linear CKA with the unbiased HSIC estimator, streamed: memory does not grow with --images.
          ghostkit similarity checkpoints/resnet18-fmnist.safetensors outputs/convert-resnet18-fmnist/ghost.safetensors
          ghostkit similarity A.safetensors B.safetensors --cross --layers 'stem,layer*.*'
        Writes <out>/report.md, report.json, report.csv, cka-per-layer.png and (--cross) cka-matrix.png.
        """))

    @Argument(help: "First checkpoint (rows of the --cross matrix).") var a: String
    @Argument(help: "Second checkpoint (columns).") var b: String
    @Flag(help: "Compare every layer of A with every layer of B (the full matrix and its heatmap).") var cross = false
    @Option(help: "Layers (comma-separated names or globs; default: every block output common to both).")
    var layers: String?
    @Option(help: "Test images to use.") var images: Int = 512
    @Option(help: "Minibatch size of the CKA estimator (≥ 4).") var batchSize: Int = 64
    @Option(help: "Output directory (default: outputs/similarity-<A>-vs-<B>).") var out: String?
    @OptionGroup var existing: OverwriteOption
    @OptionGroup var data: DatasetOptions
    @OptionGroup var engine: EngineOptions

    func validate() throws {
        guard images >= 4 else { throw ValidationError("--images must be ≥ 4") }
        guard batchSize >= 4 else {
            throw ValidationError("--batch-size must be ≥ 4 (the unbiased HSIC needs 4 images)")
        }
    }

    func run() throws {
        let stem = { (p: String) in URL(fileURLWithPath: p).deletingPathExtension().lastPathComponent }
        let dir = out ?? "outputs/similarity-\(stem(a))-vs-\(stem(b))"
        try existing.check([dir + "/report.md"])
        try engine.apply()
        let ckA = try Checkpoint(path: a, architecture: nil), ckB = try Checkpoint(path: b, architecture: nil)
        let (modelA, _) = try ckA.makeModel(), (modelB, _) = try ckB.makeModel()
        guard ckA.architecture.inChannels == ckB.architecture.inChannels else {
            let (ca, cb) = (ckA.architecture.inChannels, ckB.architecture.inChannels)
            throw GhostError.file(b, "takes \(cb) input channels; \(a) takes \(ca)")
        }
        let namesA = modelA.layerNames.filter { !modelA.headNames.contains($0) }
        let namesB = modelB.layerNames.filter { !modelB.headNames.contains($0) }
        let common = namesA.filter(namesB.contains)
        let rows: [String], cols: [String]
        if cross {
            rows = try LayerSelection.resolve(layers, available: namesA, defaultLayers: modelA.blockNames)
            cols = try LayerSelection.resolve(layers, available: namesB, defaultLayers: modelB.blockNames)
        } else {
            guard !common.isEmpty else {
                throw GhostError.file(b, "has no layer named like one of \(a)'s (use --cross)")
            }
            rows = try LayerSelection.resolve(layers, available: common,
                                              defaultLayers: modelA.blockNames.filter(common.contains))
            cols = rows
        }
        var run = try SimilarityRun(layersA: rows, layersB: cols, pairing: cross ? .cross : .sameName)
        let test = try data.load(split: "test", architecture: ckA.architecture).prefix(images)
        let normA = try ckA.normalization ?? data.normalization(of: test)
        let normB = try ckB.normalization ?? data.normalization(of: test)
        let loaderA = BatchLoader(dataset: test, batchSize: batchSize, normalization: normA)
        let loaderB = BatchLoader(dataset: test, batchSize: batchSize, normalization: normB)
        let order = Array(0..<test.count)
        let bar = ProgressBar(total: loaderA.batchesPerEpoch, label: "cka")
        for k in 0..<loaderA.batchesPerEpoch {
            do {
                try run.add(modelA, loaderA.batch(k, order: order, epoch: 0).images,
                            modelB, loaderB.batch(k, order: order, epoch: 0).images)
            } catch let e as GhostError { throw GhostError.file(a + " vs " + b, e.message) }
            bar.update(k + 1, "")
        }
        bar.finish()
        try OutputDirectory.create(dir)
        let report = SimilarityReport(run: run, modelA: stem(a), modelB: stem(b), checkpointA: a, checkpointB: b,
                                      batchSize: batchSize)
        let figures = try SimilarityFigures.write(report, to: dir)
        let written = try report.write(to: dir, figures: figures) + figures.map { dir + "/" + $0 }
        print(report.summaryTable())
        print("wrote " + written.joined(separator: ", "))
    }
}

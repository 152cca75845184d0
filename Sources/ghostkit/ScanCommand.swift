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
    @Option(name: .customLong("input"), help: "PNG file or folder (one sub-folder per class) to run instead of Fashion-MNIST; repeatable.")
    var inputs: [String] = []
    @Option(help: "Batch size.") var batchSize: Int = 32
    @Option(help: "Layers: comma-separated names or globs, '*' within one level ('layer1.*' = layer1's blocks, 'layer1.0.*' = conv/bn/relu inside layer1.0); default: every block output; 'list' prints them.")
    var layers: String?
    @Option(help: "Correlation at which two channels count as a ghost pair.") var threshold: Float = 0.9
    @Option(help: "Pairs reported per layer.") var topK: Int = 16
    @Flag(help: "Allow a channel in several reported pairs (default: pairs are disjoint).") var overlapping = false
    @Option(help: "Layer shown in the Figure-1 grid (default: the last block of layer1, the first residual group's output).")
    var gridLayer: String?
    @Option(help: "Which image (index among the scanned ones) the grid shows.") var imageIndex: Int = 0
    @Option(help: "Output directory (default: outputs/scan-<model>).") var out: String?
    @Flag(help: "Replace an existing activations.h5.") var overwrite = false

    func run() throws {
        try engine.apply()
        var scan = ScanPipeline(checkpointPath: try checkpoint ?? ScanPipeline.defaultCheckpoint(), architecture: try archOptions.architecture())
        scan.dataDir = dataDir; scan.images = images; scan.batchSize = batchSize; scan.layers = layers == "list" ? nil : layers
        scan.threshold = threshold; scan.topK = topK; scan.overlapping = overlapping; scan.gridLayer = gridLayer
        scan.imageIndex = imageIndex; scan.outDir = out; scan.overwrite = overwrite; scan.inputs = inputs
        guard let result = try scan.run(listLayers: layers == "list") else { return }
        print(result.report.summaryTable())
        print("wrote " + result.written.joined(separator: ", "))
    }
}

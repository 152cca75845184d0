import ArgumentParser
import GhostAnalysis
import GhostCheckpoint
import GhostData
import GhostIO
import GhostModels

/// What `scan` and `dump` run and record: checkpoint, inputs, batch size and layers.
struct ActivationInputOptions: ParsableArguments {
    @Option(help: "Checkpoint (default: the embedded ResNet-50, else ResNet-18).") var checkpoint: String?
    @OptionGroup var archOptions: ArchitectureOptions
    @Option(help: "Directory with Fashion-MNIST (IDX).") var dataDir: String = ImageDataset.fashionMNISTDirectory
    @Option(help: "Number of Fashion-MNIST test images to run.") var images: Int = 64
    @Option(name: .customLong("input"), help: "PNG file or folder (one sub-folder per class) to run instead of Fashion-MNIST; repeatable.")
    var inputs: [String] = []
    @Option(help: "Batch size.") var batchSize: Int = 32
    @Option(help: "Layers: comma-separated names or globs, '*' within one level ('layer1.*' = layer1's blocks, 'layer1.0.*' = conv/bn/relu inside layer1.0); default: every block output; 'list' prints them.")
    var layers: String?

    var listLayers: Bool { layers == "list" }

    /// A scan configured with these options.
    func config() throws -> ScanConfig {
        var p = ScanConfig(checkpointPath: try checkpoint ?? EmbeddedCheckpoint.path(),
                           architecture: try archOptions.architecture())
        p.dataDir = dataDir; p.images = images; p.inputs = inputs; p.batchSize = batchSize
        p.layers = listLayers ? nil : layers
        return p
    }
}

import ArgumentParser
import GhostCheckpoint
import GhostData
import GhostIO
import GhostModels

/// What `scan` and `dump` run and record: checkpoint, inputs, batch size and layers.
struct ActivationInputOptions: ParsableArguments {
    @Option(help: "Checkpoint (default: the embedded ResNet-50, else ResNet-18).") var checkpoint: String?
    @OptionGroup var archOptions: ArchitectureOptions
    @OptionGroup var source: ImageSourceOptions
    @Option(help: "Number of test images to run (default: 64 of a dataset, every image of --input files/folders).")
    var images: Int?
    @Option(help: "Batch size.") var batchSize: Int = 32
    @Option(help: "Layers: comma-separated names or globs, '*' within one level ('layer1.*' = layer1's blocks, 'layer1.0.*' = conv/bn/relu inside layer1.0); default: every block output; 'list' prints them.")
    var layers: String?

    var listLayers: Bool { layers == "list" }

    /// A pipeline configured with these options.
    func pipeline() throws -> ScanPipeline {
        var p = ScanPipeline(checkpointPath: try checkpoint ?? ScanPipeline.defaultCheckpoint(), architecture: try archOptions.architecture())
        p.source = source; p.images = images; p.batchSize = batchSize
        p.layers = listLayers ? nil : layers
        return p
    }
}

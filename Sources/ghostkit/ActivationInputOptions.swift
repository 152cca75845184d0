import ArgumentParser
import GhostAnalysis
import GhostCheckpoint
import GhostData
import GhostDistributed
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
    @Option(
        help: ArgumentHelp("Layers: comma-separated names or globs, '*' within one level ('layer1.*' = layer1's "
            + "blocks, 'layer1.0.*' = conv/bn/relu inside layer1.0); default: every block output; 'list' prints them."))
    var layers: String?

    var listLayers: Bool { layers == "list" }

    /// A scan configured with these options.
    func config() throws -> ScanConfig {
        var p = ScanConfig(
            checkpointPath: try checkpoint ?? EmbeddedCheckpoint.path(),
            architecture: try archOptions.architecture())
        if let s = source.inputSize, !(1...4096).contains(s) { throw ValidationError("--input-size must be 1…4096") }
        (p.source, p.inputSize, p.images, p.batchSize) = (try source.source(), source.inputSize, images, batchSize)
        p.layers = listLayers ? nil : layers
        p.communicator = World.current  // one rank of an mpirun job, or the single process
        return p
    }
}

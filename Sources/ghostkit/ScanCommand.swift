import ArgumentParser
import Foundation

/// `ghostkit scan`: dump activations to HDF5, find similar channel pairs per layer, write the
/// redundancy report and the Figure-1 analogue.
struct ScanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Redundancy scan: activations → HDF5, similar channel pairs per layer, report and Figure-1 grid.",
        discussion: HelpText.fit(
            """
            With no arguments it scans the embedded checkpoint (checkpoints/resnet50-fmnist.safetensors, or
            resnet18-fmnist when that is the one present) on 64 Fashion-MNIST test images.
              ghostkit scan
              ghostkit scan --checkpoint my.safetensors --images 256 --layers 'layer1.*,layer2.0' --threshold 0.8
            Writes outputs/scan-<model>/: activations.h5, pairs.json, report.md, report.csv, redundancy.png,
            figure1.png and pair-{red,green,blue}.png.
            """))

    @OptionGroup var input: ActivationInputOptions
    @OptionGroup var engine: EngineOptions
    @Option(
        help: ArgumentHelp("Pearson r at which two channels count as a ghost pair (0.7: a 1×1 affine map of one "
            + "explains about half of the other's variance)."))
    var threshold: Float = 0.7
    @Option(help: "Pairs reported per layer.") var topK: Int = 16
    @Flag(help: "Allow a channel in several reported pairs (default: pairs are disjoint).") var overlapping = false
    @Option(
        help: "Layer shown in the Figure-1 grid (default: the last block of layer1, the first residual group's output)."
    )
    var gridLayer: String?
    @Option(help: "Which image (index among the scanned ones) the grid shows.") var imageIndex: Int = 0
    @Option(help: "Output directory (default: outputs/scan-<model>).") var out: String?
    @Flag(help: "Replace an existing activations.h5.") var overwrite = false

    func run() throws {
        try engine.apply()
        var scan = try input.config()
        (scan.threshold, scan.topK, scan.overlapping) = (threshold, topK, overlapping)
        (scan.gridLayer, scan.imageIndex, scan.outDir, scan.overwrite) = (gridLayer, imageIndex, out, overwrite)
        guard let result = try ScanRunner.run(scan, listLayers: input.listLayers) else { return }
        print(result.report.summaryTable())
        print("wrote " + result.written.joined(separator: ", "))
    }
}

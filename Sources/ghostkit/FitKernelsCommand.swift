import ArgumentParser
import Foundation
import GhostAnalysis
import GhostCheckpoint
import GhostDistributed
import GhostIO
import GhostReport
import GhostTensor

/// `ghostkit fit-kernels`: d×d depthwise fits between the scan's ghost pairs (and random control pairs),
/// the paper's Table 2 analogue.
struct FitKernelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fit-kernels",
        abstract:
            "Fit d×d depthwise kernels between similar channel pairs: the Table-2 MSE report with a random-pair "
            + "control.",
        discussion: HelpText.fit(
            """
            Reads pairs.json and activations.h5 of a scan (running the scan first when there is none).
              ghostkit fit-kernels                               # embedded checkpoint, its default scan
              ghostkit fit-kernels --scan outputs/scan-resnet18-fmnist --sizes 1,3,5,7,9 --normalization raw
              ghostkit fit-kernels --checkpoint my.safetensors --images 32
            Writes outputs/fit-kernels-<model>/: report.md, report.csv, report.json, mse-vs-d.png,
            triplet-{red,green,blue}.png.
            """))

    @Option(help: "Scan directory holding pairs.json and activations.h5 (default: outputs/scan-<model>).") var scan:
        String?
    @Option(help: "Checkpoint (default: the embedded one); scanned first if its scan directory has no pairs.json.")
    var checkpoint: String?
    @OptionGroup var engine: EngineOptions
    @Option(help: "Kernel sizes d (odd, comma-separated).") var sizes = CommaSeparated([1, 3, 5, 7])
    @Option(help: "Map normalisation: minmax (each map to [0, 1]), raw or standardize.")
    var normalization: MapNormalization = .minmax
    @Flag(help: "Fit without a bias term.") var noBias = false
    @Option(help: "Ghost pairs per layer taken from pairs.json (0 = all listed).") var topK: Int = 0
    @Option(help: "Random control pairs per layer.") var randomPairs: Int = 16
    @Option(help: "Seed of the random control pairs.") var seed: UInt64 = 0
    @Option(help: "Fit over the first N images of the dump (0 = all).") var images: Int = 0
    @Option(help: "Image shown in the triplet PNGs (default: the scan's Figure-1 image).") var imageIndex: Int?
    @Option(help: "Output directory (default: outputs/fit-kernels-<model>).") var out: String?
    @OptionGroup var existing: OverwriteOption

    func run() throws {
        try engine.apply()
        var c = FitKernelsConfig(scanDir: "")
        (c.sizes, c.normalization, c.bias, c.topK) = (try kernelSizes(sizes.items), normalization, !noBias, topK)
        (c.randomPairs, c.seed, c.images, c.imageIndex) = (randomPairs, seed, images, imageIndex)
        guard topK >= 0, randomPairs >= 0, images >= 0 else {
            throw ValidationError("--top-k, --random-pairs and --images must be ≥ 0")
        }
        // Locked at the start, as scan does: a second run into the same directory is refused at once.
        let dir = try out ?? "outputs/fit-kernels-\(modelName())"
        if World.current.isRoot {
            try existing.check([dir + "/report.md"])
            try OutputDirectory.create(dir)
        }
        let (scanDir, scanned) = try resolveScan()
        c.scanDir = scanDir
        // A dump this run did not write may crash libhdf5 itself: a child process opens it and reads every chunk
        // the fit will read (the first --images rows of each layer) first.
        if !scanned {
            let rows = images > 0 ? images : Int.max
            try HDF5Probe.checkInChild(scanDir + "/activations.h5", layers: [], coverage: .leading(rows))
        }
        c.communicator = World.current  // under mpirun: images sharded across ranks, sums all-reduced
        let (report, triplets) = try FitKernelsRun.run(c)
        guard World.current.isRoot else { return }  // rank 0 writes the reports and figures
        var written = try report.write(to: dir)
        written += try FitKernelsFigures.write(report, to: dir)
        written += try TripletFigures.write(triplets, model: report.model, to: dir)
        print("MSE ×10⁻³ of each d×d fit (lower is better):")
        print(report.summaryTable())
        FileHandle.standardError.write(
            Data(
                String(
                    format: "fitted %d pairs × %d sizes in %.2f s\n",
                    report.pairs.count, c.sizes.count, report.seconds
                ).utf8))
        print("wrote " + written.joined(separator: ", "))
    }

    /// The scan's model name (its pairs.json's; the checkpoint's file name when it is still to be scanned).
    func modelName() throws -> String {
        if scan != nil { return try ScanReport.read(resolveScan().dir + "/pairs.json").model }
        let ckpt = try checkpoint ?? EmbeddedCheckpoint.path()
        return URL(fileURLWithPath: ckpt).deletingPathExtension().lastPathComponent
    }

    /// The scan directory to read, running the scan first when it has no pairs.json (`scanned`: it ran).
    func resolveScan() throws -> (dir: String, scanned: Bool) {
        if let scan {
            guard FileManager.default.fileExists(atPath: scan + "/pairs.json") else {
                throw GhostError.file(scan + "/pairs.json", "no such file (run ghostkit scan --out \(scan) first)")
            }
            return (scan, false)
        }
        let ckpt = try checkpoint ?? EmbeddedCheckpoint.path()
        let dir = ScanConfig.defaultOutput("scan", checkpoint: ckpt)
        if FileManager.default.fileExists(atPath: dir + "/pairs.json") {
            let previous = try ScanReport.read(dir + "/pairs.json")
            if previous.sha256 == (try SHA256.hex(file: ckpt)) { return (dir, false) }
        }
        FileHandle.standardError.write("no scan of \(ckpt) in \(dir): scanning first\n".data(using: .utf8)!)
        var pipeline = ScanConfig(checkpointPath: ckpt)
        pipeline.outDir = dir
        pipeline.overwrite = true
        pipeline.communicator = World.current
        _ = try ScanRunner.run(pipeline)
        return (dir, true)
    }
}

import ArgumentParser
import Foundation
import GhostAnalysis
import GhostIO

/// `ghostkit dump`: activations of chosen layers over many inputs, streamed into one HDF5 file.
struct DumpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump",
        abstract: "Write the activations of chosen layers over N inputs to one HDF5 file (streamed, gzip + shuffle).",
        discussion: HelpText.fit(
            """
              ghostkit dump --images 256 --layers 'layer1.*' --out outputs/dump/r18.h5
              ghostkit dump --checkpoint my.safetensors --input my_pngs/ --out my.h5
              ghostkit dump --layers list            # the layer names of the model
            Layout: /inputs [N,C,H,W] float32 (normalised, as fed to the model), /labels [N] int64,
            /layers/<name> [N,C,H,W] float32; root attributes name the model, checkpoint, sha256 and preprocessing.
            """))

    @OptionGroup var input: ActivationInputOptions
    @OptionGroup var engine: EngineOptions
    @Option(help: "HDF5 file to write (default: outputs/dump-<model>/activations.h5).") var out: String?
    @Flag(help: "Replace an existing file.") var overwrite = false

    func run() throws {
        try engine.apply()
        var dump = try input.config()
        dump.overwrite = overwrite
        dump.dumpOnly = true
        let h5 = out ?? ScanConfig.defaultOutput("dump", checkpoint: dump.checkpointPath) + "/activations.h5"
        dump.h5Path = h5
        let dir = URL(fileURLWithPath: h5).deletingLastPathComponent().path
        // Temps of a dump killed earlier.
        AtomicFile.removeStaleTemps(in: dir, for: URL(fileURLWithPath: h5).lastPathComponent)
        guard let result = try ScanRunner.run(dump, listLayers: input.listLayers) else { return }
        let reader = try ActivationReader(path: result.written[0])
        for name in reader.layerNames { print("\(name)  \(try reader.shape("layers/" + name))") }
        print("wrote " + result.written[0])
    }
}

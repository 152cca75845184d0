import ArgumentParser
import Foundation
import GhostCheckpoint
import GhostIO
import GhostModels
import GhostTensor

/// `ghostkit info`: what a checkpoint (or a fresh architecture) is, with params and MACs per stage.
struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Describe a checkpoint or an architecture: per-stage params and MACs, totals, input size, dtype.",
        discussion: HelpText.fit(
            """
            Examples:
              ghostkit info checkpoints/resnet50-fmnist.safetensors
              ghostkit info --arch resnet50                 # a fresh torchvision ResNet-50 at 224²
              ghostkit info --arch resnet56 --layers        # CIFAR ResNet-56, every layer
              ghostkit info --arch ghostnet                 # GhostNet-1.0× at 224² (--width α, --stem cifar)
              ghostkit info model_best.pth.tar --arch resnet56 \
                --rename linear=fc   # a PyTorch checkpoint and its extras
            """))

    @Argument(help: "A checkpoint: safetensors, or PyTorch .pth/.pt/.tar with --arch (optional when --arch is given).")
    var checkpoint: String?
    @OptionGroup var archOptions: ArchitectureOptions
    @OptionGroup var keys: KeyOptions
    @Option(
        help: ArgumentHelp(
            "Input side for the MACs (default: the side the model evaluates at: 28 for 1-channel "
                + "CIFAR-style models such as the embedded Fashion-MNIST ones, 224 for ImageNet stems, else 32)."))
    var inputSize: Int?
    @Flag(help: "Also list every layer.") var layers = false

    func run() throws {
        let override = try archOptions.architecture()
        var lines: [String] = []
        let arch: Architecture
        let model: ImageClassifier
        if let path = checkpoint {
            let ckpt = try Checkpoint(
                path: path, architecture: override, renames: try keys.rules(), strict: keys.strict)
            let (m, report) = try ckpt.makeModel(strict: keys.strict)
            arch = ckpt.architecture
            model = m
            let format = ckpt.format == "safetensors" ? "" : ", \(ckpt.format) format"
            let dtypes = ckpt.dtypes.joined(separator: "/")
            lines.append(
                "checkpoint    \(path) (\(Format.bytes(ckpt.fileSize)), \(ckpt.tensors.count) tensors, "
                    + "dtype \(dtypes)\(format))")
            if !report.isExact { lines.append("not loaded    \(report.summary)") }
            for (k, v) in ckpt.extras {
                lines.append("saved with    \(k) = \(v.count > 200 ? String(v.prefix(200)) + "…" : v)")
            }
            lines.append("architecture  \(arch.displayName)   [from \(ckpt.architectureSource)]")
            for note in ckpt.architectureNotes { lines.append("assumed       \(note)") }
            if let n = ckpt.normalization { lines.append("normalisation mean \(n.mean) std \(n.std)") }
            for (k, v) in ckpt.metadata.sorted(by: { $0.key < $1.key })
            where k != Checkpoint.Key.architecture && k != Checkpoint.Key.normalization {
                lines.append("metadata      \(k) = \(v.count > 200 ? String(v.prefix(200)) + "…" : v)")
            }
        } else if let a = override {
            arch = a
            model = a.build()
            lines.append("architecture  \(arch.displayName)   [fresh, not trained]")
        } else {
            throw ValidationError("give a checkpoint file or --arch (e.g. ghostkit info --arch resnet50)")
        }
        let side = inputSize ?? arch.evalInputSide
        guard (1...8192).contains(side) else { throw ValidationError("--input-size must be 1…8192") }
        let input = [1, arch.inChannels, side, side]
        var profiler = Profiler()
        _ = model.profile(input, &profiler)
        if let bad = profiler.rows.first(where: { $0.outputShape.contains { $0 < 1 } }) {
            throw ValidationError(
                "input \(side)×\(side) is too small for \(arch.displayName): \(bad.path) would be empty")
        }
        lines.append("input         \(input.map(String.init).joined(separator: "×")) (N×C×H×W), Float32 compute")
        lines.append("")
        var table = [["stage", "params", "MACs", "output"]]
        for stage in profiler.byTopLevel(expanding: ["blocks"]) {
            let out =
                profiler.scopeOutputs[stage.name]
                ?? profiler.rows.last { $0.path == stage.name || $0.path.hasPrefix(stage.name + ".") }?.outputShape
                ?? []
            table.append([
                stage.name, Format.count(stage.params), Format.count(stage.macs),
                out.map(String.init).joined(separator: "×"),
            ])
        }
        table.append(["total", Format.count(profiler.totalParams), Format.count(profiler.totalMACs), ""])
        lines.append(Format.table(table))
        lines.append(
            "total: \(Format.short(profiler.totalParams)) params (\(profiler.totalParams)), "
                + "\(Format.short(profiler.totalMACs)) MACs (\(profiler.totalMACs)) per image at \(side)×\(side)")
        if layers {
            lines.append("")
            var rows = [["layer", "kind", "params", "MACs", "output"]]
            for r in profiler.rows {
                rows.append([
                    r.path, r.kind, String(r.params), String(r.macs),
                    r.outputShape.map(String.init).joined(separator: "×"),
                ])
            }
            lines.append(Format.table(rows))
        }
        print(lines.joined(separator: "\n"))
    }
}

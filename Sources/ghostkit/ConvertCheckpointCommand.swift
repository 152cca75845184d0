import ArgumentParser
import Foundation
import GhostCheckpoint
import GhostIO

/// `ghostkit convert-checkpoint`: any supported checkpoint (PyTorch .pth zip/legacy, safetensors) → GhostKit
/// safetensors.
struct ConvertCheckpointCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert-checkpoint",
        abstract:
            "Normalise a PyTorch .pth/.pt/.tar (zip or legacy format) or foreign safetensors file into GhostKit "
            + "safetensors.",
        discussion: HelpText.fit(
            """
            The state dict is found inside wrapper dicts ("state_dict", "model", …), DataParallel's "module."
            prefix is stripped, --rename rules are applied, and the weights are loaded into --arch (strictly by
            default). The output carries the architecture, the normalisation (--mean/--std, else the file's, else
            none) and the source file's name and SHA-256 in its metadata; plain values saved beside the weights
            (epoch, best_prec1) become "pth.<key>".
            Examples:
              ghostkit convert-checkpoint resnet50-0676ba61.pth resnet50.safetensors --arch resnet50 \
                --mean 0.485,0.456,0.406 --std 0.229,0.224,0.225
              ghostkit convert-checkpoint model_best.pth.tar resnet56.safetensors --arch resnet56 --rename linear=fc
            """))

    @Argument(help: "Input checkpoint (.pth/.pt/.tar or .safetensors).") var input: String
    @Argument(help: "Output GhostKit safetensors file.") var output: String
    @OptionGroup var archOptions: ArchitectureOptions
    @OptionGroup var keys: KeyOptions
    @OptionGroup var norm: NormalizationOptions
    @Option(help: "Storage dtype of the output: F32, F16 or BF16.") var dtype: StorageDType = .f32
    @OptionGroup var existing: OverwriteOption

    func run() throws {
        let storage = dtype.safetensors
        try existing.check([output])
        let ckpt = try Checkpoint(
            path: input, architecture: try archOptions.architecture(), renames: try keys.rules(),
            strict: keys.strict)
        let (model, report) = try ckpt.makeModel(strict: keys.strict)
        if !report.isExact { FileHandle.standardError.write(Data("warning: \(input): \(report.summary)\n".utf8)) }
        let normalization = try norm.normalization(channels: ckpt.architecture.inChannels) ?? ckpt.normalization
        var meta: [String: String] = [
            "ghostkit.source": (input as NSString).lastPathComponent,
            "ghostkit.source_sha256": try SHA256.hex(file: input),
            "ghostkit.source_format": ckpt.format,
        ]
        for (k, v) in ckpt.metadata where k != Checkpoint.Key.architecture && k != Checkpoint.Key.normalization {
            meta[k] = v
        }
        for (k, v) in ckpt.extras { meta["pth." + k] = v }
        try Checkpoint.save(
            model, architecture: ckpt.architecture, to: output, dtype: storage, normalization: normalization,
            metadata: meta)
        print(
            "\(output): \(ckpt.architecture.displayName), \(report.loaded.count) tensors from \(ckpt.format) \(input)"
                + (normalization.map { ", normalisation mean \($0.mean) std \($0.std)" } ?? ", no normalisation stored")
        )
    }
}

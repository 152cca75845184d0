import ArgumentParser
import Foundation
import GhostCheckpoint
import GhostData
import GhostExport
import GhostIO
import GhostModels

/// `ghostkit export`: a checkpoint as an ONNX model (for ONNX Runtime and friends) or a PyTorch module file.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export a model as ONNX (BN folded, output_index folded, dynamic batch) or as a PyTorch module file.",
        discussion: HelpText.fit("""
          ghostkit export checkpoints/ghost-resnet50-fmnist.safetensors outputs/ghost-resnet50.onnx
          ghostkit export checkpoints/ghostnet-fmnist.safetensors outputs/ghostnet.py   # + outputs/ghostnet.safetensors
          ghostkit export --arch ghost-resnet18 outputs/r18-random.onnx                 # a fresh (untrained) model
        ONNX: opset 17, input "input" [batch, C, height, width], output "logits" [batch, classes]; metadata_props hold
        the architecture, normalisation (normalization.mean/std) and class_names. Checked by tools/check_onnx.py.
        """))

    /// What to write.
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case onnx, pytorch
    }

    @Argument(help: "Checkpoint (safetensors or PyTorch), or the output path alone with --arch for a fresh model.")
    var paths: [String]
    @OptionGroup var archOptions: ArchitectureOptions
    @OptionGroup var keys: KeyOptions
    @Option(help: "onnx or pytorch (default: from the extension, .onnx or .py).") var format: Format?
    @Option(help: "Text file with one class name a line (default: Fashion-MNIST's for 1-channel 10-class models).")
    var labels: String?
    @OptionGroup var existing: OverwriteOption

    func run() throws {
        guard paths.count == 2 || (paths.count == 1 && archOptions.arch != nil) else {
            throw ValidationError("give CHECKPOINT OUT (or OUT with --arch for a fresh model)")
        }
        let out = paths[paths.count - 1]
        let ext = URL(fileURLWithPath: out).pathExtension.lowercased()
        guard let fmt = format ?? (ext == "onnx" ? .onnx : ext == "py" ? .pytorch : nil) else {
            throw GhostError.file(out, "cannot tell the format from the extension; use .onnx, .py or --format")
        }
        if fmt == .pytorch && ext != "py" { throw GhostError.file(out, "a PyTorch module file must end in .py") }
        try existing.check(fmt == .pytorch ? [out, PyTorchExporter.weightsPath(for: out)] : [out])
        let model: ImageClassifier, arch: Architecture, normalization: Normalization?, source: String
        if paths.count == 2 {
            let ckpt = try Checkpoint(path: paths[0], architecture: try archOptions.architecture(),
                                      renames: try keys.rules(), strict: keys.strict)
            (model, _) = try ckpt.makeModel(strict: keys.strict)
            (arch, normalization) = (ckpt.architecture, ckpt.normalization)
            source = URL(fileURLWithPath: paths[0]).lastPathComponent
        } else {
            arch = try archOptions.architecture()!
            model = arch.build()
            model.train(false)
            (normalization, source) = (nil, "fresh \(arch.displayName), not trained")
        }
        let meta = ExportMetadata(normalization: normalization, classNames: try classNames(arch), source: source,
                                  architecture: arch)
        try checkDirectory(of: out)
        switch fmt {
        case .onnx:
            try ONNXExporter.write(model, metadata: meta, to: out)
            print("wrote \(out) (\(arch.displayName), ONNX opset \(ONNXGraphBuilder.opset))")
        case .pytorch:
            try PyTorchExporter.write(model, metadata: meta, to: out)
            print("wrote \(out) and \(PyTorchExporter.weightsPath(for: out)) (\(arch.displayName), PyTorch)")
        }
    }

    /// A missing or read-only output directory, named before any work is written.
    func checkDirectory(of path: String) throws {
        let dir = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
            throw GhostError.file(path, "cannot write: the directory \(dir) does not exist")
        }
        guard FileManager.default.isWritableFile(atPath: dir) else {
            throw GhostError.file(path, "cannot write: the directory \(dir) is read-only")
        }
    }

    /// --labels, else Fashion-MNIST's names for 1-channel 10-class models, else the class indices.
    func classNames(_ arch: Architecture) throws -> [String] {
        guard let path = labels else {
            if arch.inChannels == 1 && arch.numClasses == 10 { return ImageDataset.fashionMNISTClasses }
            return (0..<arch.numClasses).map(String.init)
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw GhostError.file(path, FileManager.default.fileExists(atPath: path) ? "cannot read" : "no such file")
        }
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n").map {
            $0.trimmingCharacters(in: .whitespacesAndNewlines)
        }.filter { !$0.isEmpty }
        guard lines.count == arch.numClasses else {
            throw GhostError.file(path, "has \(lines.count) class names but the model has \(arch.numClasses) classes")
        }
        return lines
    }
}

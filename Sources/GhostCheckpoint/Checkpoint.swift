import Foundation
import GhostData
import GhostIO
import GhostModels
import GhostTensor

/// A model checkpoint on disk (safetensors) with GhostKit's metadata:
/// "ghostkit.arch" (Architecture JSON), "ghostkit.normalization" ({"mean": [...], "std": [...]}),
/// and free-form provenance keys.
public struct Checkpoint {
    public let path: String
    public let architecture: Architecture
    /// Where the architecture came from: "file metadata", "--arch" or "the tensor shapes".
    public let architectureSource: String
    public let metadata: [String: String]
    public let tensors: [(String, Tensor)]
    /// Storage dtypes present in the file (F32, F16, …).
    public let dtypes: [String]
    public let fileSize: Int
    /// "safetensors", "PyTorch zip" or "PyTorch legacy".
    public let format: String
    /// Plain values saved beside a PyTorch state dict (epoch, best_prec1, …), in file order.
    public let extras: [(String, String)]

    /// Tensors under this prefix hold optimiser state of a training checkpoint ("optim.momentum.<name>" for SGD,
    /// "optim.exp_avg.<name>", "optim.exp_avg_sq.<name>", "optim.step.<name>" for Adam/AdamW).
    public static let optimizerStatePrefix = "optim."

    /// Optimiser state stored by `ghostkit train`, by key without the "optim." prefix.
    public var optimizerState: [String: Tensor] {
        var out: [String: Tensor] = [:]
        for (k, v) in tensors where k.hasPrefix(Self.optimizerStatePrefix) { out[String(k.dropFirst(Self.optimizerStatePrefix.count))] = v }
        return out
    }

    /// Metadata keys GhostKit writes.
    public enum Key {
        public static let architecture = "ghostkit.arch"
        public static let normalization = "ghostkit.normalization"
    }

    /// Reads a checkpoint: GhostKit safetensors, or a PyTorch `torch.save` file (.pth/.pt/.tar, zip or legacy
    /// format, recognised by content) whose state dict is found inside any wrapper dict. `architecture`
    /// overrides (or supplies) the one in the metadata; keys lose DataParallel's "module." prefix and then go
    /// through `renames` in order.
    public init(path: String, architecture override: Architecture? = nil, renames: [RenameRule] = []) throws {
        self.path = path
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw GhostError.file(path, "no such file")
        }
        guard !isDir.boolValue else { throw GhostError.file(path, "is a directory, not a checkpoint file") }
        fileSize = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        let file: SafetensorsFile
        do { file = try SafetensorsFile(path: path) } catch {
            guard let torch = try Self.loadPyTorch(path) else { throw error }
            let (entries, extras) = try StateDictKeys.extract(torch.root, name: path)
            let named = try StateDictKeys.normalise(entries.map { ($0.0, ($0.1, $0.2)) }, renames: renames, name: path)
            if let a = override {
                architecture = a
                architectureSource = "--arch"
            } else if let a = Architecture.inferred(from: named.map { ($0.0, $0.1.0) }) {
                architecture = a
                architectureSource = "the tensor shapes"
            } else {
                throw GhostError.file(path, "a \(torch.format.rawValue) checkpoint carries no architecture and its keys are not a plain ResNet's or GhostNet's; pass --arch (e.g. --arch resnet50)")
            }
            metadata = [:]
            format = torch.format.rawValue
            self.extras = extras
            tensors = named.map { ($0.0, $0.1.0) }
            dtypes = Array(Set(named.map { $0.1.1.rawValue })).sorted()
            return
        }
        metadata = file.metadata
        format = "safetensors"
        extras = []
        let named = try StateDictKeys.normalise(try file.allTensors(), renames: renames, name: path)
        if let a = override {
            architecture = a; architectureSource = "--arch"
        } else if let json = file.metadata[Key.architecture] {
            do { architecture = try Architecture(json: json) } catch let e as GhostError {
                throw GhostError.file(path, e.message)
            }
            architectureSource = "file metadata"
        } else {
            guard let a = Architecture.inferred(from: named) else {
                throw GhostError.file(path, "no architecture in the metadata and the keys are not a plain ResNet's or GhostNet's; pass --arch (e.g. --arch resnet50)")
            }
            architecture = a
            architectureSource = "the tensor shapes"
        }
        tensors = named
        dtypes = Array(Set(file.names.compactMap { file.entry($0)?.dtype.rawValue })).sorted()
    }

    /// Builds the architecture and loads the weights; strict loading throws on any key or shape problem.
    public func makeModel(strict: Bool = true) throws -> (model: ImageClassifier, report: LoadReport) {
        let model = architecture.build()
        let weights = tensors.filter { !$0.0.hasPrefix(Self.optimizerStatePrefix) }
        let report = try model.load(stateDict: Dictionary(weights, uniquingKeysWith: { a, _ in a }), strict: false, source: path)
        if strict && !report.isExact {
            throw GhostError.file(path, report.summary + StateDictKeys.suggestion(for: report))
        }
        for (name, module) in model.namedModules() {
            guard let g = module as? GhostModule else { continue }
            let slots = g.intrinsicChannels * g.ratio
            if let bad = g.outputIndex.value.scalars.first(where: { $0 < 0 || $0 >= Float(slots) || $0 != $0.rounded() }) {
                throw GhostError.file(path, "\(name).output_index holds \(bad), outside the module's 0..<\(slots) channels")
            }
        }
        model.train(false)
        return (model, report)
    }

    /// Normalisation stored in the file, if any.
    public var normalization: Normalization? {
        metadata[Key.normalization].flatMap { Normalization(json: $0) }
    }

    /// Writes a model's state dict with metadata (architecture JSON added automatically), atomically;
    /// `optimizerState` (an optimiser's `state`, as "optim.<key>") beside it.
    public static func save(_ model: Module, architecture: Architecture, to path: String,
                            dtype: SafetensorsDType = .F32, normalization: Normalization? = nil,
                            metadata extra: [String: String] = [:],
                            optimizerState: [String: Tensor] = [:]) throws {
        var meta = extra
        meta[Key.architecture] = architecture.json
        if let n = normalization { meta[Key.normalization] = n.json }
        var entries = model.namedParameters().map { name, p in
            (name: name, tensor: p.value, dtype: p.isInteger ? SafetensorsDType.I64 : dtype)
        }
        for (key, t) in optimizerState.sorted(by: { $0.key < $1.key }) {
            entries.append((name: optimizerStatePrefix + key, tensor: t, dtype: .F32))
        }
        try SafetensorsFile.write(path: path, tensors: entries, metadata: meta)
    }

    /// The PyTorch checkpoint in a file that failed to parse as safetensors, or nil when its first bytes are
    /// neither a torch.save zip ("PK\\3\\4") nor the legacy pickle magic.
    static func loadPyTorch(_ path: String) throws -> TorchCheckpoint? {
        guard let h = FileHandle(forReadingAtPath: path) else { return nil }
        let head = h.readData(ofLength: 4)
        try? h.close()
        guard TorchCheckpoint.format(of: head) != nil else { return nil }
        return try TorchCheckpoint(path: path)
    }
}

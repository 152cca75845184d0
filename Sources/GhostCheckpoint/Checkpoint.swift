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
    /// What the tensor shapes could not tell when the architecture was inferred, each with the flag that settles it.
    public let architectureNotes: [String]
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
        for (k, v) in tensors where k.hasPrefix(Self.optimizerStatePrefix) {
            out[String(k.dropFirst(Self.optimizerStatePrefix.count))] = v
        }
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
    /// through `renames` in order. With `strict` and `override`, a torch.save zip's keys and shapes are checked
    /// against the architecture from its listing before any storage is inflated (`makeModel(strict: true)`'s
    /// errors, in seconds less for a large file); pass `strict: false` where a non-strict load follows.
    public init(
        path: String, architecture override: Architecture? = nil, renames: [RenameRule] = [],
        strict: Bool = true
    ) throws {
        self.path = path
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw GhostError.file(path, "no such file")
        }
        guard !isDir.boolValue else { throw GhostError.file(path, "is a directory, not a checkpoint file") }
        fileSize = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        let file: SafetensorsFile
        do { file = try SafetensorsFile(path: path) } catch {
            if strict, let a = override { try Self.precheck(path, architecture: a, renames: renames) }
            guard let torch = try Self.loadPyTorch(path) else { throw error }
            let (entries, extras) = try StateDictKeys.extract(torch.root, name: path)
            let named = try StateDictKeys.normalise(entries.map { ($0.0, ($0.1, $0.2)) }, renames: renames, name: path)
            if let a = override {
                architecture = Self.withStemBias(a, named.map(\.0))
                (architectureSource, architectureNotes) = ("--arch", [])
            } else {
                let inferred: InferredArchitecture
                do { inferred = try Architecture.infer(from: named.map { ($0.0, $0.1.0) }) } catch let e as GhostError {
                    throw GhostError.file(
                        path,
                        "a \(torch.format.rawValue) checkpoint carries no architecture and "
                            + e.message)
                }
                (architecture, architectureSource) = (inferred.architecture, "the tensor shapes")
                architectureNotes = inferred.notes
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
            architecture = Self.withStemBias(a, named.map(\.0))
            architectureSource = "--arch"
            architectureNotes = []
        } else if let json = file.metadata[Key.architecture] {
            do { architecture = try Architecture(json: json) } catch let e as GhostError {
                throw GhostError.file(path, e.message)
            }
            architectureSource = "file metadata"
            architectureNotes = []
        } else {
            let inferred: InferredArchitecture
            do { inferred = try Architecture.infer(from: named) } catch let e as GhostError {
                throw GhostError.file(path, "no architecture in the metadata and " + e.message)
            }
            (architecture, architectureSource) = (inferred.architecture, "the tensor shapes")
            architectureNotes = inferred.notes
        }
        tensors = named
        dtypes = Array(Set(file.names.compactMap { file.entry($0)?.dtype.rawValue })).sorted()
        // Invalid normalisation metadata is refused, never silently replaced by a default.
        if let json = metadata[Key.normalization],
            Normalization(json: json).map({
                [1, architecture.inChannels]
                    .contains($0.mean.count)
            }) != true
        {
            throw GhostError.file(
                path,
                "\(Key.normalization) metadata \(json) is invalid (need \"mean\" and \"std\" "
                    + "with 1 or \(architecture.inChannels) values each, every std > 0)")
        }
    }

    /// Builds the architecture and loads the weights as PyTorch's `load_state_dict(strict=True)` does: a BatchNorm
    /// whose file predates `num_batches_tracked` gets it filled in (0); any other missing, unexpected or misshapen
    /// key throws with `strict` — one line "file is X, not Y" when --arch names another model than the file holds.
    public func makeModel(strict: Bool = true) throws -> (model: ImageClassifier, report: LoadReport) {
        let model = architecture.build()
        let weights = tensors.filter { !$0.0.hasPrefix(Self.optimizerStatePrefix) }
        var dict = Dictionary(weights, uniquingKeysWith: { a, _ in a })
        let counter = "num_batches_tracked"
        for (name, p) in model.namedParameters()
        where name.hasSuffix(counter) && dict[name] == nil
            && dict[String(name.dropLast(counter.count)) + "running_mean"] != nil
        {
            dict[name] = Tensor(zeros: p.shape)
        }
        let report = try model.load(stateDict: dict, strict: false, source: path)
        if strict && !report.isExact {
            if architectureSource == "--arch", let held = fileArchitecture, held != architecture {
                throw GhostError.file(path, "file is \(held.displayName), not \(architecture.displayName)")
            }
            throw GhostError.file(path, report.summary + StateDictKeys.suggestion(for: report))
        }
        for (name, module) in model.namedModules() {
            guard let g = module as? GhostModule else { continue }
            let slots = g.intrinsicChannels * g.s
            if let bad = g.outputIndex.value.scalars.first(where: { $0 < 0 || $0 >= Float(slots) || $0 != $0.rounded() }
            ) {
                throw GhostError.file(
                    path, "\(name).output_index holds \(bad), outside the module's 0..<\(slots) channels")
            }
        }
        model.train(false)
        return (model, report)
    }

    /// The architecture the file itself describes (its metadata, else its tensor shapes), whatever --arch said;
    /// nil when neither tells.
    public var fileArchitecture: Architecture? {
        if let json = metadata[Key.architecture], let a = try? Architecture(json: json) { return a }
        return Architecture.inferred(from: tensors)
    }

    /// Normalisation stored in the file, if any.
    public var normalization: Normalization? {
        metadata[Key.normalization].flatMap { Normalization(json: $0) }
    }

    /// Writes a model's state dict with metadata (architecture JSON added automatically), atomically;
    /// `optimizerState` (an optimiser's `state`, as "optim.<key>") beside it.
    public static func save(
        _ model: Module, architecture: Architecture, to path: String,
        dtype: SafetensorsDType = .F32, normalization: Normalization? = nil,
        metadata extra: [String: String] = [:],
        optimizerState: [String: Tensor] = [:]
    ) throws {
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

    /// Refuses a torch.save zip whose state dict (keys and shapes, from `TorchCheckpoint.listing`) is not the
    /// architecture's, with the errors `makeModel(strict: true)` throws; nothing is inflated. Legacy files (and
    /// files that are no torch.save zip) pass here and are checked after loading.
    static func precheck(_ path: String, architecture override: Architecture, renames: [RenameRule]) throws {
        guard let h = FileHandle(forReadingAtPath: path) else { return }
        let head = h.readData(ofLength: 4)
        try? h.close()
        guard TorchCheckpoint.format(of: head) == .zip, let listing = try TorchCheckpoint.listing(path: path) else {
            return
        }
        let shapes = try StateDictKeys.normalise(
            try StateDictKeys.extractShapes(listing.root, name: path),
            renames: renames, name: path)
        let architecture = withStemBias(override, shapes.map(\.0))
        let model = architecture.build()
        var report = try model.load(stateDict: [:], strict: false, source: path)  // an empty report to fill
        (report.missing, report.unexpected, report.loaded, report.shapeMismatches) = ([], [], [], [])
        let dict = Dictionary(shapes, uniquingKeysWith: { a, _ in a })
        let counter = "num_batches_tracked"
        let params = model.namedParameters()
        for (name, p) in params {
            guard let shape = dict[name] else {
                let filled =
                    name.hasSuffix(counter) && dict[String(name.dropLast(counter.count)) + "running_mean"] != nil
                if !filled { report.missing.append(name) }
                continue
            }
            let count = shape.reduce(1, *)
            if shape != p.shape && !(count == p.value.count && count == 1) {
                report.shapeMismatches.append((name, p.shape, shape))
            } else {
                report.loaded.append(name)
            }
        }
        let known = Set(params.map(\.0))
        report.unexpected = dict.keys.filter { !known.contains($0) }.sorted()
        guard !report.isExact else { return }
        if let held = try? Architecture.infer(shapes: shapes).architecture, held != architecture {
            throw GhostError.file(path, "file is \(held.displayName), not \(architecture.displayName)")
        }
        throw GhostError.file(path, report.summary + StateDictKeys.suggestion(for: report))
    }

    /// `a` with a stem bias when it is a ResNet and the file holds `conv1.bias` (no flag asks for one).
    static func withStemBias(_ a: Architecture, _ keys: [String]) -> Architecture {
        guard case .resnet(var r) = a.family, !r.stemBias, keys.contains("conv1.bias") else { return a }
        r.stemBias = true
        var b = a
        b.family = .resnet(r)
        return b
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

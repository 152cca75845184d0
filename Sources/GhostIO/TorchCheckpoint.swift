import Foundation
import GhostTensor

/// A file written by `torch.save`, read without Python: the zip format (torch ≥ 1.6: `<root>/data.pkl` plus one
/// `<root>/data/<key>` entry per storage) and the legacy format (magic number, protocol, sys_info and main
/// pickles, the storage-key list, then each storage as an 8-byte element count and its raw bytes). Pickles go
/// through the restricted `Pickle` reader; tensors are rebuilt from their storage views (offset, size, stride,
/// contiguous or not) into contiguous Float32 tensors. Every size claim is checked against the bytes present
/// before anything is allocated; any problem is a one-line `GhostError` naming the file.
public struct TorchCheckpoint {
    /// The two `torch.save` layouts.
    public enum Format: String, Sendable {
        case zip = "PyTorch zip"
        case legacy = "PyTorch legacy"
    }

    /// The file (or name given to `parse`).
    public let name: String
    public let format: Format
    /// The saved object with tensors, nested dicts and plain values.
    public let root: TorchValue

    /// The format of a file's first bytes, or nil when it is neither torch.save layout.
    public static func format(of data: Data) -> Format? {
        if ZipArchive.looksLikeZip(data) { return .zip }
        let h = [UInt8](data.prefix(4))
        if h.count == 4, h[0] == 0x80, (2...5).contains(h[1]), h[2] == 0x8A, h[3] == 0x0A { return .legacy }
        return nil
    }

    /// Budget of a zip checkpoint's storages together, counted as elements × max(element size, 4): each storage is
    /// inflated whole and converted to Float32, so loading stays under about twice this (1.5 GiB). 768 MiB is three
    /// times torchvision's ResNet-152 (60 M parameters). Checked, with every tensor's view, from the pickle and the
    /// zip headers before anything is inflated.
    public static let maxTensorBytes = 768 << 20

    init(name: String, format: Format, root: TorchValue) {
        self.name = name
        self.format = format
        self.root = root
    }

    /// Reads a file (memory-mapped).
    public init(path: String) throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw GhostError.file(path, "no such file")
        }
        guard !isDir.boolValue else { throw GhostError.file(path, "is a directory, not a checkpoint file") }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) } catch {
            throw GhostError.file(path, "cannot read")
        }
        self = try Self.parse(data: data, name: path)
    }

    /// Parses in-memory bytes; `name` only names the source in errors. Never traps on any input.
    public static func parse(data: Data, name: String) throws -> TorchCheckpoint {
        let data = data.startIndex == 0 ? data : Data(data)
        guard let f = format(of: data) else {
            throw GhostError.file(
                name, "not a PyTorch checkpoint (neither a torch.save zip nor the legacy pickle format)")
        }
        do {
            return f == .zip ? try parseZip(data, name: name) : try parseLegacy(data, name: name)
        } catch let e as GhostError where e.message.hasPrefix(name + ": ") {
            throw GhostError.file(name, "\(f.rawValue) checkpoint: " + e.message.dropFirst(name.count + 2))
        }
    }

    // MARK: - zip format

    /// The keys and shapes of a torch.save zip file without inflating or reading any storage (`.tensorShape`
    /// leaves), after the same checks `init(path:)` makes first: every view against its storage, every storage
    /// against its zip entry, the `maxTensorBytes` budget. Nil for the legacy format (its storages are stored raw).
    public static func listing(path: String) throws -> TorchCheckpoint? {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) } catch {
            throw GhostError.file(path, "cannot read")
        }
        guard format(of: data) == .zip else { return nil }
        do { return try parseZip(data, name: path, listingOnly: true) } catch let e as GhostError
            where e.message.hasPrefix(path + ": ")
        {
            throw GhostError.file(path, "\(Format.zip.rawValue) checkpoint: " + e.message.dropFirst(path.count + 2))
        }
    }

    static func parseZip(_ data: Data, name: String, listingOnly: Bool = false) throws -> TorchCheckpoint {
        let zip = try ZipArchive(data: data, name: name)
        guard
            let pkl = zip.entries.filter({ $0.name.hasSuffix("data.pkl") && !$0.name.hasPrefix("__MACOSX") })
                .min(by: { $0.name.count < $1.name.count })
        else {
            throw GhostError.file(name, "zip archive has no data.pkl (not a torch.save file)")
        }
        let prefix = String(pkl.name.dropLast("data.pkl".count))
        if let bo = zip.entry(prefix + "byteorder") {
            let order = String(decoding: try zip.contents(of: bo), as: UTF8.self).trimmingCharacters(
                in: .whitespacesAndNewlines)
            guard order == "little" else {
                throw GhostError.file(name, "storages are \(order)-endian; only little-endian files are read")
            }
        }
        let value = try Pickle.load(data: try zip.contents(of: pkl), name: name)
        // First a dry run over every tensor: its view checked against its storage's claimed size, and that claim
        // checked against the size in the storage's zip header, all before a single storage is inflated.
        var claimed = 0
        var dry = Builder(
            name: name,
            dryRun: { key, dtype, numel in
                let q = SafetensorsFile.quoted(key)
                guard let e = zip.entry(prefix + "data/" + key) else {
                    throw GhostError.file(name, "storage \(q) has no entry \(prefix)data/\(key)")
                }
                let (bytes, o) = numel.multipliedReportingOverflow(by: dtype.byteSize)
                guard !o, bytes == e.uncompressedSize else {
                    throw GhostError.file(
                        name,
                        "storage \(q) claims \(numel) elements of \(dtype.rawValue) but its zip entry "
                            + "holds \(e.uncompressedSize) bytes")
                }
                let cost = numel.multipliedReportingOverflow(by: max(dtype.byteSize, 4))
                let (sum, o2) = claimed.addingReportingOverflow(cost.partialValue)
                guard !cost.overflow, !o2, sum <= TorchCheckpoint.maxTensorBytes else {
                    throw GhostError.file(
                        name,
                        "storages claim more than \(TorchCheckpoint.maxTensorBytes >> 20) MiB of "
                            + "Float32 tensors in all (storage \(q) reaches it)")
                }
                claimed = sum
            })
        let listing = try dry.convert(value)
        if listingOnly { return TorchCheckpoint(name: name, format: .zip, root: listing) }
        var storages: [String: StorageBytes] = [:]
        var builder = Builder(name: name) { key, dtype in
            if let s = storages[key] { return s }
            guard let e = zip.entry(prefix + "data/" + key) else {
                throw GhostError.file(name, "storage \(SafetensorsFile.quoted(key)) has no entry \(prefix)data/\(key)")
            }
            let s: StorageBytes
            if e.method == 0 {
                try zip.withContents(of: e) { _ in }  // CRC check once
                s = StorageBytes(data: zip.data, offset: e.dataOffset, count: e.uncompressedSize)
            } else {
                s = StorageBytes(data: try zip.contents(of: e), offset: 0, count: e.uncompressedSize)
            }
            storages[key] = s
            return s
        }
        let root = try builder.convert(value)
        return TorchCheckpoint(name: name, format: .zip, root: root)
    }

    // MARK: - legacy format

    /// 0x1950a86a20f9469cfc6c, little-endian, as pickled by LONG1.
    static let legacyMagic: [UInt8] = [0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]

    static func parseLegacy(_ data: Data, name: String) throws -> TorchCheckpoint {
        func fail(_ p: String) -> GhostError { GhostError.file(name, p) }
        var pos = 0
        let (magic, p1) = try Pickle.load(data: data, from: pos, name: name)
        guard case .bigInt(let m) = magic, m == legacyMagic else {
            throw fail("legacy format: wrong magic number (not a torch.save file)")
        }
        let (proto, p2) = try Pickle.load(data: data, from: p1, name: name)
        guard proto.intValue == 1001 else {
            let version = proto.kind == "int" ? String(proto.intValue ?? 0) : proto.kind
            throw fail("legacy format: unsupported protocol version \(version)")
        }
        let (sysInfo, p3) = try Pickle.load(data: data, from: p2, name: name)
        if case .dict(let d) = sysInfo, case .bool(false)? = d["little_endian"] {
            throw fail("saved on a big-endian machine; only little-endian files are read")
        }
        let (main, p4) = try Pickle.load(data: data, from: p3, name: name)
        let (keysValue, p5) = try Pickle.load(data: data, from: p4, name: name)
        guard let keyItems = keysValue.items else {
            throw fail("legacy format: storage key list is a \(keysValue.kind)")
        }
        pos = p5

        // Element sizes come from the storage types the main pickle names.
        var elementSize: [String: Int] = [:]
        try Builder.collectStorageTypes(main, name: name, into: &elementSize)
        var layout: [String: StorageBytes] = [:]
        let size = data.count
        for k in keyItems {
            guard let key = k.stringValue else { throw fail("legacy format: storage key is a \(k.kind)") }
            guard let es = elementSize[key] else {
                throw fail("legacy format: storage \(SafetensorsFile.quoted(key)) is not used by any tensor")
            }
            guard pos <= size - 8 else {
                throw fail("truncated: storage \(SafetensorsFile.quoted(key)) starts past the end (\(size) bytes)")
            }
            var n: UInt64 = 0
            data.withUnsafeBytes { raw in for i in 0..<8 { n |= UInt64(raw[pos + i]) << (8 * UInt64(i)) } }
            pos += 8
            let left = UInt64(size - pos)
            guard n <= left / UInt64(es) else {
                throw fail(
                    "truncated: storage \(SafetensorsFile.quoted(key)) claims \(n) elements of \(es) bytes but "
                        + "\(left) bytes are left"
                )
            }
            layout[key] = StorageBytes(data: data, offset: pos, count: Int(n) * es)
            pos += Int(n) * es
        }
        var builder = Builder(name: name) { key, _ in
            guard let s = layout[key] else {
                throw fail("storage \(SafetensorsFile.quoted(key)) is not in the file's storage list")
            }
            return s
        }
        let root = try builder.convert(main)
        return TorchCheckpoint(name: name, format: .legacy, root: root)
    }
}

/// A value of a loaded PyTorch checkpoint.
public indirect enum TorchValue {
    /// A tensor (converted to Float32) with the dtype it was stored as.
    case tensor(Tensor, dtype: SafetensorsDType)
    /// A tensor's shape and stored dtype without its data (in a `TorchCheckpoint.listing`).
    case tensorShape([Int], dtype: SafetensorsDType)
    /// A dict or OrderedDict with string keys (other keys are written in decimal).
    case dict([(String, TorchValue)])
    /// A number, string, bool or None, as text ("91.5", "7", "resnet18").
    case scalar(String)
    /// Anything else (lists, optimizer internals), described briefly ("list of 3").
    case other(String)
}

/// Bytes of one storage inside the file data.
struct StorageBytes {
    let data: Data
    let offset: Int
    let count: Int
}

/// Turns unpickled values into `TorchValue`s, rebuilding tensors from storages.
struct Builder {
    let name: String
    let storage: (String, SafetensorsDType) throws -> StorageBytes
    /// Visits of pickle nodes (a DAG can reference one node many times): bounded.
    private var visits = 0
    static let maxVisits = 10_000_000

    /// In a dry run no storage is read: each distinct storage's (key, dtype, claimed elements) goes to `dryRun`
    /// once and tensors are checked against the claims but not built.
    let dryRun: ((String, SafetensorsDType, Int) throws -> Void)?
    private var seen: Set<String> = []

    init(name: String, storage: @escaping (String, SafetensorsDType) throws -> StorageBytes) {
        self.name = name
        self.storage = storage
        self.dryRun = nil
    }

    init(name: String, dryRun: @escaping (String, SafetensorsDType, Int) throws -> Void) {
        self.name = name
        self.storage = { _, _ in fatalError("dry run") }
        self.dryRun = dryRun
    }

    func fail(_ p: String) -> GhostError { GhostError.file(name, p) }

    static let storageTypes: [String: SafetensorsDType] = [
        "FloatStorage": .F32, "HalfStorage": .F16, "BFloat16Storage": .BF16, "DoubleStorage": .F64, "LongStorage": .I64,
        "IntStorage": .I32, "ShortStorage": .I16, "CharStorage": .I8, "ByteStorage": .U8, "BoolStorage": .BOOL,
    ]

    /// (key, dtype, numel, element offset) of a persistent id ("storage", type, key, location, numel[, view]).
    static func storageRef(
        _ pid: PickleContainer, name: String
    ) throws -> (key: String, dtype: SafetensorsDType, numel: Int, offset: Int) {
        let f = pid.items
        guard f.count >= 5, f[0].stringValue == "storage" else {
            throw GhostError.file(name, "unsupported persistent id (\(f.first?.kind ?? "empty")), not a torch storage")
        }
        guard case .global("torch", let t) = f[1], let dtype = storageTypes[t] else {
            throw GhostError.file(name, "unsupported storage type \(f[1].kind)")
        }
        guard let key = f[2].stringValue else { throw GhostError.file(name, "storage key is a \(f[2].kind)") }
        guard let numel = f[4].intValue, numel >= 0 else {
            throw GhostError.file(name, "storage \(SafetensorsFile.quoted(key)) has a bad size (\(f[4].kind))")
        }
        if f.count >= 6, let view = f[5].items {
            // legacy view of a root storage: (view_key, offset, size)
            guard view.count == 3, let off = view[1].intValue, let n = view[2].intValue, off >= 0, n >= 0 else {
                throw GhostError.file(name, "storage \(SafetensorsFile.quoted(key)) has a bad view")
            }
            return (key, dtype, n, off)
        }
        return (key, dtype, numel, 0)
    }

    /// Element size of every storage key the pickle references (legacy layout needs them first).
    static func collectStorageTypes(_ v: PickleValue, name: String, into out: inout [String: Int]) throws {
        var budget = maxVisits
        func walk(_ v: PickleValue) throws {
            budget -= 1
            guard budget >= 0 else { throw GhostError.file(name, "pickle has too many references to walk") }
            switch v {
            case .persistent(let c):
                let r = try storageRef(c, name: name)
                out[r.key] = r.dtype.byteSize
            case .tuple(let c), .list(let c): for x in c.items { try walk(x) }
            case .dict(let d):
                for (k, x) in d.entries {
                    try walk(k)
                    try walk(x)
                }
            case .object(let o):
                for x in o.args { try walk(x) }
                if let s = o.state { try walk(s) }
            default: break
            }
        }
        try walk(v)
    }

    mutating func convert(_ v: PickleValue) throws -> TorchValue {
        visits += 1
        guard visits <= Self.maxVisits else { throw fail("pickle has too many references to walk") }
        switch v {
        case .none: return .scalar("None")
        case .bool(let b): return .scalar(b ? "True" : "False")
        case .int(let i): return .scalar(String(i))
        case .bigInt: return .scalar("<big integer>")
        case .float(let d): return .scalar(String(d))
        case .string(let s): return .scalar(s)
        case .bytes(let b): return .other("bytes of \(b.count)")
        case .dict(let d):
            var out: [(String, TorchValue)] = []
            for (k, x) in d.entries {
                let key: String
                switch k {
                case .string(let s): key = s
                case .int(let i): key = String(i)
                default: key = "<\(k.kind)>"
                }
                out.append((key, try convert(x)))
            }
            return .dict(out)
        case .object(let o):
            switch (o.module, o.name) {
            case ("torch._utils", "_rebuild_tensor_v2"), ("torch._utils", "_rebuild_tensor"):
                return try rebuildTensor(o.args)
            case ("torch._utils", "_rebuild_parameter"), ("torch._utils", "_rebuild_parameter_with_state"):
                guard let first = o.args.first else { throw fail("_rebuild_parameter without data") }
                return try convert(first)
            case ("numpy.core.multiarray", "scalar"):
                return .scalar(Self.numpyScalar(o) ?? "<numpy scalar>")
            default:
                return .other("\(o.module).\(o.name)(…)")
            }
        default:
            return .other(v.kind)
        }
    }

    /// A numpy float64/float32/int64 scalar: scalar(dtype(code, …), bytes).
    static func numpyScalar(_ o: PickleObject) -> String? {
        guard o.args.count == 2, case .object(let dt) = o.args[0], dt.name == "dtype",
            let code = dt.args.first?.stringValue,
            case .bytes(let b) = o.args[1]
        else { return nil }
        func le(_ n: Int) -> UInt64? {
            guard b.count == n else { return nil }
            var v: UInt64 = 0
            for i in 0..<n { v |= UInt64(b[i]) << (8 * UInt64(i)) }
            return v
        }
        switch code {
        case "f8": return le(8).map { String(Double(bitPattern: $0)) }
        case "f4": return le(4).map { String(Float(bitPattern: UInt32($0))) }
        case "i8": return le(8).map { String(Int64(bitPattern: $0)) }
        case "i4": return le(4).map { String(Int32(truncatingIfNeeded: $0)) }
        default: return nil
        }
    }

    /// _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, hooks[, metadata]).
    mutating func rebuildTensor(_ args: [PickleValue]) throws -> TorchValue {
        guard args.count >= 4, case .persistent(let pid) = args[0] else {
            throw fail("tensor without a storage reference")
        }
        let ref = try Self.storageRef(pid, name: name)
        let q = SafetensorsFile.quoted(ref.key)
        guard let offset = args[1].intValue, offset >= 0 else {
            throw fail("tensor on storage \(q): bad storage offset")
        }
        guard let sizeItems = args[2].items, let strideItems = args[3].items, sizeItems.count == strideItems.count,
            sizeItems.count <= 16
        else {
            throw fail("tensor on storage \(q): size and stride are not matching tuples of at most 16 dims")
        }
        var shape: [Int] = []
        var strides: [Int] = []
        for (s, t) in zip(sizeItems, strideItems) {
            guard let a = s.intValue, let b = t.intValue, a >= 0, b >= 0 else {
                throw fail("tensor on storage \(q): negative or non-integer size/stride")
            }
            shape.append(a)
            strides.append(b)
        }
        var count = 1
        var last = offset  // largest element index touched
        for (a, b) in zip(shape, strides) {
            let (c, o1) = count.multipliedReportingOverflow(by: a)
            guard !o1 else { throw fail("tensor on storage \(q): size \(shape) has more elements than can be counted") }
            count = c
            if a > 0 {
                let (reach, o2) = (a - 1).multipliedReportingOverflow(by: b)
                let (l, o3) = last.addingReportingOverflow(reach)
                guard !o2, !o3 else {
                    throw fail("tensor on storage \(q): view [\(shape), stride \(strides)] reaches beyond any storage")
                }
                last = l
            }
        }
        // Claims against the storage (and the storage against the file) before allocating.
        guard count <= max(ref.numel, 0) || count == 0 else {
            throw fail("tensor on storage \(q) claims \(count) elements but its storage holds \(ref.numel)")
        }
        if let dryRun {
            let (viewEnd, o) = ref.offset.addingReportingOverflow(ref.numel)
            guard !o else { throw fail("storage \(q) has a view past any storage") }
            if count > 0 && last >= ref.numel {
                throw fail(
                    "tensor on storage \(q): view [\(shape), stride \(strides), offset \(offset)] reaches element "
                        + "\(last) of \(ref.numel)"
                )
            }
            if seen.insert(ref.key).inserted { try dryRun(ref.key, ref.dtype, viewEnd) }
            return .tensorShape(shape, dtype: ref.dtype)
        }
        let bytes = try storage(ref.key, ref.dtype)
        let es = ref.dtype.byteSize
        let available = bytes.count / es
        let (viewEnd, o4) = ref.offset.addingReportingOverflow(ref.numel)
        guard !o4, viewEnd <= available else {
            throw fail(
                "storage \(q) claims \(ref.numel) elements of \(ref.dtype.rawValue) but the file holds \(available)")
        }
        if count > 0 && last >= ref.numel {
            throw fail(
                "tensor on storage \(q): view [\(shape), stride \(strides), offset \(offset)] reaches element \(last) "
                    + "of \(ref.numel)"
            )
        }
        let t = Tensor(uninitialized: shape)
        if count > 0 {
            bytes.data.withUnsafeBytes { raw in
                let base = raw.baseAddress! + bytes.offset + ref.offset * es
                Self.gather(
                    into: t.uncheckedMutablePointer, count: count, shape: shape, strides: strides, offset: offset,
                    from: base,
                    dtype: ref.dtype)
            }
        }
        return .tensor(t, dtype: ref.dtype)
    }

    /// Copies a strided view (all indices already checked) into contiguous Float32.
    static func gather(
        into out: UnsafeMutablePointer<Float>, count: Int, shape: [Int], strides: [Int], offset: Int,
        from src: UnsafeRawPointer, dtype: SafetensorsDType
    ) {
        func load(_ i: Int) -> Float {
            switch dtype {
            case .F32:
                return Float(
                    bitPattern: UInt32(littleEndian: src.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
            case .F16:
                return Float(
                    Float16(bitPattern: UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
                )
            case .BF16:
                return Float(
                    bitPattern: UInt32(UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
                        << 16)
            case .F64:
                return Float(
                    Double(bitPattern: UInt64(littleEndian: src.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))))
            case .I64: return Float(Int64(littleEndian: src.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self)))
            case .I32: return Float(Int32(littleEndian: src.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)))
            case .I16: return Float(Int16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self)))
            case .I8: return Float(src.load(fromByteOffset: i, as: Int8.self))
            case .U8: return Float(src.load(fromByteOffset: i, as: UInt8.self))
            case .BOOL: return src.load(fromByteOffset: i, as: UInt8.self) != 0 ? 1 : 0
            }
        }
        // Row-major strides: one linear run.
        var expected = 1
        var contiguous = true
        for d in stride(from: shape.count - 1, through: 0, by: -1) where shape[d] != 1 {
            if strides[d] != expected {
                contiguous = false
                break
            }
            expected *= shape[d]
        }
        if contiguous {
            for i in 0..<count { out[i] = load(offset + i) }
            return
        }
        var index = [Int](repeating: 0, count: shape.count)
        var at = offset
        for i in 0..<count {
            out[i] = load(at)
            var d = shape.count - 1
            while d >= 0 {
                index[d] += 1
                at += strides[d]
                if index[d] < shape[d] { break }
                at -= strides[d] * shape[d]
                index[d] = 0
                d -= 1
            }
        }
    }
}

extension SafetensorsFile {
    /// A tensor or key name for a one-line message: JSON-quoted, long names shortened.
    public static func quotedName(_ s: String) -> String { quoted(s) }
}

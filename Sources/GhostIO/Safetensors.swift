import Foundation
import GhostTensor

#if canImport(Glibc)
import Glibc
#endif

/// Element types of the safetensors format.
public enum SafetensorsDType: String, CaseIterable, Sendable {
    case F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .F64, .I64: return 8
        case .F32, .I32: return 4
        case .F16, .BF16, .I16: return 2
        case .I8, .U8, .BOOL: return 1
        }
    }

    /// True for the integer and boolean types (the writer rounds Float32 values to them).
    public var isInteger: Bool {
        switch self {
        case .F64, .F32, .F16, .BF16: return false
        case .I64, .I32, .I16, .I8, .U8, .BOOL: return true
        }
    }
}

/// A safetensors file: 8-byte little-endian header length N, N bytes of UTF-8 JSON mapping tensor names
/// to `{"dtype", "shape", "data_offsets": [begin, end]}` (plus an optional string map "__metadata__"),
/// then the little-endian tensor data; offsets count from the first byte after the header.
///
/// Every claim in the header is checked against the file before anything is allocated; each failure
/// is a one-line `GhostError` "path: problem". Tensors are decoded to Float32 on demand.
public struct SafetensorsFile {
    struct Entry {
        let dtype: SafetensorsDType
        let shape: [Int]
        /// Byte range inside the data section.
        let begin: Int, end: Int
    }

    /// The file this was read from (or the name given to `init(path:data:)`).
    public let path: String
    /// The "__metadata__" string map (empty if absent).
    public let metadata: [String: String]
    /// Tensor names in file order (by data offset).
    public let names: [String]
    private let entries: [String: Entry]
    private let bytes: FileBytes
    private let dataStart: Int

    /// Largest header accepted (the limit of the format's reference implementation).
    public static let maxHeaderBytes = 100_000_000

    /// Opens, memory-maps and validates a file.
    public init(path: String) throws {
        try self.init(path: path, bytes: FileBytes(mapping: path))
    }

    /// Parses in-memory bytes (copied); `path` only names the source in errors.
    public init(path: String, data: Data) throws {
        try self.init(path: path, bytes: FileBytes(copying: data))
    }

    private init(path: String, bytes: FileBytes) throws {
        self.path = path
        self.bytes = bytes
        func fail(_ problem: String) -> GhostError { GhostError.file(path, problem) }
        let size = bytes.count
        guard size >= 8, let base = bytes.base else {
            throw fail("not a safetensors file: \(size) bytes, too short for the 8-byte header length")
        }
        var n: UInt64 = 0
        for i in 0..<8 { n |= UInt64(base.load(fromByteOffset: i, as: UInt8.self)) << (8 * UInt64(i)) }
        guard n <= UInt64(Self.maxHeaderBytes) else {
            throw fail(
                "header length \(n) exceeds the \(Self.maxHeaderBytes / 1_000_000) MB limit (not a safetensors file?)")
        }
        let headerLength = Int(n)
        guard headerLength <= size - 8 else {
            throw fail("header claims \(headerLength) bytes but the file has only \(size - 8) after the 8-byte length")
        }
        dataStart = 8 + headerLength
        let dataBytes = size - dataStart
        let header = UnsafeBufferPointer(start: (base + 8).assumingMemoryBound(to: UInt8.self), count: headerLength)

        guard String(validating: header, as: UTF8.self) != nil else { throw fail("header is not valid UTF-8") }
        let root: JSON
        do {
            var parser = JSONParser(header)
            root = try parser.parseDocument()
        } catch let e as JSONParser.Failure {
            throw fail("header is not valid JSON: \(e.message)")
        }
        guard case .object(let top) = root else { throw fail("header is not a JSON object") }

        var meta: [String: String] = [:]
        var entries: [String: Entry] = [:]
        entries.reserveCapacity(top.count)
        for (name, value) in top {
            let q = Self.quoted(name)
            if name == "__metadata__" {
                guard case .object(let m) = value else { throw fail("__metadata__ is not a map of strings") }
                for (k, v) in m {
                    guard case .string(let s) = v else {
                        throw fail("__metadata__ value of \(Self.quoted(k)) is \(v.kind), not a string")
                    }
                    meta[k] = s
                }
                continue
            }
            guard case .object(let fields) = value else { throw fail("tensor \(q) is \(value.kind), not an object") }
            func field(_ key: String) -> JSON? { fields.first(where: { $0.key == key })?.value }

            guard let dtypeValue = field("dtype") else { throw fail("tensor \(q) has no dtype") }
            guard case .string(let dtypeName) = dtypeValue else {
                throw fail("tensor \(q): dtype is \(dtypeValue.kind), not a string")
            }
            guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
                throw fail(
                    "tensor \(q) has unsupported dtype \(Self.quoted(dtypeName)) (known: "
                        + SafetensorsDType.allCases.map(\.rawValue).joined(separator: ", ") + ")")
            }

            guard let shapeValue = field("shape") else { throw fail("tensor \(q) has no shape") }
            guard case .array(let dims) = shapeValue else {
                throw fail("tensor \(q): shape is \(shapeValue.kind), not a list")
            }
            var shape: [Int] = []
            shape.reserveCapacity(dims.count)
            for d in dims {
                guard case .int(let v) = d, v >= 0 else {
                    throw fail("tensor \(q): shape has \(d.brief), not a non-negative integer")
                }
                shape.append(v)
            }
            var elements = 1
            if !shape.contains(0) {
                for v in shape {
                    let (p, overflow) = elements.multipliedReportingOverflow(by: v)
                    guard !overflow else {
                        throw fail("tensor \(q): shape \(Self.describe(shape)) has more elements than can be counted")
                    }
                    elements = p
                }
            } else {
                elements = 0
            }
            let (byteCount, overflow) = elements.multipliedReportingOverflow(by: dtype.byteSize)
            guard !overflow else {
                throw fail(
                    "tensor \(q): shape \(Self.describe(shape)) of \(dtypeName) has more bytes than can be counted")
            }

            guard let offsetsValue = field("data_offsets") else { throw fail("tensor \(q) has no data_offsets") }
            guard case .array(let offsets) = offsetsValue, offsets.count == 2,
                case .int(let begin) = offsets[0], case .int(let end) = offsets[1], begin >= 0, end >= 0
            else {
                throw fail(
                    "tensor \(q): data_offsets is \(offsetsValue.brief), not two non-negative integers [begin, end]")
            }
            guard end >= begin else { throw fail("tensor \(q): data_offsets [\(begin), \(end)] end before they begin") }
            guard end - begin == byteCount else {
                throw fail(
                    "tensor \(q): shape \(Self.describe(shape)) of \(dtypeName) needs \(byteCount) bytes but "
                        + "data_offsets [\(begin), \(end)] hold \(end - begin)"
                )
            }
            entries[name] = Entry(dtype: dtype, shape: shape, begin: begin, end: end)
        }

        if let last = entries.max(by: { ($0.value.end, $1.key) < ($1.value.end, $0.key) }), last.value.end > dataBytes {
            throw fail(
                "header claims \(last.value.end) bytes of tensor data but the file has only \(dataBytes) after the "
                    + "header"
                    + " (tensor \(Self.quoted(last.key)) ends at \(last.value.end))")
        }
        let ordered = entries.sorted { ($0.value.begin, $0.value.end, $0.key) < ($1.value.begin, $1.value.end, $1.key) }
        var previous: (name: String, entry: Entry)?
        for (name, e) in ordered where e.end > e.begin {
            if let p = previous, e.begin < p.entry.end {
                throw fail(
                    "tensors \(Self.quoted(p.name)) [\(p.entry.begin), \(p.entry.end)) and \(Self.quoted(name)) "
                        + "[\(e.begin), \(e.end)) overlap"
                )
            }
            previous = (name, e)
        }
        self.entries = entries
        self.names = ordered.map(\.key)
        self.metadata = meta
    }

    /// dtype and shape of a tensor, or nil if the file has no tensor of that name.
    public func entry(_ name: String) -> (dtype: SafetensorsDType, shape: [Int])? {
        entries[name].map { ($0.dtype, $0.shape) }
    }

    /// A tensor converted to Float32 (F16 and BF16 exactly; F64 and 64-bit integers rounded to nearest).
    public func tensor(_ name: String) throws -> Tensor {
        guard let e = entries[name], let base = bytes.base else {
            throw GhostError.file(path, "no tensor named \(Self.quoted(name))")
        }
        let t = Tensor(uninitialized: e.shape)
        let n = t.count
        let out = t.uncheckedMutablePointer
        let src = UnsafeRawPointer(base) + dataStart + e.begin
        switch e.dtype {
        case .F32:
            #if _endian(little)
            if n > 0 { memcpy(out, src, n * 4) }
            #else
            for i in 0..<n {
                out[i] = Float(
                    bitPattern: UInt32(littleEndian: src.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
            }
            #endif
        case .F16:
            for i in 0..<n {
                out[i] = Float(
                    Float16(bitPattern: UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
                )
            }
        case .BF16:
            for i in 0..<n {
                out[i] = Float(
                    bitPattern: UInt32(UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
                        << 16)
            }
        case .F64:
            for i in 0..<n {
                out[i] = Float(
                    Double(bitPattern: UInt64(littleEndian: src.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))))
            }
        case .I64:
            for i in 0..<n {
                out[i] = Float(Int64(littleEndian: src.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self)))
            }
        case .I32:
            for i in 0..<n {
                out[i] = Float(Int32(littleEndian: src.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)))
            }
        case .I16:
            for i in 0..<n {
                out[i] = Float(Int16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self)))
            }
        case .I8:
            for i in 0..<n { out[i] = Float(src.load(fromByteOffset: i, as: Int8.self)) }
        case .U8:
            for i in 0..<n { out[i] = Float(src.load(fromByteOffset: i, as: UInt8.self)) }
        case .BOOL:
            for i in 0..<n { out[i] = src.load(fromByteOffset: i, as: UInt8.self) != 0 ? 1 : 0 }
        }
        return t
    }

    /// Every tensor, converted to Float32, in file order.
    public func allTensors() throws -> [(String, Tensor)] { try names.map { ($0, try tensor($0)) } }

    /// Writes tensors (header keys and data in the given order, "__metadata__" first) atomically via `AtomicFile`.
    /// F16 and BF16 round to nearest even (F16 overflows to ±inf and keeps subnormals); integer dtypes round
    /// the Float32 values to nearest, and a value outside the dtype's range is an error. Duplicate names are an error.
    public static func write(
        path: String, tensors: [(name: String, tensor: Tensor, dtype: SafetensorsDType)],
        metadata: [String: String]
    ) throws {
        var seen = Set<String>()
        var header = "{"
        if !metadata.isEmpty {
            header +=
                "\"__metadata__\":{"
                + metadata.sorted { $0.key < $1.key }
                .map { jsonString($0.key) + ":" + jsonString($0.value) }.joined(separator: ",") + "}"
        }
        var offset = 0
        for t in tensors {
            guard t.name != "__metadata__" else {
                throw GhostError.file(path, "\"__metadata__\" cannot be a tensor name")
            }
            guard seen.insert(t.name).inserted else {
                throw GhostError.file(path, "duplicate tensor name \(quoted(t.name))")
            }
            if t.dtype.isInteger, let problem = integerRangeProblem(t.tensor, t.dtype) {
                throw GhostError.file(path, "tensor \(quoted(t.name)): \(problem)")
            }
            let byteCount = t.tensor.count * t.dtype.byteSize
            if header.utf8.count > 1 { header += "," }
            header +=
                jsonString(t.name) + ":{\"dtype\":\"\(t.dtype.rawValue)\",\"shape\":["
                + t.tensor.shape.map(String.init).joined(separator: ",")
                + "],\"data_offsets\":[\(offset),\(offset + byteCount)]}"
            offset += byteCount
        }
        header += "}"
        var headerBytes = Array(header.utf8)
        while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }
        guard headerBytes.count <= maxHeaderBytes else {
            throw GhostError.file(
                path,
                "cannot write: header of \(headerBytes.count) bytes exceeds the \(maxHeaderBytes / 1_000_000) MB limit")
        }
        try AtomicFile.write(to: path) { out in
            var prefix = [UInt8](repeating: 0, count: 8)
            for i in 0..<8 { prefix[i] = UInt8(truncatingIfNeeded: UInt64(headerBytes.count) >> (8 * UInt64(i))) }
            try out.write(prefix)
            try out.write(headerBytes)
            let chunk = 1 << 16
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunk * 8, alignment: 16)
            defer { buffer.deallocate() }
            for t in tensors {
                let n = t.tensor.count
                let src = t.tensor.readPointer
                #if _endian(little)
                if t.dtype == .F32 {
                    try out.write(UnsafeRawBufferPointer(start: src, count: n * 4))
                    continue
                }
                #endif
                var start = 0
                while start < n {
                    let m = min(chunk, n - start)
                    encode(src + start, count: m, as: t.dtype, into: buffer)
                    try out.write(UnsafeRawBufferPointer(start: buffer, count: m * t.dtype.byteSize))
                    start += m
                }
            }
        }
    }

    /// Little-endian encoding of `count` floats as `dtype` (integer values already range-checked).
    static func encode(
        _ src: UnsafePointer<Float>, count n: Int, as dtype: SafetensorsDType, into dst: UnsafeMutableRawPointer
    ) {
        switch dtype {
        case .F32:
            for i in 0..<n { dst.storeBytes(of: src[i].bitPattern.littleEndian, toByteOffset: 4 * i, as: UInt32.self) }
        case .F16:
            for i in 0..<n {
                dst.storeBytes(of: Float16(src[i]).bitPattern.littleEndian, toByteOffset: 2 * i, as: UInt16.self)
            }
        case .BF16:
            for i in 0..<n {
                dst.storeBytes(of: bfloat16Bits(src[i]).littleEndian, toByteOffset: 2 * i, as: UInt16.self)
            }
        case .F64:
            for i in 0..<n {
                dst.storeBytes(of: Double(src[i]).bitPattern.littleEndian, toByteOffset: 8 * i, as: UInt64.self)
            }
        case .I64:
            for i in 0..<n {
                dst.storeBytes(of: Int64(src[i].rounded()).littleEndian, toByteOffset: 8 * i, as: Int64.self)
            }
        case .I32:
            for i in 0..<n {
                dst.storeBytes(of: Int32(src[i].rounded()).littleEndian, toByteOffset: 4 * i, as: Int32.self)
            }
        case .I16:
            for i in 0..<n {
                dst.storeBytes(of: Int16(src[i].rounded()).littleEndian, toByteOffset: 2 * i, as: Int16.self)
            }
        case .I8: for i in 0..<n { dst.storeBytes(of: Int8(src[i].rounded()), toByteOffset: i, as: Int8.self) }
        case .U8, .BOOL: for i in 0..<n { dst.storeBytes(of: UInt8(src[i].rounded()), toByteOffset: i, as: UInt8.self) }
        }
    }

    /// Why `t` cannot be stored as integer `dtype`, or nil if every rounded value fits.
    static func integerRangeProblem(_ t: Tensor, _ dtype: SafetensorsDType) -> String? {
        let (lo, hi): (Float, Float)  // allowed rounded values: lo <= v < hi
        switch dtype {
        case .I64: (lo, hi) = (-0x1p63, 0x1p63)
        case .I32: (lo, hi) = (-0x1p31, 0x1p31)
        case .I16: (lo, hi) = (-0x1p15, 0x1p15)
        case .I8: (lo, hi) = (-128, 128)
        case .U8: (lo, hi) = (0, 256)
        case .BOOL: (lo, hi) = (0, 2)
        default: return nil
        }
        let p = t.readPointer
        for i in 0..<t.count {
            let v = p[i].rounded()
            if !(v >= lo && v < hi) { return "value \(p[i]) at index \(i) does not fit \(dtype.rawValue)" }
        }
        return nil
    }

    /// Round-to-nearest-even bfloat16 bit pattern of a Float32 (NaN stays a quiet NaN of the same sign).
    static func bfloat16Bits(_ x: Float) -> UInt16 {
        let b = x.bitPattern
        if x.isNaN { return UInt16(truncatingIfNeeded: b >> 16) | 0x0040 }
        return UInt16(truncatingIfNeeded: (b &+ 0x7FFF &+ ((b >> 16) & 1)) >> 16)
    }

    /// A JSON string literal.
    static func jsonString(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 || u.value == 0x7F {
                    out += "\\u00" + String(u.value >> 4, radix: 16) + String(u.value & 0xF, radix: 16)
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }
}

extension SafetensorsFile {
    /// A name for a one-line error message: JSON-quoted (no raw newlines), long names shortened.
    static func quoted(_ s: String) -> String {
        let q = jsonString(s)
        return q.count <= 80 ? q : String(q.prefix(76)) + "…\""
    }

    /// A shape for an error message, long ones shortened.
    static func describe(_ shape: [Int]) -> String {
        shape.count <= 8
            ? "\(shape)" : "[" + shape.prefix(8).map(String.init).joined(separator: ", ") + ", … (\(shape.count) dims)]"
    }

    // MARK: - File bytes

    /// Read-only bytes of a file: memory-mapped, or a private copy of in-memory data.
    final class FileBytes {
        /// nil when the file is empty.
        let base: UnsafeRawPointer?
        let count: Int
        private let mapped: Bool

        init(mapping path: String) throws {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else {
                if errno == ENOENT { throw GhostError.file(path, "no such file") }
                throw GhostError.file(path, "cannot read: \(String(cString: strerror(errno)))")
            }
            defer { close(fd) }
            var st = stat()
            guard fstat(fd, &st) == 0 else {
                throw GhostError.file(path, "cannot read: \(String(cString: strerror(errno)))")
            }
            if (st.st_mode & S_IFMT) == S_IFDIR {
                throw GhostError.file(path, "is a directory, not a safetensors file")
            }
            guard (st.st_mode & S_IFMT) == S_IFREG else { throw GhostError.file(path, "not a regular file") }
            count = Int(st.st_size)
            mapped = count > 0
            if count > 0 {
                guard let p = mmap(nil, count, PROT_READ, MAP_PRIVATE, fd, 0), Int(bitPattern: p) != -1 else {
                    throw GhostError.file(path, "cannot read: \(String(cString: strerror(errno)))")
                }
                base = UnsafeRawPointer(p)
            } else {
                base = nil
            }
        }

        init(copying data: Data) {
            let n = data.count
            count = n
            mapped = false
            if n > 0 {
                let p = UnsafeMutableRawPointer.allocate(byteCount: n, alignment: 16)
                data.withUnsafeBytes { p.copyMemory(from: $0.baseAddress!, byteCount: n) }
                base = UnsafeRawPointer(p)
            } else {
                base = nil
            }
        }

        deinit {
            guard let base else { return }
            if mapped { munmap(UnsafeMutableRawPointer(mutating: base), count) } else { base.deallocate() }
        }
    }
}

import Foundation
import GhostTensor

/// Element types of the safetensors format.
public enum SafetensorsDType: String, CaseIterable {
    case F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL

    public var byteSize: Int {
        switch self {
        case .F64, .I64: return 8
        case .F32, .I32: return 4
        case .F16, .BF16, .I16: return 2
        case .I8, .U8, .BOOL: return 1
        }
    }
}

/// A safetensors file: 8-byte little-endian header length, a JSON header mapping names to
/// dtype/shape/data_offsets (plus an optional string map "__metadata__"), then raw little-endian data.
///
/// Every size claim in the header is checked against the file before anything is allocated.
public struct SafetensorsFile {
    public struct Entry {
        public let dtype: SafetensorsDType
        public let shape: [Int]
        /// Byte range inside the data section.
        public let begin: Int, end: Int
    }

    public let path: String
    public let metadata: [String: String]
    /// Tensor names in file (data offset) order.
    public let names: [String]
    private let entries: [String: Entry]
    private let data: Data
    private let dataStart: Int

    /// Largest header accepted (the format's reference implementation uses 100 MB).
    public static let maxHeaderBytes = 100_000_000

    /// Opens and validates a file (memory-mapped; tensors are decoded on demand).
    public init(path: String) throws {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) } catch {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot read file" : "no such file"
            throw GhostError.file(path, reason)
        }
        try self.init(path: path, data: data)
    }

    /// Parses in-memory bytes; `path` only names the source in errors.
    public init(path: String, data: Data) throws {
        self.path = path
        self.data = data
        func fail(_ problem: String) -> GhostError { GhostError.file(path, "not a valid safetensors file: " + problem) }
        guard data.count >= 8 else { throw fail("\(data.count) bytes, too short for the 8-byte header length") }
        let headerLength = data.withUnsafeBytes { raw -> UInt64 in
            var v: UInt64 = 0
            for i in 0..<8 { v |= UInt64(raw[i]) << (8 * UInt64(i)) }
            return v
        }
        guard headerLength <= UInt64(Self.maxHeaderBytes) else { throw fail("header length \(headerLength) exceeds the 100 MB limit") }
        guard Int(headerLength) <= data.count - 8 else {
            throw fail("header claims \(headerLength) bytes but the file has only \(data.count - 8) after the length field")
        }
        dataStart = 8 + Int(headerLength)
        let dataBytes = data.count - dataStart
        let headerData = data.subdata(in: 8..<dataStart)
        let parsed: Any
        do { parsed = try JSONSerialization.jsonObject(with: headerData, options: []) } catch {
            throw fail("header is not valid JSON")
        }
        guard let header = parsed as? [String: Any] else { throw fail("header is not a JSON object") }
        var meta: [String: String] = [:]
        var entries: [String: Entry] = [:]
        for (name, value) in header {
            if name == "__metadata__" {
                guard let m = value as? [String: Any] else { throw fail("__metadata__ is not an object") }
                for (k, v) in m {
                    guard let s = v as? String else { throw fail("__metadata__[\"\(k)\"] is not a string") }
                    meta[k] = s
                }
                continue
            }
            guard let e = value as? [String: Any] else { throw fail("entry '\(name)' is not an object") }
            guard let dt = e["dtype"] as? String else { throw fail("entry '\(name)' has no dtype") }
            guard let dtype = SafetensorsDType(rawValue: dt) else { throw fail("entry '\(name)' has unsupported dtype '\(dt)'") }
            guard let shapeAny = e["shape"] as? [Any] else { throw fail("entry '\(name)' has no shape list") }
            var shape: [Int] = []
            var elements = 1
            for d in shapeAny {
                guard let v = Self.exactInt(d), v >= 0 else { throw fail("entry '\(name)' has an invalid dimension \(d)") }
                shape.append(v)
                let (p, overflow) = elements.multipliedReportingOverflow(by: v)
                guard !overflow else { throw fail("entry '\(name)' shape \(shape) overflows") }
                elements = p
            }
            guard let offs = e["data_offsets"] as? [Any], offs.count == 2,
                  let begin = Self.exactInt(offs[0]), let end = Self.exactInt(offs[1]), begin >= 0, end >= begin else {
                throw fail("entry '\(name)' has invalid data_offsets")
            }
            let (bytes, overflow) = elements.multipliedReportingOverflow(by: dtype.byteSize)
            guard !overflow, end - begin == bytes else {
                throw fail("entry '\(name)' shape \(shape) × \(dtype.rawValue) needs \(overflow ? "too many" : String(bytes)) bytes, data_offsets give \(end - begin)")
            }
            guard end <= dataBytes else {
                throw fail("entry '\(name)' ends at byte \(end) but the file has only \(dataBytes) bytes of tensor data")
            }
            entries[name] = Entry(dtype: dtype, shape: shape, begin: begin, end: end)
        }
        let ordered = entries.sorted { ($0.value.begin, $0.value.end, $0.key) < ($1.value.begin, $1.value.end, $1.key) }
        var last = 0
        for (name, e) in ordered where e.end > e.begin {
            guard e.begin >= last else { throw fail("entry '\(name)' overlaps the previous tensor") }
            last = e.end
        }
        self.entries = entries
        self.names = ordered.map(\.key)
        self.metadata = meta
    }

    /// Non-negative integer from a JSON number (rejects fractions, booleans and out-of-range values).
    private static func exactInt(_ v: Any) -> Int? {
        guard let n = v as? NSNumber, String(cString: n.objCType) != "c" else { return nil }  // "c": a JSON boolean
        let d = n.doubleValue
        guard d.isFinite, d == d.rounded(), abs(d) < 9.0e15 else { return nil }
        return Int(d)
    }

    /// dtype and shape of a tensor, or nil if absent.
    public func entry(_ name: String) -> (dtype: SafetensorsDType, shape: [Int])? {
        entries[name].map { ($0.dtype, $0.shape) }
    }

    /// A tensor converted to Float32.
    public func tensor(_ name: String) throws -> Tensor {
        guard let e = entries[name] else { throw GhostError.file(path, "no tensor named '\(name)'") }
        let t = Tensor(uninitialized: e.shape)
        let n = t.count
        let out = t.pointer
        data.withUnsafeBytes { raw in
            let src = raw.baseAddress! + dataStart + e.begin
            switch e.dtype {
            case .F32:
                memcpy(out, src, n * 4)
            case .F16:
                let p = src.assumingMemoryBound(to: UInt8.self)
                for i in 0..<n { out[i] = Float(Float16(bitPattern: UInt16(p[2 * i]) | UInt16(p[2 * i + 1]) << 8)) }
            case .BF16:
                let p = src.assumingMemoryBound(to: UInt8.self)
                for i in 0..<n { out[i] = Float(bitPattern: (UInt32(p[2 * i]) | UInt32(p[2 * i + 1]) << 8) << 16) }
            case .F64:
                for i in 0..<n { out[i] = Float(src.loadUnaligned(fromByteOffset: 8 * i, as: Double.self)) }
            case .I64:
                for i in 0..<n { out[i] = Float(src.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self)) }
            case .I32:
                for i in 0..<n { out[i] = Float(src.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)) }
            case .I16:
                for i in 0..<n { out[i] = Float(src.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self)) }
            case .I8:
                for i in 0..<n { out[i] = Float(src.load(fromByteOffset: i, as: Int8.self)) }
            case .U8, .BOOL:
                for i in 0..<n { out[i] = Float(src.load(fromByteOffset: i, as: UInt8.self)) }
            }
        }
        return t
    }

    /// Every tensor (Float32) in file order.
    public func allTensors() throws -> [(String, Tensor)] { try names.map { ($0, try tensor($0)) } }

    /// Writes tensors (in the given order) and string metadata atomically.
    /// F32, F16 and BF16 round to nearest even; integer dtypes round the Float32 values.
    public static func write(path: String, tensors: [(name: String, tensor: Tensor, dtype: SafetensorsDType)],
                             metadata: [String: String]) throws {
        var seen = Set<String>()
        var header = "{"
        if !metadata.isEmpty {
            header += "\"__metadata__\":{" + metadata.sorted { $0.key < $1.key }
                .map { "\(jsonString($0.key)):\(jsonString($0.value))" }.joined(separator: ",") + "},"
        }
        var offset = 0
        var parts: [String] = []
        for t in tensors {
            guard seen.insert(t.name).inserted else { throw GhostError.file(path, "duplicate tensor name '\(t.name)'") }
            guard t.name != "__metadata__" else { throw GhostError.file(path, "'__metadata__' cannot be a tensor name") }
            let bytes = t.tensor.count * t.dtype.byteSize
            parts.append("\(jsonString(t.name)):{\"dtype\":\"\(t.dtype.rawValue)\",\"shape\":[\(t.tensor.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(offset + bytes)]}")
            offset += bytes
        }
        header += parts.joined(separator: ",") + "}"
        var headerBytes = Array(header.utf8)
        while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }
        try AtomicFile.write(to: path) { fd in
            var prefix = [UInt8](repeating: 0, count: 8)
            for i in 0..<8 { prefix[i] = UInt8((UInt64(headerBytes.count) >> (8 * UInt64(i))) & 0xFF) }
            try prefix.withUnsafeBytes { try AtomicFile.writeAll(fd, $0, path: path) }
            try headerBytes.withUnsafeBytes { try AtomicFile.writeAll(fd, $0, path: path) }
            for t in tensors {
                let encoded = encode(t.tensor, as: t.dtype)
                try encoded.withUnsafeBytes { try AtomicFile.writeAll(fd, $0, path: path) }
            }
        }
    }

    /// Little-endian bytes of a tensor in the given dtype.
    static func encode(_ t: Tensor, as dtype: SafetensorsDType) -> [UInt8] {
        let n = t.count
        var out = [UInt8](repeating: 0, count: n * dtype.byteSize)
        let src = t.pointer
        out.withUnsafeMutableBytes { raw in
            let dst = raw.baseAddress!
            switch dtype {
            case .F32: memcpy(dst, src, n * 4)
            case .F16: for i in 0..<n { dst.storeBytes(of: Float16(src[i]).bitPattern, toByteOffset: 2 * i, as: UInt16.self) }
            case .BF16: for i in 0..<n { dst.storeBytes(of: bfloat16Bits(src[i]), toByteOffset: 2 * i, as: UInt16.self) }
            case .F64: for i in 0..<n { dst.storeBytes(of: Double(src[i]), toByteOffset: 8 * i, as: Double.self) }
            case .I64: for i in 0..<n { dst.storeBytes(of: Int64(src[i].rounded()), toByteOffset: 8 * i, as: Int64.self) }
            case .I32: for i in 0..<n { dst.storeBytes(of: Int32(src[i].rounded()), toByteOffset: 4 * i, as: Int32.self) }
            case .I16: for i in 0..<n { dst.storeBytes(of: Int16(src[i].rounded()), toByteOffset: 2 * i, as: Int16.self) }
            case .I8: for i in 0..<n { dst.storeBytes(of: Int8(src[i].rounded()), toByteOffset: i, as: Int8.self) }
            case .U8, .BOOL: for i in 0..<n { dst.storeBytes(of: UInt8(src[i].rounded()), toByteOffset: i, as: UInt8.self) }
            }
        }
        return out
    }

    /// Round-to-nearest-even bfloat16 bit pattern of a Float32.
    static func bfloat16Bits(_ x: Float) -> UInt16 {
        if x.isNaN { return 0x7FC0 }
        let b = x.bitPattern
        return UInt16(truncatingIfNeeded: (b &+ 0x7FFF &+ ((b >> 16) & 1)) >> 16)
    }

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
                if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }
}

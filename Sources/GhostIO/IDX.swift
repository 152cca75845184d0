import CZlib
import Foundation
import GhostTensor

/// The IDX format of MNIST / Fashion-MNIST (optionally gzip-compressed): big-endian magic
/// 0x00 0x00 type ndim, ndim big-endian u32 dimensions, then the raw unsigned bytes.
public enum IDX {
    /// An IDX array of unsigned bytes.
    public struct Array {
        public let shape: [Int]
        public let bytes: [UInt8]
    }

    /// Largest accepted payload (the biggest MNIST-style file is 47 MB).
    public static let maxBytes = 1 << 31

    /// Reads a `.gz` or plain IDX file of unsigned bytes (type 0x08).
    public static func read(path: String) throws -> Array {
        let data = try readMaybeGzip(path: path)
        guard data.count >= 4 else { throw GhostError.file(path, "not an IDX file: \(data.count) bytes") }
        guard data[0] == 0, data[1] == 0 else { throw GhostError.file(path, "not an IDX file: bad magic number") }
        guard data[2] == 0x08 else { throw GhostError.file(path, String(format: "IDX element type 0x%02x is not unsigned byte (0x08)", data[2])) }
        let ndim = Int(data[3])
        guard (1...4).contains(ndim), data.count >= 4 + 4 * ndim else { throw GhostError.file(path, "IDX header truncated or has \(ndim) dimensions") }
        var shape: [Int] = []
        var total = 1
        for d in 0..<ndim {
            let o = 4 + 4 * d
            let v = Int(data[o]) << 24 | Int(data[o + 1]) << 16 | Int(data[o + 2]) << 8 | Int(data[o + 3])
            shape.append(v)
            total *= v
            guard total <= maxBytes else { throw GhostError.file(path, "IDX dimensions \(shape) are implausibly large") }
        }
        let header = 4 + 4 * ndim
        guard data.count - header == total else {
            throw GhostError.file(path, "IDX dimensions \(shape) need \(total) bytes but the file has \(data.count - header)")
        }
        return Array(shape: shape, bytes: [UInt8](data[header...]))
    }

    /// The file's bytes, gunzipped when it starts with the gzip magic. Bounded by `maxBytes`.
    public static func readMaybeGzip(path: String) throws -> [UInt8] {
        guard let fh = FileHandle(forReadingAtPath: path) else {
            throw GhostError.file(path, FileManager.default.fileExists(atPath: path) ? "cannot open for reading" : "no such file")
        }
        let head = [UInt8](fh.readData(ofLength: 2))
        try? fh.close()
        if head != [0x1F, 0x8B] {
            guard let d = FileManager.default.contents(atPath: path) else { throw GhostError.file(path, "cannot read") }
            return [UInt8](d)
        }
        guard let gz = gzopen(path, "rb") else { throw GhostError.file(path, "cannot open gzip stream") }
        defer { gzclose(gz) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = chunk.withUnsafeMutableBytes { gzread(gz, $0.baseAddress, UInt32($0.count)) }
            if n < 0 {
                var errnum: Int32 = 0
                let msg = String(cString: gzerror(gz, &errnum))
                throw GhostError.file(path, "corrupt gzip data (\(msg))")
            }
            if n == 0 { break }
            out.append(contentsOf: chunk[0..<Int(n)])
            guard out.count <= maxBytes else { throw GhostError.file(path, "decompressed data exceeds \(maxBytes) bytes") }
        }
        // gzread returns 0 on a truncated stream too: check that the stream really ended.
        var errnum: Int32 = 0
        _ = gzerror(gz, &errnum)
        if errnum != Z_OK && errnum != Z_STREAM_END { throw GhostError.file(path, "corrupt or truncated gzip data") }
        return out
    }
}

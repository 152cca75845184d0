import CZlib
import Foundation
import GhostTensor

/// The IDX format of MNIST / Fashion-MNIST (optionally gzip-compressed): big-endian magic
/// 0x00 0x00 type ndim, ndim big-endian u32 dimensions, then the raw unsigned bytes.
///
/// The header is read (and decompressed) first; the size it claims is checked against `maxBytes`
/// and, for plain files, against the file size before anything else is allocated, and a gzip stream
/// is never inflated past the claimed size.
public enum IDX {
    /// An IDX array of unsigned bytes.
    public struct Array {
        public let shape: [Int]
        public let bytes: [UInt8]
    }

    /// Largest accepted payload: 512 MiB, ten times Fashion-MNIST's 47 MB of training images (the dataset made of
    /// it is Float32, four times this). Larger headers, and files too large to hold at most this (plain, or
    /// gzip, which cannot shrink incompressible bytes by more than its framing), are refused before reading.
    public static let maxBytes = 1 << 29

    /// Largest accepted image height or width (the dimensions after the first of a 3-D or 4-D file; MNIST-style
    /// files are 28×28). Every dimension after the first must also be ≥ 1: a 0×0 image is refused here.
    public static let maxImageSide = 1 << 10

    /// Reads a `.gz` or plain IDX file of unsigned bytes (type 0x08). With `expectedCount`, a header claiming
    /// another number of entries (first dimension) is refused before any of the payload is read or inflated.
    public static func read(path: String, expectedCount: Int? = nil) throws -> Array {
        if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int,
            size > maxBytes + (1 << 16)
        {
            throw GhostError.file(
                path,
                "IDX file of \(size) bytes is larger than the \(maxBytes >> 20) MiB limit "
                    + "(IDX.maxBytes)")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            var isDir: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDir)
            throw GhostError.file(
                path, !exists ? "no such file" : isDir.boolValue ? "is a directory, not an IDX file" : "cannot read")
        }
        return try parse([UInt8](data), path: path, expectedCount: expectedCount)
    }

    /// Parses the bytes of a `.gz` or plain IDX file; `path` only names the source in errors.
    public static func parse(_ file: [UInt8], path: String, expectedCount: Int? = nil) throws -> Array {
        func checkCount(_ shape: [Int]) throws {
            guard let expectedCount, shape[0] != expectedCount else { return }
            throw GhostError.file(path, "IDX header claims \(shape[0]) entries where \(expectedCount) are expected")
        }
        if file.count >= 2, file[0] == 0x1F, file[1] == 0x8B {
            let stream = try GzipStream(file, path: path)
            let head4 = try stream.read(4)
            let (ndim, _) = try checkMagic(head4, path: path)
            let head = head4 + (try stream.read(4 * ndim))
            let (shape, total) = try dimensions(head, path: path)
            try checkCount(shape)
            // Deflate expands at most 1032:1, so the claim is checked against the compressed size first.
            guard total / 1032 <= file.count else {
                throw GhostError.file(
                    path,
                    "IDX dimensions \(shape) need \(total) bytes, more than \(file.count) bytes of gzip data can hold")
            }
            let payload = try stream.read(total)
            guard payload.count == total else {
                throw GhostError.file(
                    path, "IDX dimensions \(shape) need \(total) bytes but the file has \(payload.count)")
            }
            guard try stream.atEnd() else {
                throw GhostError.file(path, "IDX dimensions \(shape) need \(total) bytes but the file has more")
            }
            return Array(shape: shape, bytes: payload)
        }
        let (shape, total) = try dimensions(file, path: path)
        try checkCount(shape)
        let header = 4 + 4 * shape.count
        guard file.count - header == total else {
            throw GhostError.file(
                path, "IDX dimensions \(shape) need \(total) bytes but the file has \(file.count - header)")
        }
        return Array(shape: shape, bytes: [UInt8](file[header...]))
    }

    /// Number of dimensions from the 4-byte magic (type must be unsigned byte).
    static func checkMagic(_ b: [UInt8], path: String) throws -> (ndim: Int, type: UInt8) {
        guard b.count >= 4 else { throw GhostError.file(path, "not an IDX file: \(b.count) bytes") }
        guard b[0] == 0, b[1] == 0 else { throw GhostError.file(path, "not an IDX file: bad magic number") }
        guard b[2] == 0x08 else {
            throw GhostError.file(path, String(format: "IDX element type 0x%02x is not unsigned byte (0x08)", b[2]))
        }
        let ndim = Int(b[3])
        guard (1...4).contains(ndim) else {
            throw GhostError.file(path, "IDX header has \(ndim) dimensions (1…4 supported)")
        }
        return (ndim, b[2])
    }

    /// Shape and element count from a header (magic + dimensions), refusing more than `maxBytes`.
    static func dimensions(_ b: [UInt8], path: String) throws -> (shape: [Int], total: Int) {
        let (ndim, _) = try checkMagic(b, path: path)
        guard b.count >= 4 + 4 * ndim else {
            throw GhostError.file(
                path, "IDX header truncated: \(ndim) dimensions need \(4 + 4 * ndim) bytes, the file has \(b.count)")
        }
        var shape: [Int] = []
        var total = 1
        for d in 0..<ndim {
            let o = 4 + 4 * d
            let v = Int(b[o]) << 24 | Int(b[o + 1]) << 16 | Int(b[o + 2]) << 8 | Int(b[o + 3])
            if d > 0 {
                guard v >= 1 else {
                    throw GhostError.file(path, "IDX dimension \(d) is 0: refusing empty (0-sized) items")
                }
                guard ndim < 3 || v <= maxImageSide else {
                    throw GhostError.file(path, "IDX images of \(v) pixels a side are larger than \(maxImageSide)")
                }
            }
            shape.append(v)
            total *= v  // v < 2^32 and total ≤ maxBytes = 2^29: no overflow
            guard total <= maxBytes else {
                throw GhostError.file(
                    path,
                    "IDX dimensions claim more than \(maxBytes) bytes (the \(maxBytes >> 20) MiB "
                        + "limit, IDX.maxBytes)")
            }
        }
        return (shape, total)
    }

    /// A gzip stream (one or more members) inflated on demand from memory, so that no more than the
    /// bytes asked for is ever allocated.
    final class GzipStream {
        let path: String
        private let input: [UInt8]
        private var z = z_stream()
        private var inputOffset = 0
        private var ended = false

        init(_ input: [UInt8], path: String) throws {
            self.input = input
            self.path = path
            // 16 + MAX_WBITS: gzip wrapper only.
            guard inflateInit2_(&z, 16 + MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
                throw GhostError.file(path, "cannot initialise zlib")
            }
        }

        deinit { inflateEnd(&z) }

        /// Up to `count` more decompressed bytes (fewer only at the end of the stream). Memory grows
        /// with the bytes actually produced, not with `count`.
        func read(_ count: Int) throws -> [UInt8] {
            var out: [UInt8] = []
            var filled = 0
            while filled < count, !ended {
                if filled == out.count {
                    out.append(contentsOf: repeatElement(0, count: min(count - filled, max(filled, 1 << 16))))
                }
                filled += try inflateSome(into: &out, from: filled)
            }
            if filled < out.count { out.removeLast(out.count - filled) }
            return out
        }

        /// True if no decompressed byte is left (trailing zero padding after the last member is allowed).
        func atEnd() throws -> Bool {
            var probe = [UInt8](repeating: 0, count: 1)
            while !ended {
                if try inflateSome(into: &probe, from: 0) > 0 { return false }
            }
            return true
        }

        private func inflateSome(into out: inout [UInt8], from start: Int) throws -> Int {
            let avail = input.count - inputOffset
            let room = out.count - start
            var status: Int32 = Z_OK
            var produced = 0
            input.withUnsafeBufferPointer { inp in
                out.withUnsafeMutableBufferPointer { o in
                    z.next_in = UnsafeMutablePointer(mutating: inp.baseAddress.map { $0 + inputOffset })
                    z.avail_in = UInt32(min(avail, Int(UInt32.max)))
                    z.next_out = o.baseAddress.map { $0 + start }
                    z.avail_out = UInt32(min(room, Int(UInt32.max)))
                    status = inflate(&z, Z_NO_FLUSH)
                    produced = min(room, Int(UInt32.max)) - Int(z.avail_out)
                    inputOffset += min(avail, Int(UInt32.max)) - Int(z.avail_in)
                }
            }
            switch status {
            case Z_STREAM_END:
                // Another gzip member may follow (as gzread accepts); trailing zero padding is ignored too.
                let rest = input[inputOffset...]
                if rest.isEmpty || rest.allSatisfy({ $0 == 0 }) {
                    ended = true
                } else if rest.count < 2 || rest[rest.startIndex] != 0x1F || rest[rest.startIndex + 1] != 0x8B {
                    throw GhostError.file(path, "\(rest.count) bytes of trailing data after the gzip stream")
                } else {
                    guard inflateReset(&z) == Z_OK else { throw GhostError.file(path, "corrupt gzip data") }
                }
            case Z_OK:
                break
            case Z_BUF_ERROR:
                // No progress possible: input exhausted before the stream ended.
                if produced == 0 { throw GhostError.file(path, "truncated gzip data") }
            default:
                let msg = z.msg.map { String(cString: $0) } ?? "error \(status)"
                throw GhostError.file(path, "corrupt gzip data (\(msg))")
            }
            if produced == 0, status == Z_OK, inputOffset >= input.count {
                throw GhostError.file(path, "truncated gzip data")
            }
            return produced
        }
    }
}

import CZlib
import Foundation
import GhostTensor

/// A read-only zip archive in memory (as `torch.save` writes them): end-of-central-directory record
/// (zip64 too), central directory, local headers; STORED and DEFLATE entries. Every offset, length and
/// count is checked against the data before anything is allocated, so any input gives an archive or a
/// one-line `GhostError` "name: problem", never a trap.
public struct ZipArchive {
    /// One file in the archive.
    public struct Entry {
        public let name: String
        /// 0 = stored, 8 = deflate.
        public let method: Int
        public let compressedSize: Int
        public let uncompressedSize: Int
        public let crc32: UInt32
        /// Offset of the (compressed) data in the archive.
        public let dataOffset: Int
    }

    /// Name used in errors (usually the file path).
    public let name: String
    /// Entries in central-directory order.
    public let entries: [Entry]
    let data: Data
    private let index: [String: Int]

    /// Largest uncompressed entry accepted from a DEFLATE stream (uncompressed sizes are also bounded by
    /// 1032× the compressed size, deflate's maximum ratio).
    public static let maxInflatedBytes = 1 << 34

    /// True when `data` starts with a local file header ("PK\3\4").
    public static func looksLikeZip(_ data: Data) -> Bool {
        data.count >= 4 && data.prefix(4).elementsEqual([0x50, 0x4B, 0x03, 0x04])
    }

    /// Parses the archive structure of `data` (entries are read on demand).
    public init(data: Data, name: String) throws {
        let data = data.startIndex == 0 ? data : Data(data)
        self.data = data
        self.name = name
        func fail(_ p: String) -> GhostError { GhostError.file(name, "zip: \(p)") }
        let size = data.count
        let (entries, index): ([Entry], [String: Int]) = try data.withUnsafeBytes { raw in
            func u(_ at: Int, _ n: Int) throws -> UInt64 {
                guard at >= 0, at <= size, n <= size - at else {
                    throw fail("truncated: field at byte \(at) is past the end (\(size) bytes)")
                }
                var v: UInt64 = 0
                for i in 0..<n { v |= UInt64(raw[at + i]) << (8 * UInt64(i)) }
                return v
            }
            // End of central directory: the last "PK\5\6" within the final 22 + 65535 bytes.
            guard size >= 22 else { throw fail("too short for a zip archive (\(size) bytes)") }
            var eocd = -1
            var p = size - 22
            let lowest = max(0, size - 22 - 65535)
            while p >= lowest {
                if raw[p] == 0x50, raw[p + 1] == 0x4B, raw[p + 2] == 0x05, raw[p + 3] == 0x06 {
                    eocd = p
                    break
                }
                p -= 1
            }
            guard eocd >= 0 else { throw fail("no end-of-central-directory record (truncated or not a zip)") }
            var count = try u(eocd + 10, 2)
            var cdSize = try u(eocd + 12, 4)
            var cdOffset = try u(eocd + 16, 4)
            if count == 0xFFFF || cdSize == 0xFFFF_FFFF || cdOffset == 0xFFFF_FFFF {
                // zip64: locator just before the EOCD points at the zip64 EOCD record.
                let loc = eocd - 20
                guard loc >= 0, try u(loc, 4) == 0x0706_4B50 else { throw fail("zip64 sizes without a zip64 locator") }
                let recordAt = try u(loc + 8, 8)
                guard recordAt <= UInt64(size) else {
                    throw fail("zip64 record offset \(recordAt) is past the end (\(size) bytes)")
                }
                let r = Int(recordAt)
                guard try u(r, 4) == 0x0606_4B50 else {
                    throw fail("no zip64 end-of-central-directory record at byte \(r)")
                }
                count = try u(r + 32, 8)
                cdSize = try u(r + 40, 8)
                cdOffset = try u(r + 48, 8)
            }
            guard cdOffset <= UInt64(size), cdSize <= UInt64(size) - cdOffset else {
                throw fail("central directory [\(cdOffset), +\(cdSize)) is outside the \(size) bytes")
            }
            guard count <= cdSize / 46 else {
                throw fail("claims \(count) entries but the central directory has only \(cdSize) bytes")
            }
            var entries: [Entry] = []
            entries.reserveCapacity(Int(count))
            var index: [String: Int] = [:]
            var at = Int(cdOffset)
            let cdEnd = Int(cdOffset + cdSize)
            for i in 0..<Int(count) {
                guard at <= cdEnd - 46, try u(at, 4) == 0x0201_4B50 else {
                    throw fail("central directory entry \(i) is damaged")
                }
                let flags = try u(at + 8, 2)
                let method = Int(try u(at + 10, 2))
                let crc = UInt32(try u(at + 16, 4))
                var csize = try u(at + 20, 4)
                var usize = try u(at + 24, 4)
                let nameLen = Int(try u(at + 28, 2))
                let extraLen = Int(try u(at + 30, 2))
                let commentLen = Int(try u(at + 32, 2))
                var local = try u(at + 42, 4)
                let nameAt = at + 46
                guard nameAt + nameLen + extraLen + commentLen <= cdEnd else {
                    throw fail("central directory entry \(i) runs past the directory")
                }
                let entryName = String(
                    decoding: UnsafeRawBufferPointer(rebasing: raw[nameAt..<(nameAt + nameLen)]), as: UTF8.self)
                // zip64 extra field (id 1): the 64-bit values of the fields set to 0xFFFFFFFF, in order.
                var e = nameAt + nameLen
                let extraEnd = e + extraLen
                while e + 4 <= extraEnd {
                    let id = try u(e, 2)
                    let len = Int(try u(e + 2, 2))
                    guard e + 4 + len <= extraEnd else { break }
                    if id == 1 {
                        var f = e + 4
                        for field in 0..<3 {
                            let wide =
                                field == 0
                                ? usize == 0xFFFF_FFFF : field == 1 ? csize == 0xFFFF_FFFF : local == 0xFFFF_FFFF
                            guard wide else { continue }
                            guard f + 8 <= e + 4 + len else {
                                throw fail("entry \(SafetensorsFile.quoted(entryName)): short zip64 field")
                            }
                            let v = try u(f, 8)
                            if field == 0 { usize = v } else if field == 1 { csize = v } else { local = v }
                            f += 8
                        }
                    }
                    e += 4 + len
                }
                let q = SafetensorsFile.quoted(entryName)
                guard flags & 1 == 0 else { throw fail("entry \(q) is encrypted") }
                guard method == 0 || method == 8 else {
                    throw fail("entry \(q) uses compression method \(method) (only stored and deflate are read)")
                }
                guard UInt64(size) >= 30, local <= UInt64(size) - 30 else {
                    throw fail("entry \(q): local header offset \(local) is past the end")
                }
                let l = Int(local)
                guard try u(l, 4) == 0x0403_4B50 else { throw fail("entry \(q): no local header at byte \(l)") }
                let dataAt = UInt64(l) + 30 + (try u(l + 26, 2)) + (try u(l + 28, 2))
                guard dataAt <= UInt64(size), csize <= UInt64(size) - dataAt else {
                    throw fail("entry \(q) claims \(csize) bytes at byte \(dataAt) but the archive has \(size)")
                }
                if method == 0 {
                    guard csize == usize else {
                        throw fail("stored entry \(q) has compressed size \(csize) ≠ size \(usize)")
                    }
                } else {
                    guard usize <= UInt64(Self.maxInflatedBytes), usize <= csize &* 1032 + 64 else {
                        throw fail("deflated entry \(q) claims \(usize) bytes from \(csize) compressed bytes")
                    }
                }
                if index[entryName] == nil { index[entryName] = entries.count }
                entries.append(
                    Entry(
                        name: entryName, method: method, compressedSize: Int(csize), uncompressedSize: Int(usize),
                        crc32: crc, dataOffset: Int(dataAt)))
                at = nameAt + nameLen + extraLen + commentLen
            }
            return (entries, index)
        }
        self.entries = entries
        self.index = index
    }

    /// The entry of that name, if any.
    public func entry(_ name: String) -> Entry? { index[name].map { entries[$0] } }

    /// Calls `body` with an entry's uncompressed bytes (stored entries without copying), after checking its CRC-32.
    public func withContents<R>(of entry: Entry, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        let q = SafetensorsFile.quoted(entry.name)
        return try data.withUnsafeBytes { raw -> R in
            let compressed = UnsafeRawBufferPointer(
                rebasing: raw[entry.dataOffset..<(entry.dataOffset + entry.compressedSize)])
            if entry.method == 0 {
                guard Self.crc(compressed) == entry.crc32 else {
                    throw GhostError.file(name, "zip: entry \(q) fails its CRC-32 check (corrupt)")
                }
                return try body(compressed)
            }
            let out = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, entry.uncompressedSize), alignment: 16)
            defer { out.deallocate() }
            var z = z_stream()
            guard inflateInit2_(&z, -15, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
                throw GhostError.file(name, "zip: cannot start zlib")
            }
            defer { inflateEnd(&z) }
            var produced = 0
            var consumed = 0
            var status = Z_OK
            // uInt-sized chunks so 4 GB+ entries work too.
            while status == Z_OK {
                let inChunk = min(compressed.count - consumed, Int(UInt32.max))
                let outChunk = min(entry.uncompressedSize - produced, Int(UInt32.max))
                z.next_in = UnsafeMutablePointer(
                    mutating: compressed.baseAddress.map { $0.assumingMemoryBound(to: Bytef.self) + consumed })
                z.avail_in = uInt(inChunk)
                z.next_out = out.baseAddress!.assumingMemoryBound(to: Bytef.self) + produced
                z.avail_out = uInt(outChunk)
                status = inflate(&z, Z_NO_FLUSH)
                consumed += inChunk - Int(z.avail_in)
                produced += outChunk - Int(z.avail_out)
                if status == Z_BUF_ERROR || (status == Z_OK && inChunk == 0 && outChunk == 0) { break }
            }
            guard status == Z_STREAM_END, produced == entry.uncompressedSize else {
                throw GhostError.file(
                    name, "zip: entry \(q) does not inflate to its \(entry.uncompressedSize) bytes (corrupt)")
            }
            let result = UnsafeRawBufferPointer(rebasing: out[0..<produced])
            guard Self.crc(result) == entry.crc32 else {
                throw GhostError.file(name, "zip: entry \(q) fails its CRC-32 check (corrupt)")
            }
            return try body(result)
        }
    }

    /// An entry's uncompressed bytes as Data.
    public func contents(of entry: Entry) throws -> Data { try withContents(of: entry) { Data($0) } }

    static func crc(_ b: UnsafeRawBufferPointer) -> UInt32 {
        var c: uLong = crc32(0, nil, 0)
        var p = 0
        while p < b.count {
            let n = min(b.count - p, 1 << 30)
            c = crc32(c, b.baseAddress!.assumingMemoryBound(to: Bytef.self) + p, uInt(n))
            p += n
        }
        return UInt32(truncatingIfNeeded: c)
    }
}

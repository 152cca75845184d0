import CHDF5
import Foundation

/// One dataset of an untrusted HDF5 file, opened for reading with everything it claims checked before a byte of
/// its data is read or allocated: every link on its path is a hard link (soft and external links are refused),
/// its data lives inside the file (no external storage; a virtual dataset only maps sibling files named without
/// a path, themselves checked the same way), only HDF5's built-in filters (deflate, shuffle, fletcher32), a simple
/// dataspace whose element count does not overflow, chunks of bounded size, and a logical size that the bytes
/// stored in the file can actually hold (deflate expands at most 1032:1), so a sparse dataset claiming a huge
/// extent is refused instead of read as fill values.
final class HDF5Dataset {
    /// The element class a caller expects.
    enum Element {
        case float, integer

        var h5Class: H5T_class_t { self == .float ? H5T_FLOAT : H5T_INTEGER }
        var sizes: ClosedRange<Int> { self == .float ? 2...8 : 1...8 }
    }

    let id: hid_t
    /// "layers/<name>", "inputs", "labels".
    let name: String
    let dims: [Int]
    /// Bytes one element takes in the file.
    let elementBytes: Int

    /// Deflate's largest expansion ratio (zlib's technical note: 1032:1).
    static let deflateRatio = 1032

    /// Opens `name` in `file` (the HDF5 file at `path`, `fileSize` bytes), refusing anything listed above.
    /// `checkShape` sees the dimensions before anything else is looked at (the caller's limits, so the message names
    /// the first thing wrong); `allowVirtual` is false for the sources of a virtual dataset (no chains).
    init(
        file: hid_t, name: String, path: String, fileSize: Int, element: Element, allowVirtual: Bool = true,
        checkShape: ([Int]) throws -> Void = { _ in }
    ) throws {
        func fail(_ problem: String) -> GhostError { GhostError.file(path, "/\(name): \(problem)") }
        self.name = name
        try HDF5Dataset.checkHardLinks(file, name, path: path)
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let dapl = gk_H5P_no_external_links(gk_H5P_DATASET_ACCESS())
        defer { H5Pclose(dapl) }
        // Relative sources of a virtual dataset resolve next to the file, never in the working directory.
        H5Pset_virtual_prefix(dapl, directory)
        H5Pset_efile_prefix(dapl, directory)
        let ds = H5Dopen2(file, name, dapl)
        guard ds >= 0 else { throw GhostError.file(path, "has no readable dataset /\(name)") }
        var ok = false
        defer { if !ok { H5Dclose(ds) } }

        let dcpl = H5Dget_create_plist(ds)
        guard dcpl >= 0 else { throw fail("unreadable creation properties") }
        defer { H5Pclose(dcpl) }
        let external = H5Pget_external_count(dcpl)
        guard external == 0 else {
            throw fail("stores its data in \(external) external file(s); refused (only data inside the file is read)")
        }
        let layout = H5Pget_layout(dcpl)
        let type = H5Dget_type(ds)
        guard type >= 0 else { throw fail("unreadable datatype") }
        defer { H5Tclose(type) }
        let typeClass = H5Tget_class(type)
        let typeSize = Int(H5Tget_size(type))
        guard typeClass == element.h5Class, element.sizes.contains(typeSize) else {
            let classes = [
                "integer", "floating point", "time", "string", "bitfield", "opaque", "compound", "reference",
                "enum", "variable-length", "array",
            ]
            let found = classes.indices.contains(Int(typeClass.rawValue)) ? classes[Int(typeClass.rawValue)] : "unknown"
            throw fail(
                "holds \(found) elements of \(typeSize) bytes; expected "
                    + (element == .float ? "floating point" : "integer") + " numbers")
        }
        elementBytes = typeSize

        let space = H5Dget_space(ds)
        guard space >= 0 else { throw fail("unreadable dataspace") }
        defer { H5Sclose(space) }
        guard H5Sget_simple_extent_type(space) == H5S_SIMPLE else {
            throw fail("has no simple dataspace (scalar or null)")
        }
        let rank = Int(H5Sget_simple_extent_ndims(space))
        guard (1...8).contains(rank) else { throw fail("has rank \(rank)") }
        var raw = [hsize_t](repeating: 0, count: rank)
        H5Sget_simple_extent_dims(space, &raw, nil)
        guard raw.allSatisfy({ $0 <= hsize_t(Int32.max) }) else {
            throw fail("dimensions \(raw) are implausibly large")
        }
        dims = raw.map { Int($0) }
        try checkShape(dims)
        let elements = try HDF5Dataset.product(dims, fail)
        let (logical, o) = elements.multipliedReportingOverflow(by: typeSize)
        guard !o else { throw fail("dimensions \(dims) claim more bytes than can be counted") }

        switch layout {
        case H5D_CONTIGUOUS, H5D_COMPACT:
            let stored = Int(clamping: H5Dget_storage_size(ds))
            guard stored <= fileSize else { throw fail("claims \(stored) stored bytes in a file of \(fileSize)") }
            guard stored >= logical else {
                throw fail("dimensions \(dims) need \(logical) bytes but the file stores \(stored) of them")
            }
        case H5D_CHUNKED:
            var chunk = [hsize_t](repeating: 0, count: rank)
            guard H5Pget_chunk(dcpl, Int32(rank), &chunk) == rank else { throw fail("unreadable chunk shape") }
            let chunkElements = try HDF5Dataset.product(chunk.map { Int(clamping: $0) }, fail)
            let (chunkBytes, o2) = chunkElements.multipliedReportingOverflow(by: typeSize)
            guard !o2, chunkBytes <= ActivationLimits.maxChunkBytes else {
                throw fail("chunks of \(chunk) are larger than \(ActivationLimits.maxChunkBytes >> 20) MiB")
            }
            let deflated = try HDF5Dataset.checkFilters(dcpl, fail)
            let stored = Int(clamping: H5Dget_storage_size(ds))
            guard stored <= fileSize else { throw fail("claims \(stored) stored bytes in a file of \(fileSize)") }
            let (capacity, o3) = stored.multipliedReportingOverflow(by: deflated ? HDF5Dataset.deflateRatio : 1)
            guard o3 || logical <= capacity + chunkBytes else {
                throw fail(
                    "dimensions \(dims) need \(logical) bytes but the \(stored) bytes stored can hold at most "
                        + "\(capacity) (sparse or truncated dataset)")
            }
        case H5D_VIRTUAL:
            guard allowVirtual else { throw fail("is a virtual dataset inside a virtual dataset's source") }
            try HDF5Dataset.checkVirtualSources(
                dcpl, file: file, path: path, fileSize: fileSize, directory: directory,
                element: element, fail)
        default:
            throw fail("has an unknown storage layout (\(layout.rawValue))")
        }
        id = ds
        ok = true
    }

    deinit { H5Dclose(id) }

    /// Product of `dims`, refusing negative sizes and overflow.
    static func product(_ dims: [Int], _ fail: (String) -> GhostError) throws -> Int {
        var n = 1
        for d in dims {
            guard d >= 0 else { throw fail("negative dimension in \(dims)") }
            let (m, o) = n.multipliedReportingOverflow(by: d)
            guard !o else { throw fail("dimensions \(dims) have more elements than can be counted") }
            n = m
        }
        return n
    }

    /// Refuses any filter but deflate, shuffle and fletcher32; true when deflate is among them.
    static func checkFilters(_ dcpl: hid_t, _ fail: (String) -> GhostError) throws -> Bool {
        let n = H5Pget_nfilters(dcpl)
        guard n >= 0, n <= 16 else { throw fail("has \(n) filters") }
        var deflated = false
        for i in 0..<UInt32(n) {
            var flags: UInt32 = 0
            var count = 8
            var config: UInt32 = 0
            var values = [UInt32](repeating: 0, count: 8)
            var label = [CChar](repeating: 0, count: 64)
            let id = H5Pget_filter2(dcpl, i, &flags, &count, &values, label.count, &label, &config)
            switch id {
            case H5Z_FILTER_DEFLATE: deflated = true
            case H5Z_FILTER_SHUFFLE, H5Z_FILTER_FLETCHER32: break
            default:
                throw fail("uses HDF5 filter \(id) (only deflate, shuffle and fletcher32 are read)")
            }
        }
        return deflated
    }

    /// Every source of a virtual dataset must be this file (".") or a sibling regular file named without a path,
    /// its dataset itself checked like any other (hard links only, contiguous, chunked or compact, backed by its
    /// bytes).
    static func checkVirtualSources(
        _ dcpl: hid_t, file: hid_t, path: String, fileSize: Int, directory: String,
        element: Element, _ fail: (String) -> GhostError
    ) throws {
        var count = 0
        guard H5Pget_virtual_count(dcpl, &count) >= 0 else { throw fail("unreadable virtual dataset mappings") }
        guard count <= 4096 else { throw fail("maps \(count) source datasets") }
        for i in 0..<count {
            let source = try string { H5Pget_virtual_filename(dcpl, i, $0, $1) }
            let dataset = try string { H5Pget_virtual_dsetname(dcpl, i, $0, $1) }
            guard let source, let dataset else { throw fail("unreadable virtual dataset source \(i)") }
            guard !source.isEmpty, !source.contains("/"), source != "..", !source.contains("%"), !dataset.contains("%")
            else {
                throw fail(
                    "virtual dataset source \(i) is \(SafetensorsFile.quoted(source)):\(dataset); only sibling files "
                        + "named without a path are read")
            }
            let name = dataset.hasPrefix("/") ? String(dataset.dropFirst()) : dataset
            if source == "." {
                _ = try HDF5Dataset(
                    file: file, name: name, path: path, fileSize: fileSize, element: element,
                    allowVirtual: false)
                continue
            }
            let sibling = directory + "/" + source
            var st = stat()
            guard lstat(sibling, &st) == 0, st.st_mode & S_IFMT == S_IFREG else {
                throw fail(
                    "virtual dataset source \(SafetensorsFile.quoted(source)) is not a regular file next to the dump")
            }
            let f = H5Fopen(sibling, gk_H5F_ACC_RDONLY(), gk_H5P_DEFAULT())
            guard f >= 0 else {
                throw fail("virtual dataset source \(SafetensorsFile.quoted(source)) is not a readable HDF5 file")
            }
            defer { H5Fclose(f) }
            _ = try HDF5Dataset(
                file: f, name: name, path: sibling, fileSize: Int(st.st_size), element: element,
                allowVirtual: false)
        }
    }

    /// A string from HDF5's two-call pattern (length first), nil on error; at most 4 KiB.
    static func string(_ get: (UnsafeMutablePointer<CChar>?, Int) -> Int) throws -> String? {
        let n = get(nil, 0)
        guard n >= 0, n < 4096 else { return nil }
        var buf = [CChar](repeating: 0, count: n + 1)
        guard get(&buf, n + 1) >= 0 else { return nil }
        return String(cString: buf)
    }

    /// Refuses `name` unless every link on its path ("layers", "layers/x") is a hard link inside the file.
    static func checkHardLinks(_ file: hid_t, _ name: String, path: String) throws {
        let lapl = gk_H5P_no_external_links(gk_H5P_LINK_ACCESS())
        defer { H5Pclose(lapl) }
        var prefix = ""
        for part in name.split(separator: "/", omittingEmptySubsequences: false) {
            guard !part.isEmpty, part != ".", part != ".." else {
                throw GhostError.file(path, "bad dataset name /\(name)")
            }
            prefix += (prefix.isEmpty ? "" : "/") + part
            let type = gk_H5_link_type(file, prefix, lapl)
            guard type >= 0 else { throw GhostError.file(path, "has no dataset /\(name)") }
            guard type == H5L_TYPE_HARD.rawValue else {
                let kind =
                    type == H5L_TYPE_EXTERNAL.rawValue
                    ? "an external link to another file"
                    : type == H5L_TYPE_SOFT.rawValue ? "a soft link" : "a user-defined link"
                throw GhostError.file(path, "/\(prefix) is \(kind); refused (only objects stored in the file are read)")
            }
        }
    }
}

import CHDF5
import Foundation
import Synchronization
import GhostTensor

/// Thin helpers over the HDF5 C API used by the activation store.
enum HDF5 {
    /// An extendible dataset [0, itemShape…] with max [∞, itemShape…], chunked, shuffle + gzip 4.
    static func createExtendible(
        _ loc: hid_t, _ name: String, type: hid_t, itemShape: [Int], chunkItems: Int,
        chunkInner: [Int]? = nil, path: String
    ) throws -> hid_t {
        let rank = itemShape.count + 1
        var cur = [hsize_t(0)] + itemShape.map { hsize_t($0) }
        var max = [gk_H5S_UNLIMITED()] + itemShape.map { hsize_t($0) }
        var chunk = [hsize_t(chunkItems)] + (chunkInner ?? itemShape).map { hsize_t(Swift.max($0, 1)) }
        let space = H5Screate_simple(Int32(rank), &cur, &max)
        let dcpl = H5Pcreate(gk_H5P_DATASET_CREATE())
        defer {
            H5Sclose(space)
            H5Pclose(dcpl)
        }
        H5Pset_chunk(dcpl, Int32(rank), &chunk)
        H5Pset_shuffle(dcpl)
        H5Pset_deflate(dcpl, 4)
        let ds = H5Dcreate2(loc, name, type, space, gk_H5P_DEFAULT(), dcpl, gk_H5P_DEFAULT())
        guard ds >= 0 else { throw GhostError.file(path, "cannot create dataset /\(name)") }
        return ds
    }

    /// Extends `ds` to `at + rows` rows and writes them.
    static func appendRows(
        _ ds: hid_t, type: hid_t, itemShape: [Int], at: Int, rows: Int, data: UnsafeRawPointer, path: String
    ) throws {
        var newDims = [hsize_t(at + rows)] + itemShape.map { hsize_t($0) }
        errno = 0  // so that writeError reports this call's OS error, not an older one
        guard H5Dset_extent(ds, &newDims) >= 0 else { throw writeError(path, "cannot extend dataset") }
        let fspace = H5Dget_space(ds)
        var start = [hsize_t(at)] + itemShape.map { _ in hsize_t(0) }
        var count = [hsize_t(rows)] + itemShape.map { hsize_t($0) }
        let mspace = H5Screate_simple(Int32(count.count), &count, nil)
        defer {
            H5Sclose(fspace)
            H5Sclose(mspace)
        }
        H5Sselect_hyperslab(fspace, H5S_SELECT_SET, &start, nil, &count, nil)
        errno = 0
        guard H5Dwrite(ds, type, mspace, fspace, gk_H5P_DEFAULT(), data) >= 0 else {
            throw writeError(path, "cannot write activations")
        }
    }

    /// "path: what: <the OS error>" after a failed libhdf5 write call (ENOSPC, EDQUOT, EFBIG, EIO set errno in
    /// its write(2)), or "path: what (disk full?)" when libhdf5 left errno clear.
    static func writeError(_ path: String, _ what: String) -> GhostError {
        let code = errno
        return GhostError.file(path, code == 0 ? what + " (disk full?)" : "\(what): \(String(cString: strerror(code)))")
    }

    /// Reads rows [start, start + rows) of `ds` (the dataset `name`, dims already checked) into `into`.
    static func readRows(
        _ ds: hid_t, name: String, type: hid_t, dims: [Int], start: Int, rows: Int, into: UnsafeMutableRawPointer,
        path: String
    ) throws {
        if rows == 0 { return }
        let fspace = H5Dget_space(ds)
        var s = [hsize_t(start)] + dims.dropFirst().map { _ in hsize_t(0) }
        var c = [hsize_t(rows)] + dims.dropFirst().map { hsize_t($0) }
        let mspace = H5Screate_simple(Int32(c.count), &c, nil)
        defer {
            H5Sclose(fspace)
            H5Sclose(mspace)
        }
        H5Sselect_hyperslab(fspace, H5S_SELECT_SET, &s, nil, &c, nil)
        guard H5Dread(ds, type, mspace, fspace, gk_H5P_DEFAULT(), into) >= 0 else {
            let what = rows == 1 ? "row \(start)" : "rows \(start)..<\(start + rows)"
            throw GhostError.file(path, "/\(name): cannot read \(what) (truncated or corrupt file?)")
        }
    }

    /// Opens an HDF5 file image (the bytes of a file, copied into libhdf5's core driver) read-only; -1 on failure.
    /// The core driver still tries to open(2) the name it is given, refusing a name that exists, so each image gets a
    /// name under /proc/self, where no file can be created.
    static func openImage(_ bytes: UnsafeRawBufferPointer) -> hid_t {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return -1 }
        let fapl = H5Pcreate(gk_H5P_FILE_ACCESS())
        guard fapl >= 0 else { return -1 }
        defer { H5Pclose(fapl) }
        guard H5Pset_fapl_core(fapl, 1 << 16, false) >= 0,
            H5Pset_file_image(fapl, UnsafeMutableRawPointer(mutating: base), bytes.count) >= 0
        else { return -1 }
        let n = imageCount.withLock {
            $0 += 1
            return $0
        }
        return H5Fopen("/proc/self/ghostkit-hdf5-image-\(n)", gk_H5F_ACC_RDONLY(), fapl)
    }

    /// Images opened so far (each one's name must differ from every open one's: libhdf5 shares files by name).
    private static let imageCount = Mutex(0)

    static func dims(_ ds: hid_t) -> [Int] {
        let space = H5Dget_space(ds)
        defer { H5Sclose(space) }
        let rank = Int(H5Sget_simple_extent_ndims(space))
        guard rank > 0 else { return [] }
        var d = [hsize_t](repeating: 0, count: rank)
        H5Sget_simple_extent_dims(space, &d, nil)
        return d.map { Int($0) }
    }

    static func writeStringAttribute(_ obj: hid_t, _ name: String, _ value: String, path: String) throws {
        let type = H5Tcopy(gk_H5T_C_S1())
        H5Tset_size(type, max(1, value.utf8.count))
        let space = H5Screate(H5S_SCALAR)
        defer {
            H5Tclose(type)
            H5Sclose(space)
        }
        let attr = H5Acreate2(obj, name, type, space, gk_H5P_DEFAULT(), gk_H5P_DEFAULT())
        guard attr >= 0 else { throw GhostError.file(path, "cannot write attribute \(name)") }
        defer { H5Aclose(attr) }
        var bytes = Array(value.utf8)
        if bytes.isEmpty { bytes = [0] }
        guard H5Awrite(attr, type, bytes) >= 0 else { throw GhostError.file(path, "cannot write attribute \(name)") }
    }

    static func readStringAttribute(_ obj: hid_t, _ name: String) -> String? {
        guard H5Aexists(obj, name) > 0 else { return nil }
        let attr = H5Aopen(obj, name, gk_H5P_DEFAULT())
        guard attr >= 0 else { return nil }
        defer { H5Aclose(attr) }
        let type = H5Aget_type(attr)
        defer { H5Tclose(type) }
        guard H5Tget_class(type) == H5T_STRING, H5Tis_variable_str(type) <= 0 else { return nil }
        // One string only: H5Aread writes every element, and the buffer below holds one.
        let space = H5Aget_space(attr)
        defer { H5Sclose(space) }
        guard space >= 0, H5Sget_simple_extent_npoints(space) == 1 else { return nil }
        let size = H5Tget_size(type)
        guard size > 0, size < 1 << 20 else { return nil }
        var buf = [UInt8](repeating: 0, count: size + 1)
        guard H5Aread(attr, type, &buf) >= 0 else { return nil }
        return String(decoding: buf.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// What an attribute that exists holds, for messages ("an integer", "3 strings"…); nil when there is none.
    static func attributeKind(_ obj: hid_t, _ name: String) -> String? {
        guard H5Aexists(obj, name) > 0 else { return nil }
        let attr = H5Aopen(obj, name, gk_H5P_DEFAULT())
        guard attr >= 0 else { return "an unreadable value" }
        defer { H5Aclose(attr) }
        let type = H5Aget_type(attr), space = H5Aget_space(attr)
        defer {
            H5Tclose(type)
            H5Sclose(space)
        }
        let classes = [
            "integer", "floating point number", "time", "string", "bitfield", "opaque value", "compound value",
            "reference", "enum", "variable-length value", "array",
        ]
        let c = Int(H5Tget_class(type).rawValue)
        let kind = classes.indices.contains(c) ? classes[c] : "value of unknown type"
        let n = space >= 0 ? Int(H5Sget_simple_extent_npoints(space)) : -1
        if c == 3 && H5Tis_variable_str(type) > 0 && n == 1 { return "a variable-length string" }
        if n == 1 { return (kind.first.map { "aeiou".contains($0) } == true ? "an " : "a ") + kind }
        return n >= 0 ? "\(n) values (\(kind))" : "an unreadable value"
    }

    /// Names of the members of a group (at most `limit`; the group must exist).
    static func children(_ loc: hid_t, _ group: String, limit: Int, path: String) throws -> [String] {
        let lapl = gk_H5P_no_external_links(gk_H5P_LINK_ACCESS())
        defer { H5Pclose(lapl) }
        let g = H5Gopen2(loc, group, lapl)
        guard g >= 0 else { throw GhostError.file(path, "has no group /\(group)") }
        defer { H5Gclose(g) }
        var info = H5G_info_t()
        guard H5Gget_info(g, &info) >= 0 else { throw GhostError.file(path, "/\(group): unreadable group") }
        guard info.nlinks <= UInt64(limit) else {
            throw GhostError.file(path, "/\(group) has \(info.nlinks) members (at most \(limit) are read)")
        }
        var names: [String] = []
        for i in 0..<info.nlinks {
            let n = H5Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, i, nil, 0, lapl)
            guard n > 0, n < 4096 else { throw GhostError.file(path, "/\(group): unreadable member name \(i)") }
            var buf = [CChar](repeating: 0, count: Int(n) + 1)
            H5Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, i, &buf, Int(n) + 1, lapl)
            names.append(String(cString: buf))
        }
        return names
    }
}

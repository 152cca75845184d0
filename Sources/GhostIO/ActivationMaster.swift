import CHDF5
import Foundation
import GhostTensor

/// The master file of an activation dump written by K ranks: each rank wrote its rows to a shard (a complete
/// activation file of its own, `shardPath`), and this file presents them as one: /inputs, /labels and every
/// /layers/<name> are HDF5 1.10 virtual datasets [N, …] whose sources are the shards' datasets, named without a path
/// (siblings of the master, as `ActivationReader` requires), mapped in rank order. It holds no activations itself,
/// so writing it is cheap; h5py and `ActivationReader` read it as one file. Written to a temporary name, fsync'd and
/// renamed into place.
public enum ActivationMaster {
    /// The shard of rank `rank` of `size` next to master `path`: `activations.h5` → `activations.rank1-of-2.h5`.
    public static func shardPath(_ path: String, rank: Int, size: Int) -> String {
        let url = URL(fileURLWithPath: path)
        let ext = url.pathExtension.isEmpty ? "" : "." + url.pathExtension
        let stem = url.deletingPathExtension().lastPathComponent
        let name = "\(stem).rank\(rank)-of-\(size)\(ext)"
        let dir = (path as NSString).deletingLastPathComponent
        return dir.isEmpty ? name : dir + "/" + name
    }

    /// Writes the master `path` over `shards` (paths next to it and their row counts, in rank order) for the float
    /// datasets of `layout` and, when `labels`, the int64 /labels; `attributes` become the root attributes.
    public static func write(path: String, attributes: [String: String], shards: [(path: String, rows: Int)],
                             layout: [(name: String, kind: String, itemShape: [Int])], labels: Bool) throws {
        let (dir, _, base) = AtomicFile.split(path)
        AtomicFile.removeStaleTemps(in: dir, for: base, includingOwn: false)
        let temp = AtomicFile.tempPath(for: path)
        gk_H5_silence()
        let file = TempFiles.creating(temp) { H5Fcreate(temp, gk_H5F_ACC_TRUNC(), gk_H5P_DEFAULT(), gk_H5P_DEFAULT()) }
        var closed = false, renamed = false
        defer {
            if !closed && file >= 0 { H5Fclose(file) }
            if !renamed {
                unlink(temp)
                TempFiles.finished(temp, output: nil)
            }
        }
        guard file >= 0 else { throw GhostError.file(path, "cannot create HDF5 file (is the directory writable?)") }
        var all = attributes
        all["format"] = "ghostkit-activations"
        all["version"] = "1"
        all["shards"] = shards.map { URL(fileURLWithPath: $0.path).lastPathComponent }.joined(separator: ", ")
        for (k, v) in all.sorted(by: { $0.key < $1.key }) { try HDF5.writeStringAttribute(file, k, v, path: path) }
        let g = H5Gcreate2(file, "layers", gk_H5P_DEFAULT(), gk_H5P_DEFAULT(), gk_H5P_DEFAULT())
        guard g >= 0 else { throw GhostError.file(path, "cannot create group /layers") }
        H5Gclose(g)
        for d in layout {
            let ds = try virtual(file, d.name, type: gk_H5T_NATIVE_FLOAT(), itemShape: d.itemShape, shards: shards,
                                 path: path)
            defer { H5Dclose(ds) }
            try HDF5.writeStringAttribute(ds, "kind", d.kind, path: path)
            let shape = "[N, " + d.itemShape.map(String.init).joined(separator: ", ") + "]"
            try HDF5.writeStringAttribute(ds, "shape", shape, path: path)
        }
        if labels {
            H5Dclose(try virtual(file, "labels", type: gk_H5T_NATIVE_INT64(), itemShape: [], shards: shards,
                                 path: path))
        }
        closed = true
        errno = 0
        guard H5Fclose(file) >= 0 else { throw HDF5.writeError(path, "cannot finish HDF5 file") }
        let fd = open(temp, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw AtomicFile.osError(path, "cannot write") }
        while fsync(fd) != 0 {
            if errno != EINTR { let e = AtomicFile.osError(path, "cannot write"); close(fd); throw e }
        }
        close(fd)
        guard TempFiles.renameIntoPlace(temp, path) == 0 else { throw AtomicFile.osError(path, "cannot replace") }
        renamed = true
        AtomicFile.syncDirectory(dir)
    }

    /// A virtual dataset [Σ rows, itemShape…] whose rows [offset_r, offset_r + rows_r) are shard r's `name`.
    private static func virtual(_ file: hid_t, _ name: String, type: hid_t, itemShape: [Int],
                                shards: [(path: String, rows: Int)], path: String) throws -> hid_t {
        let total = shards.reduce(0) { $0 + $1.rows }
        var dims = [hsize_t(total)] + itemShape.map { hsize_t($0) }
        let vspace = H5Screate_simple(Int32(dims.count), &dims, nil)
        let dcpl = H5Pcreate(gk_H5P_DATASET_CREATE())
        defer { H5Sclose(vspace); H5Pclose(dcpl) }
        var offset = 0
        for shard in shards where shard.rows > 0 {
            var count = [hsize_t(shard.rows)] + itemShape.map { hsize_t($0) }
            var start = [hsize_t(offset)] + itemShape.map { _ in hsize_t(0) }
            let sspace = H5Screate_simple(Int32(count.count), &count, nil)
            defer { H5Sclose(sspace) }
            H5Sselect_hyperslab(vspace, H5S_SELECT_SET, &start, nil, &count, nil)
            let source = URL(fileURLWithPath: shard.path).lastPathComponent
            guard H5Pset_virtual(dcpl, vspace, source, "/" + name, sspace) >= 0 else {
                throw GhostError.file(path, "cannot map /\(name) to \(source)")
            }
            offset += shard.rows
        }
        let ds = H5Dcreate2(file, name, type, vspace, gk_H5P_DEFAULT(), dcpl, gk_H5P_DEFAULT())
        guard ds >= 0 else { throw GhostError.file(path, "cannot create virtual dataset /\(name)") }
        return ds
    }
}

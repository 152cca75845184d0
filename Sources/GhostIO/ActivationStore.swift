import CHDF5
import Foundation
import GhostTensor

/// GhostKit's HDF5 activation file (layout in the README):
///
///     /                 attrs format="ghostkit-activations", version=1, model, checkpoint, checkpoint_sha256,
///                             created, input_shape, preprocessing
///     /inputs           float32 [N, C, H, W]   (as fed to the model, after normalisation)
///     /labels           int64 [N]
///     /layers/<name>    float32 [N, C, H, W]   chunks [1, min(C, 64), H, W], shuffle + gzip 4; attrs kind, shape
///
/// Every dataset is extendible along N and written batch by batch, so memory does not depend on N.
/// The file is written under a temporary name (`AtomicFile.tempPath`) and fsync'd and renamed into place
/// by `finish()`; temp files of a killed earlier run for the same path are removed first.
public final class ActivationWriter {
    public let path: String
    private let tempPath: String
    private var file: hid_t = -1
    private var datasets: [String: (id: hid_t, shape: [Int])] = [:]
    private var labels: hid_t = -1
    public private(set) var count = 0
    private var finished = false

    /// Creates the file (refusing an existing `path` unless `overwrite`).
    public init(path: String, attributes: [String: String], overwrite: Bool) throws {
        self.path = path
        if FileManager.default.fileExists(atPath: path) && !overwrite {
            throw GhostError.file(path, "already exists (pass --overwrite to replace it)")
        }
        let (dir, _, base) = AtomicFile.split(path)
        AtomicFile.removeStaleTemps(in: dir, for: base, includingOwn: false)
        tempPath = AtomicFile.tempPath(for: path)
        gk_H5_silence()
        file = H5Fcreate(tempPath, gk_H5F_ACC_TRUNC(), gk_H5P_DEFAULT(), gk_H5P_DEFAULT())
        guard file >= 0 else { throw GhostError.file(path, "cannot create HDF5 file (is the directory writable?)") }
        var all = attributes
        all["format"] = "ghostkit-activations"
        all["version"] = "1"
        for (k, v) in all.sorted(by: { $0.key < $1.key }) { try HDF5.writeStringAttribute(file, k, v, path: path) }
        let g = H5Gcreate2(file, "layers", gk_H5P_DEFAULT(), gk_H5P_DEFAULT(), gk_H5P_DEFAULT())
        guard g >= 0 else { throw GhostError.file(path, "cannot create group /layers") }
        H5Gclose(g)
    }

    deinit {
        if !finished { abandon() }
    }

    /// Appends one batch: `inputs` [B, C, H, W], `labels` (may be empty), and each layer's [B, …] activations.
    public func append(inputs: Tensor, labels batchLabels: [Int], layers: [(name: String, kind: String, tensor: Tensor)]) throws {
        try appendTensor("inputs", kind: "input", inputs)
        for l in layers { try appendTensor("layers/" + l.name, kind: l.kind, l.tensor) }
        if !batchLabels.isEmpty {
            if labels < 0 { labels = try HDF5.createExtendible(file, "labels", type: gk_H5T_NATIVE_INT64(), itemShape: [], chunkItems: 1024, path: path) }
            let values = batchLabels.map(Int64.init)
            try values.withUnsafeBytes { try HDF5.appendRows(labels, type: gk_H5T_NATIVE_INT64(), itemShape: [], at: count, rows: values.count, data: $0.baseAddress!, path: path) }
        }
        count += inputs.shape[0]
    }

    private func appendTensor(_ name: String, kind: String, _ t: Tensor) throws {
        let item = Array(t.shape.dropFirst())
        if datasets[name] == nil {
            let chunk = item.count == 3 ? [min(item[0], 64), item[1], item[2]] : item
            let id = try HDF5.createExtendible(file, name, type: gk_H5T_NATIVE_FLOAT(), itemShape: item, chunkItems: 1,
                                               chunkInner: chunk, path: path)
            try HDF5.writeStringAttribute(id, "kind", kind, path: path)
            try HDF5.writeStringAttribute(id, "shape", "[N, " + item.map(String.init).joined(separator: ", ") + "]", path: path)
            datasets[name] = (id, item)
        }
        guard let ds = datasets[name], ds.shape == item else {
            throw GhostError.file(path, "\(name): batch of shape \(t.shape) does not match earlier batches \(datasets[name]!.shape)")
        }
        try HDF5.appendRows(ds.id, type: gk_H5T_NATIVE_FLOAT(), itemShape: item, at: count, rows: t.shape[0],
                            data: UnsafeRawPointer(t.pointer), path: path)
    }

    /// Closes the file, fsyncs it and renames it into place.
    public func finish() throws {
        for (_, d) in datasets { H5Dclose(d.id) }
        if labels >= 0 { H5Dclose(labels) }
        datasets = [:]
        labels = -1
        guard H5Fclose(file) >= 0 else { abandon(); throw GhostError.file(path, "cannot finish HDF5 file (disk full?)") }
        file = -1
        let fd = open(tempPath, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { abandon(); throw AtomicFile.osError(path, "cannot write") }
        while fsync(fd) != 0 {
            if errno != EINTR { close(fd); abandon(); throw AtomicFile.osError(path, "cannot write") }
        }
        close(fd)
        guard rename(tempPath, path) == 0 else {
            let e = AtomicFile.osError(path, "cannot replace")
            unlink(tempPath)
            finished = true
            throw e
        }
        finished = true
        AtomicFile.syncDirectory(AtomicFile.split(path).dir)
    }

    private func abandon() {
        for (_, d) in datasets { H5Dclose(d.id) }
        if labels >= 0 { H5Dclose(labels) }
        if file >= 0 { H5Fclose(file) }
        unlink(tempPath)
        finished = true
    }
}

/// Reads a GhostKit activation file.
public final class ActivationReader {
    public let path: String
    private let file: hid_t
    public let attributes: [String: String]
    /// Layer names in the file (sorted).
    public let layerNames: [String]

    public init(path: String) throws {
        self.path = path
        guard FileManager.default.fileExists(atPath: path) else { throw GhostError.file(path, "no such file") }
        gk_H5_silence()
        file = H5Fopen(path, gk_H5F_ACC_RDONLY(), gk_H5P_DEFAULT())
        guard file >= 0 else { throw GhostError.file(path, "not a readable HDF5 file") }
        var attrs: [String: String] = [:]
        for k in ["format", "version", "model", "checkpoint", "checkpoint_sha256", "created", "input_shape", "preprocessing"] {
            if let v = HDF5.readStringAttribute(file, k) { attrs[k] = v }
        }
        attributes = attrs
        guard attrs["format"] == "ghostkit-activations" else {
            H5Fclose(file)
            throw GhostError.file(path, "not a GhostKit activation file (root attribute format is missing)")
        }
        layerNames = HDF5.children(file, "layers").sorted()
    }

    deinit { H5Fclose(file) }

    /// Shape of a dataset ("inputs", "labels", "layers/<name>").
    public func shape(_ dataset: String) throws -> [Int] {
        let ds = H5Dopen2(file, dataset, gk_H5P_DEFAULT())
        guard ds >= 0 else { throw GhostError.file(path, "has no dataset /\(dataset)") }
        defer { H5Dclose(ds) }
        return HDF5.dims(ds)
    }

    /// Rows [start, start+count) of a float dataset as a tensor.
    public func read(_ dataset: String, start: Int = 0, count: Int? = nil) throws -> Tensor {
        let ds = H5Dopen2(file, dataset, gk_H5P_DEFAULT())
        guard ds >= 0 else { throw GhostError.file(path, "has no dataset /\(dataset)") }
        defer { H5Dclose(ds) }
        let dims = HDF5.dims(ds)
        let n = count ?? (dims[0] - start)
        guard start >= 0, n >= 0, start + n <= dims[0] else { throw GhostError.file(path, "/\(dataset): rows \(start)..<\(start + n) outside 0..<\(dims[0])") }
        let t = Tensor(uninitialized: [n] + dims.dropFirst())
        try HDF5.readRows(ds, type: gk_H5T_NATIVE_FLOAT(), dims: dims, start: start, rows: n, into: UnsafeMutableRawPointer(t.pointer), path: path)
        return t
    }

    /// All labels (empty when the file has none).
    public func labels() throws -> [Int] {
        let ds = H5Dopen2(file, "labels", gk_H5P_DEFAULT())
        guard ds >= 0 else { return [] }
        defer { H5Dclose(ds) }
        let dims = HDF5.dims(ds)
        var v = [Int64](repeating: 0, count: dims[0])
        try v.withUnsafeMutableBytes { try HDF5.readRows(ds, type: gk_H5T_NATIVE_INT64(), dims: dims, start: 0, rows: dims[0], into: $0.baseAddress!, path: path) }
        return v.map(Int.init)
    }
}

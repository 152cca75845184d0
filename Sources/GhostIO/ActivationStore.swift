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
    /// Every float dataset written ("inputs", "layers/<name>") with its kind and item shape, in creation order.
    public private(set) var layout: [(name: String, kind: String, itemShape: [Int])] = []
    /// True once labels were written.
    public private(set) var hasLabels = false

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
        let temp = tempPath  // registered, so that an interrupt removes it (InterruptHandler)
        file = TempFiles.creating(temp) { H5Fcreate(temp, gk_H5F_ACC_TRUNC(), gk_H5P_DEFAULT(), gk_H5P_DEFAULT()) }
        guard file >= 0 else {
            unlink(temp)
            TempFiles.finished(temp, output: nil)
            throw GhostError.file(path, "cannot create HDF5 file (is the directory writable?)")
        }
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
    public func append(
        inputs: Tensor, labels batchLabels: [Int], layers: [(name: String, kind: String, tensor: Tensor)]
    ) throws {
        try appendTensor("inputs", kind: "input", inputs)
        for l in layers { try appendTensor("layers/" + l.name, kind: l.kind, l.tensor) }
        if !batchLabels.isEmpty {
            hasLabels = true
            if labels < 0 {
                labels = try HDF5.createExtendible(
                    file, "labels", type: gk_H5T_NATIVE_INT64(), itemShape: [], chunkItems: 1024, path: path)
            }
            let values = batchLabels.map(Int64.init)
            try values.withUnsafeBytes {
                try HDF5.appendRows(
                    labels, type: gk_H5T_NATIVE_INT64(), itemShape: [], at: count, rows: values.count,
                    data: $0.baseAddress!, path: path)
            }
        }
        count += inputs.shape[0]
    }

    private func appendTensor(_ name: String, kind: String, _ t: Tensor) throws {
        let item = Array(t.shape.dropFirst())
        if datasets[name] == nil {
            let chunk = item.count == 3 ? [min(item[0], 64), item[1], item[2]] : item
            let id = try HDF5.createExtendible(
                file, name, type: gk_H5T_NATIVE_FLOAT(), itemShape: item, chunkItems: 1,
                chunkInner: chunk, path: path)
            try HDF5.writeStringAttribute(id, "kind", kind, path: path)
            try HDF5.writeStringAttribute(
                id, "shape", "[N, " + item.map(String.init).joined(separator: ", ") + "]", path: path)
            datasets[name] = (id, item)
            layout.append((name, kind, item))
        }
        guard let ds = datasets[name], ds.shape == item else {
            throw GhostError.file(
                path, "\(name): batch of shape \(t.shape) does not match earlier batches \(datasets[name]!.shape)")
        }
        try HDF5.appendRows(
            ds.id, type: gk_H5T_NATIVE_FLOAT(), itemShape: item, at: count, rows: t.shape[0],
            data: UnsafeRawPointer(t.readPointer), path: path)
    }

    /// Closes the file, fsyncs it and renames it into place. A failure at any step (libhdf5 flushes the chunk cache
    /// and the metadata only now, so a full disk often shows up here) removes the temporary file and throws.
    public func finish() throws {
        var failure: GhostError?
        errno = 0  // so that writeError reports the failing close's OS error
        for (_, d) in datasets.sorted(by: { $0.key < $1.key }) where H5Dclose(d.id) < 0 && failure == nil {
            failure = HDF5.writeError(path, "cannot write activations")
        }
        if labels >= 0, H5Dclose(labels) < 0, failure == nil { failure = HDF5.writeError(path, "cannot write labels") }
        datasets = [:]
        labels = -1
        let closed = H5Fclose(file) >= 0
        // A failed H5Fclose has released the id all the same: closing it a second time crashes inside libhdf5.
        file = -1
        if !closed, failure == nil { failure = HDF5.writeError(path, "cannot finish HDF5 file") }
        if let failure {
            abandon()
            throw failure
        }
        let fd = open(tempPath, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            abandon()
            throw AtomicFile.osError(path, "cannot write")
        }
        while fsync(fd) != 0 {
            if errno != EINTR {
                let e = AtomicFile.osError(path, "cannot write")
                close(fd)
                abandon()
                throw e
            }
        }
        close(fd)
        guard TempFiles.renameIntoPlace(tempPath, path) == 0 else {
            let e = AtomicFile.osError(path, "cannot replace")
            unlink(tempPath)
            TempFiles.finished(tempPath, output: nil)
            finished = true
            throw e
        }
        finished = true
        AtomicFile.syncDirectory(AtomicFile.split(path).dir)
    }

    /// Closes whatever is still open (errors ignored: the file is being thrown away) and removes the temporary file.
    private func abandon() {
        for (_, d) in datasets { H5Dclose(d.id) }
        if labels >= 0 { H5Dclose(labels) }
        datasets = [:]
        labels = -1
        if file >= 0 { H5Fclose(file) }
        file = -1
        unlink(tempPath)
        TempFiles.finished(tempPath, output: nil)
        finished = true
    }
}

/// Reads a GhostKit activation file, which may come from anyone: the file never makes GhostKit read another file
/// (external links, external storage and virtual datasets with foreign sources are refused, filter plugins are
/// never loaded), and every shape it claims is checked against `ActivationLimits` and against the bytes the file
/// stores before anything is allocated (`HDF5Dataset`). Each problem is one `GhostError` naming the file, the
/// dataset and what is wrong.
public final class ActivationReader {
    public let path: String
    private let file: hid_t
    private let fileSize: Int
    public let attributes: [String: String]
    /// Layer names in the file (sorted).
    public let layerNames: [String]

    /// Opens `path` (a regular file) and lists its layers; every member of /layers must be a hard link.
    public convenience init(path: String) throws {
        var st = stat()
        guard stat(path, &st) == 0 else { throw GhostError.file(path, "no such file") }
        guard st.st_mode & S_IFMT == S_IFREG else { throw GhostError.file(path, "is not a regular file") }
        gk_H5_silence()
        let file = H5Fopen(path, gk_H5F_ACC_RDONLY(), gk_H5P_DEFAULT())
        guard file >= 0 else { throw GhostError.file(path, "not a readable HDF5 file") }
        try self.init(path: path, file: file, fileSize: Int(st.st_size))
    }

    /// Opens the bytes of an HDF5 file held in memory (`image`, copied; libhdf5's core driver, nothing on disk is
    /// opened) as `init(path:)` opens a file: the two differ only in how the file id is obtained, and every check
    /// after that is the same code, with `image.count` as the file's size. `name` names the file in messages, and
    /// its directory is where a virtual dataset's sibling sources are looked for.
    public convenience init(image: UnsafeRawBufferPointer, name: String) throws {
        gk_H5_silence()
        let file = HDF5.openImage(image)
        guard file >= 0 else { throw GhostError.file(name, "not a readable HDF5 file") }
        try self.init(path: name, file: file, fileSize: image.count)
    }

    /// The checks common to both opens: root attributes, /layers and its members (closes `file` on failure).
    private init(path: String, file: hid_t, fileSize: Int) throws {
        self.path = path
        self.file = file
        self.fileSize = fileSize
        do {
            var attrs: [String: String] = [:]
            for k in [
                "format", "version", "model", "checkpoint", "checkpoint_sha256", "created", "input_shape",
                "preprocessing",
            ] {
                if let v = HDF5.readStringAttribute(file, k) { attrs[k] = v }
            }
            attributes = attrs
            guard attrs["format"] == "ghostkit-activations" else {
                let kind = HDF5.attributeKind(file, "format").map { "holds \($0), not one fixed-length string" }
                let found = attrs["format"].map { "is " + SafetensorsFile.quoted($0) } ?? kind ?? "is missing"
                throw GhostError.file(path, "not a GhostKit activation file (root attribute format \(found))")
            }
            try HDF5Dataset.checkHardLinks(file, "layers", path: path)
            let names = try HDF5.children(file, "layers", limit: ActivationLimits.maxLayers, path: path)
            for n in names { try HDF5Dataset.checkHardLinks(file, "layers/" + n, path: path) }
            layerNames = names.sorted()
        } catch {
            H5Fclose(file)
            throw error
        }
    }

    deinit { H5Fclose(file) }

    /// Opens a float dataset ("inputs", "layers/<name>") and checks its shape [N, …] against the limits:
    /// rank 2…4, 1 ≤ N ≤ maxImages, every other dimension ≥ 1, C ≤ maxChannels, H, W ≤ maxSide.
    private func openFloat(_ dataset: String) throws -> HDF5Dataset {
        try HDF5Dataset(file: file, name: dataset, path: path, fileSize: fileSize, element: .float) { d in
            func fail(_ p: String) -> GhostError { GhostError.file(path, "/\(dataset): shape \(d) \(p)") }
            guard (2...4).contains(d.count) else { throw fail("is not [N, C], [N, C, W] or [N, C, H, W]") }
            guard d[0] >= 1 else { throw fail("holds no images") }
            guard d[0] <= ActivationLimits.maxImages else {
                throw fail("claims more than \(ActivationLimits.maxImages) images")
            }
            guard d.dropFirst().allSatisfy({ $0 >= 1 }) else { throw fail("has a zero-sized dimension") }
            guard d[1] <= ActivationLimits.maxChannels else {
                throw fail("has more than \(ActivationLimits.maxChannels) channels")
            }
            guard d.dropFirst(2).allSatisfy({ $0 <= ActivationLimits.maxSide }) else {
                throw fail("has maps larger than \(ActivationLimits.maxSide) pixels a side")
            }
            let item = d.dropFirst().reduce(1, *)  // ≤ 2^16 · 2^14 · 2^14: no overflow
            guard item <= ActivationLimits.maxItemBytes / 4 else {
                throw fail("needs more than \(ActivationLimits.maxItemBytes >> 20) MiB per image")
            }
        }
    }

    /// Shape of a float dataset ("inputs", "layers/<name>"), checked as `read` checks it.
    public func shape(_ dataset: String) throws -> [Int] { try openFloat(dataset).dims }

    /// Rows [start, start+count) of a float dataset as a tensor (at most `ActivationLimits.maxReadBytes`).
    public func read(_ dataset: String, start: Int = 0, count: Int? = nil) throws -> Tensor {
        let ds = try openFloat(dataset)
        let dims = ds.dims
        let n = count ?? (dims[0] - start)
        guard start >= 0, n >= 0, start <= dims[0], n <= dims[0] - start else {
            throw GhostError.file(path, "/\(dataset): rows \(start)..<\(start &+ n) outside 0..<\(dims[0])")
        }
        let item = dims.dropFirst().reduce(1, *)
        guard n <= ActivationLimits.maxReadBytes / 4 / item else {
            throw GhostError.file(
                path,
                "/\(dataset): reading \(n) images of \(Array(dims.dropFirst())) needs more than "
                    + "\(ActivationLimits.maxReadBytes >> 20) MiB; read fewer images")
        }
        let t = Tensor(uninitialized: [n] + dims.dropFirst())
        try HDF5.readRows(
            ds.id, name: dataset, type: gk_H5T_NATIVE_FLOAT(), dims: dims, start: start, rows: n,
            into: UnsafeMutableRawPointer(t.uncheckedMutablePointer), path: path)
        return t
    }

    /// All labels (empty when the file has none): a 1-D integer dataset of at most `maxImages` entries.
    public func labels() throws -> [Int] {
        let lapl = gk_H5P_no_external_links(gk_H5P_LINK_ACCESS())
        let exists = gk_H5_link_type(file, "labels", lapl) >= 0
        H5Pclose(lapl)
        guard exists else { return [] }
        let ds = try HDF5Dataset(file: file, name: "labels", path: path, fileSize: fileSize, element: .integer) { d in
            guard d.count == 1, d[0] <= ActivationLimits.maxImages else {
                throw GhostError.file(path, "/labels: shape \(d) is not [N] with N ≤ \(ActivationLimits.maxImages)")
            }
        }
        let dims = ds.dims
        guard dims[0] > 0 else { return [] }
        var v = [Int64](repeating: 0, count: dims[0])
        try v.withUnsafeMutableBytes {
            try HDF5.readRows(
                ds.id, name: "labels", type: gk_H5T_NATIVE_INT64(), dims: dims, start: 0, rows: dims[0],
                into: $0.baseAddress!, path: path)
        }
        return v.map { Int($0) }
    }
}

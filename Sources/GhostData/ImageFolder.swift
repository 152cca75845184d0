import Foundation
import GhostIO
import GhostTensor

/// PNG and JPEG files with labels, listed once and decoded on demand through an `EvalTransform`: a class folder
/// (one sub-folder per class, sorted names, files sorted within each: torchvision's ImageFolder order), or a flat
/// folder / list of files (class "unlabelled"). Every image comes out at the transform's crop size.
public struct ImageFolder {
    public let files: [(path: String, label: Int)]
    public let classNames: [String]
    public let channels: Int
    public let transform: EvalTransform
    /// "images in <root>" for messages.
    public let name: String

    public var count: Int { files.count }

    /// One class per sub-folder of `root` (files directly in `root` are not listed). With `classNames`, labels
    /// index that list and a sub-folder outside it is an error.
    public static func classes(root: String, channels: Int, transform: EvalTransform,
                               classNames known: [String]? = nil) throws -> ImageFolder {
        let subs = try entries(root).filter { isDirectory(root + "/" + $0) }
        guard !subs.isEmpty else {
            throw GhostError.file(root, "has no class sub-folders (expected <class>/<image>.jpg|png)")
        }
        let names = known ?? subs
        var files: [(String, Int)] = []
        for sub in subs {
            guard let label = names.firstIndex(of: sub) else {
                let first = try entries(root + "/" + sub).first(where: ImageFile.hasImageExtension)
                guard let first else { continue }
                throw GhostError.file(root + "/" + sub + "/" + first,
                                      "class '\(sub)' is not one of \(names.count) known classes")
            }
            for f in try entries(root + "/" + sub) where ImageFile.hasImageExtension(f) {
                files.append((root + "/" + sub + "/" + f, label))
            }
        }
        return try ImageFolder(files: files, classNames: names, channels: channels, transform: transform,
                               name: "images in \(root)")
    }

    /// Image files named one by one or found directly in the given folders (sorted), all "unlabelled".
    public static func flat(_ paths: [String], channels: Int, transform: EvalTransform) throws -> ImageFolder {
        var files: [(String, Int)] = []
        for p in paths {
            guard FileManager.default.fileExists(atPath: p) else {
                throw GhostError.file(p, "no such file or directory")
            }
            if isDirectory(p) {
                for f in try entries(p) where ImageFile.hasImageExtension(f) && !isDirectory(p + "/" + f) {
                    files.append((p + "/" + f, 0))
                }
            } else {
                files.append((p, 0))
            }
        }
        return try ImageFolder(files: files, classNames: ["unlabelled"], channels: channels, transform: transform,
                               name: "images in \(paths.joined(separator: ", "))")
    }

    init(files: [(String, Int)], classNames: [String], channels: Int, transform: EvalTransform, name: String) throws {
        guard !files.isEmpty else {
            throw GhostError.file(name.replacingOccurrences(of: "images in ", with: ""), "no PNG or JPEG images found")
        }
        guard channels == 1 || channels == 3 else {
            throw GhostError("image folders give 1 or 3 channels, not \(channels)")
        }
        self.files = files.map { (path: $0.0, label: $0.1) }
        (self.classNames, self.channels, self.transform, self.name) = (classNames, channels, transform, name)
    }

    /// Decodes and transforms images `range` into an in-memory dataset, files decoded in parallel; the first failure
    /// (in file order) is thrown.
    public func load(_ range: Range<Int>) throws -> ImageDataset {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "range outside 0..<\(count)")
        let side = transform.crop, per = channels * side * side
        let batch = Tensor(uninitialized: [range.count, channels, side, side])
        var failure: [Int: Error] = [:]
        let lock = NSLock()
        let (files, channels, transform) = (self.files, self.channels, self.transform)
        let target = batch.uncheckedMutablePointer
        Engine.parallelFor(range.count) { i in
            do {
                let img = try ImageFile.read8(path: files[range.lowerBound + i].path, channels: channels)
                let t = transform.apply(img)
                (target + i * per).update(from: t.readPointer, count: per)
            } catch {
                lock.lock(); failure[i] = error; lock.unlock()
            }
        }
        if let first = failure.keys.min(), let e = failure[first] { throw e }
        return try ImageDataset(images: batch, labels: range.map { files[$0].label }, classNames: classNames,
                                name: "\(name) (\(range.count))")
    }

    /// A folder's entries without hidden ones, sorted by name.
    static func entries(_ dir: String) throws -> [String] {
        do { return try FileManager.default.contentsOfDirectory(atPath: dir).filter { !$0.hasPrefix(".") }.sorted() }
        catch { throw GhostError.file(dir, "cannot list directory") }
    }

    /// Whether `path` is a folder with at least one (non-hidden) sub-folder: a class-folder dataset.
    public static func hasClassFolders(_ path: String) -> Bool {
        guard let names = try? entries(path) else { return false }
        return names.contains { isDirectory(path + "/" + $0) }
    }

    static func isDirectory(_ path: String) -> Bool {
        var d: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &d) && d.boolValue
    }
}

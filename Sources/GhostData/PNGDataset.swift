import Foundation
import GhostIO
import GhostTensor

extension ImageDataset {
    /// PNG images as a dataset: `paths` may name PNG files and folders. A folder with sub-folders is read
    /// as one class per sub-folder (sorted names, like torchvision's ImageFolder); PNGs directly in a
    /// folder, and files given by name, get class "unlabelled". Every image is converted to `channels`
    /// (1 = luminance, 3 = RGB) and resized (bilinear) to `height`×`width`, or to the first image's size.
    /// With `classNames` (e.g. the training split's), labels index that list and an unknown class is an error.
    public static func png(_ paths: [String], channels: Int, height: Int? = nil, width: Int? = nil,
                           classNames knownClasses: [String]? = nil) throws -> ImageDataset {
        var files: [(path: String, className: String)] = []
        for p in paths {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: p, isDirectory: &isDir) else { throw GhostError.file(p, "no such file or directory") }
            guard isDir.boolValue else { files.append((p, "unlabelled")); continue }
            let entries = try sortedEntries(p)
            for e in entries where e.lowercased().hasSuffix(".png") { files.append((p + "/" + e, "unlabelled")) }
            for e in entries {
                var sub: ObjCBool = false
                guard FileManager.default.fileExists(atPath: p + "/" + e, isDirectory: &sub), sub.boolValue else { continue }
                for f in try sortedEntries(p + "/" + e) where f.lowercased().hasSuffix(".png") { files.append((p + "/" + e + "/" + f, e)) }
            }
        }
        guard !files.isEmpty else { throw GhostError.file(paths.joined(separator: ", "), "no PNG images found") }
        var classNames = knownClasses ?? []
        for f in files where !classNames.contains(f.className) {
            if knownClasses != nil { throw GhostError.file(f.path, "class '\(f.className)' is not one of \(classNames.count) known classes") }
            classNames.append(f.className)
        }
        var images: [Tensor] = []
        for f in files {
            var img = try PNGFile.read(path: f.path, channels: channels)
            let (h, w) = (height ?? images.first?.shape[1] ?? img.shape[1], width ?? images.first?.shape[2] ?? img.shape[2])
            if img.shape[1] != h || img.shape[2] != w { img = resizeBilinear(img, height: h, width: w) }
            images.append(img)
        }
        let (H, W) = (images[0].shape[1], images[0].shape[2]), per = channels * H * W
        let batch = Tensor(uninitialized: [images.count, channels, H, W])
        for (i, img) in images.enumerated() { (batch.pointer + i * per).update(from: img.pointer, count: per) }
        return try ImageDataset(images: batch, labels: files.map { f in classNames.firstIndex(of: f.className)! },
                                classNames: classNames, name: "PNG images (\(files.count))")
    }

    static func sortedEntries(_ dir: String) throws -> [String] {
        do { return try FileManager.default.contentsOfDirectory(atPath: dir).filter { !$0.hasPrefix(".") }.sorted() } catch {
            throw GhostError.file(dir, "cannot list directory")
        }
    }

    /// Bilinear resize of [C, H, W] with half-pixel centres (PyTorch's align_corners=False, no antialiasing).
    public static func resizeBilinear(_ x: Tensor, height H: Int, width W: Int) -> Tensor {
        let (C, h, w) = (x.shape[0], x.shape[1], x.shape[2])
        let out = Tensor(uninitialized: [C, H, W])
        func source(_ i: Int, _ outSize: Int, _ inSize: Int) -> (Int, Int, Float) {
            let s = max(0, (Float(i) + 0.5) * Float(inSize) / Float(outSize) - 0.5)
            let i0 = min(Int(s), inSize - 1)
            return (i0, min(i0 + 1, inSize - 1), s - Float(i0))
        }
        for c in 0..<C {
            let src = x.pointer + c * h * w, dst = out.pointer + c * H * W
            for y in 0..<H {
                let (y0, y1, fy) = source(y, H, h)
                for xx in 0..<W {
                    let (x0, x1, fx) = source(xx, W, w)
                    let top = src[y0 * w + x0] * (1 - fx) + src[y0 * w + x1] * fx
                    let bottom = src[y1 * w + x0] * (1 - fx) + src[y1 * w + x1] * fx
                    dst[y * W + xx] = top * (1 - fy) + bottom * fy
                }
            }
        }
        return out
    }
}

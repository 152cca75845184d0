import ArgumentParser
import Foundation
import GhostCheckpoint
import GhostData
import GhostIO
import GhostModels
import GhostReport
import GhostTensor

/// `ghostkit predict`: top-k classes with probabilities for PNG images.
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Classify PNG images with a checkpoint (safetensors or PyTorch .pth): top-5 classes with probabilities.",
        discussion: """
        Each PNG (8/16-bit, gray/RGB/RGBA/palette) is converted to the model's channels, resized (bilinear) so its
        shorter side is the input size, centre-cropped, and normalised with --mean/--std, else the checkpoint's
        normalisation, else ImageNet's (3 channels) or Fashion-MNIST's (1 channel). A folder stands for its PNGs
        (sorted by name). Class names: --labels FILE (one per line); Fashion-MNIST's for 1-channel 10-class models;
        else class indices.
        Examples:
          ghostkit predict checkpoints/resnet18-fmnist.safetensors shoe.png
          ghostkit predict resnet50-0676ba61.pth --arch resnet50 --labels imagenet_classes.txt photos/
        """)

    @Argument(help: "Checkpoint (safetensors, or PyTorch .pth/.pt/.tar with --arch).") var checkpoint: String
    @Argument(help: "PNG files and/or folders of PNGs.") var images: [String]
    @OptionGroup var archOptions: ArchitectureOptions
    @OptionGroup var keys: KeyOptions
    @OptionGroup var norm: NormalizationOptions
    @OptionGroup var engine: EngineOptions
    @Option(help: "Class names, one per line (as many lines as the model has classes).") var labels: String?
    @Option(help: "Input side (default: 224 for ImageNet stems; 28 for 1-channel CIFAR-style models; else 32).") var inputSize: Int?
    @Option(help: "How many classes to list per image.") var top: Int = 5
    @Option(help: "Images per forward pass.") var batchSize: Int = 32
    @Flag(help: "Print JSON: [{\"image\", \"top\": [{\"class\", \"label\", \"probability\"}]}].") var json = false

    func run() throws {
        try engine.apply()
        guard top >= 1 else { throw ValidationError("--top must be ≥ 1") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be ≥ 1") }
        let ckpt = try Checkpoint(path: checkpoint, architecture: try archOptions.architecture(), renames: try keys.rules())
        let (model, report) = try ckpt.makeModel(strict: keys.strict)
        if !report.isExact { FileHandle.standardError.write(Data("warning: \(checkpoint): \(report.summary)\n".utf8)) }
        let arch = ckpt.architecture
        let channels = arch.inChannels
        guard channels == 1 || channels == 3 else {
            throw GhostError.file(checkpoint, "predict reads PNGs as 1 or 3 channels; \(arch.displayName) takes \(channels)")
        }
        let side = inputSize ?? (channels == 1 && arch.defaultInputSize == 32 ? 28 : arch.defaultInputSize)
        guard (1...4096).contains(side) else { throw ValidationError("--input-size must be 1…4096") }
        let normalization = try norm.normalization(channels: channels) ?? ckpt.normalization
            ?? (channels == 3 ? Normalization.imagenet : ImageDataset.fashionMNISTNormalization)
        guard normalization.mean.count == channels else {
            throw GhostError.file(checkpoint, "stored normalisation has \(normalization.mean.count) channels, the model \(channels); pass --mean/--std")
        }
        let names = try classNames(arch)
        let files = try Self.pngFiles(images)
        let k = min(top, arch.numClasses)
        var results: [[String: Any]] = []
        var text: [String] = []
        var start = 0
        while start < files.count {
            let chunk = Array(files[start..<min(files.count, start + batchSize)])
            let x = Tensor(uninitialized: [chunk.count, channels, side, side])
            let per = channels * side * side
            for (i, f) in chunk.enumerated() {
                let png = try ImageFile.read(path: f, channels: channels)
                let (h, w) = (png.shape[1], png.shape[2])
                guard max(h, w) / min(h, w) <= 64 else { throw GhostError.file(f, "\(w)×\(h) pixels: aspect ratio beyond 64:1") }
                let img = Self.preprocess(png, side: side, normalization: normalization)
                (x.pointer + i * per).update(from: img.pointer, count: per)
            }
            let probs = CrossEntropy.softmax(model(x))
            for (i, f) in chunk.enumerated() {
                let row = Array(UnsafeBufferPointer(start: probs.pointer + i * arch.numClasses, count: arch.numClasses))
                let best = row.indices.sorted { row[$0] != row[$1] ? row[$0] > row[$1] : $0 < $1 }.prefix(k)
                results.append(["image": f, "top": best.map { ["class": $0, "label": names[$0], "probability": Double(row[$0])] }])
                text.append(f)
                for (rank, c) in best.enumerated() {
                    text.append(String(format: "  %d. %7.3f %%  %@", rank + 1, 100 * Double(row[c]), names[c] == String(c) ? "class \(c)" : "\(names[c]) (\(c))"))
                }
            }
            start += chunk.count
        }
        if json {
            let data = try JSONSerialization.data(withJSONObject: results, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(text.joined(separator: "\n"))
        }
    }

    /// --labels, else Fashion-MNIST's names for 1-channel 10-class models, else indices.
    func classNames(_ arch: Architecture) throws -> [String] {
        if let path = labels {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw GhostError.file(path, FileManager.default.fileExists(atPath: path) ? "cannot read" : "no such file")
            }
            var lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            while lines.last?.isEmpty == true { lines.removeLast() }
            guard lines.count == arch.numClasses else {
                throw GhostError.file(path, "has \(lines.count) class names but the model has \(arch.numClasses) classes")
            }
            return lines
        }
        if arch.inChannels == 1 && arch.numClasses == 10 { return ImageDataset.fashionMNISTClasses }
        return (0..<arch.numClasses).map(String.init)
    }

    /// PNG files named directly, and the PNGs of each folder (sorted by name).
    static func pngFiles(_ paths: [String]) throws -> [String] {
        var files: [String] = []
        for p in paths {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: p, isDirectory: &isDir) else { throw GhostError.file(p, "no such file or directory") }
            if !isDir.boolValue { files.append(p); continue }
            guard let entries = try? FileManager.default.contentsOfDirectory(atPath: p) else { throw GhostError.file(p, "cannot list directory") }
            let found = entries.filter { !$0.hasPrefix(".") && ImageFile.hasImageExtension($0) }.sorted()
            guard !found.isEmpty else { throw GhostError.file(p, "no PNG or JPEG images in this folder") }
            files += found.map { (p.hasSuffix("/") ? p : p + "/") + $0 }
        }
        return files
    }

    /// [C, h, w] in [0, 1] → bilinear resize of the shorter side to `side` (longer side ⌊long·side/short⌋, as
    /// torchvision's Resize), centre crop (torchvision's CenterCrop offsets), (x − mean) / std.
    static func preprocess(_ img: Tensor, side: Int, normalization: Normalization) -> Tensor {
        let (c, h, w) = (img.shape[0], img.shape[1], img.shape[2])
        let (nh, nw) = h <= w ? (side, max(side, w * side / h)) : (max(side, h * side / w), side)
        let resized = (nh, nw) == (h, w) ? img : ImageDataset.resizeBilinear(img, height: nh, width: nw)
        let top = Int((Double(nh - side) / 2).rounded(.toNearestOrEven)), left = Int((Double(nw - side) / 2).rounded(.toNearestOrEven))
        let out = Tensor(uninitialized: [c, side, side])
        for ch in 0..<c {
            let m = normalization.mean[ch], s = normalization.std[ch]
            for y in 0..<side {
                let src = resized.pointer + (ch * nh + top + y) * nw + left, dst = out.pointer + (ch * side + y) * side
                for x in 0..<side { dst[x] = (src[x] - m) / s }
            }
        }
        return out
    }
}

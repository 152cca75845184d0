import Foundation
import GhostData
import GhostIO
import GhostModels
import GhostTensor

/// What `ghostkit predict` runs: a checkpoint over image files and folders (PNG, JPEG), top-k classes each.
public struct PredictionConfig {
    /// The checkpoint file (safetensors, or PyTorch .pth with an architecture).
    public var checkpoint: String
    /// Overrides (or supplies) the checkpoint's architecture.
    public var architecture: Architecture?
    /// Key renames applied after "module." stripping.
    public var renames: [RenameRule] = []
    /// Refuse missing/unexpected/misshapen keys (else: a warning).
    public var strict = true
    /// Image files and flat folders of images (sorted by name).
    public var images: [String]
    /// Input side (nil: the architecture's evaluation side).
    public var inputSize: Int?
    /// Normalisation (nil: the checkpoint's, else ImageNet's for 3 channels, Fashion-MNIST's for 1); a single
    /// mean/std value stands for every channel.
    public var normalization: Normalization?
    /// A file of class names, one per line.
    public var labels: String?
    /// Classes listed per image.
    public var top = 5
    /// Images per forward pass (decoded batch by batch).
    public var batchSize = 32

    /// A configuration with the defaults above.
    public init(checkpoint: String, images: [String]) { (self.checkpoint, self.images) = (checkpoint, images) }
}

/// One image's top classes.
public struct ImagePrediction {
    /// The image file.
    public let image: String
    /// (class index, class name, probability), most probable first (ties: lower index first).
    public let top: [(index: Int, label: String, probability: Double)]

    /// {"image", "top": [{"class", "label", "probability"}]} for JSON output.
    public var jsonObject: [String: Any] {
        ["image": image, "top": top.map { ["class": $0.index, "label": $0.label, "probability": $0.probability] }]
    }

    /// The file name, then "  1.  93.000 %  label (3)" lines ("class 3" when the label is the index).
    public var lines: [String] {
        [image]
            + top.enumerated().map { rank, t in
                String(
                    format: "  %d. %7.3f %%  %@", rank + 1, 100 * t.probability,
                    t.label == String(t.index) ? "class \(t.index)" : "\(t.label) (\(t.index))")
            }
    }
}

/// Runs a checkpoint over images with torchvision's evaluation preprocessing (`EvalTransform`: PIL's antialiased
/// bilinear Resize + CenterCrop, then the normalisation), batch by batch, so memory is flat in the image count.
public struct PredictionRun {
    /// The predictions, in file order.
    public let results: [ImagePrediction]
    /// Non-fatal notes (a non-strict load's key report) as "warning: …" lines.
    public let warnings: [String]

    /// Loads the checkpoint and classifies every image; bad input throws one `GhostError` line naming the file.
    public init(_ c: PredictionConfig) throws {
        guard c.top >= 1, c.batchSize >= 1 else { throw GhostError("top and batch size must be ≥ 1") }
        let ckpt = try Checkpoint(
            path: c.checkpoint, architecture: c.architecture, renames: c.renames,
            strict: c.strict)
        let (model, report) = try ckpt.makeModel(strict: c.strict)
        warnings = report.isExact ? [] : ["warning: \(c.checkpoint): \(report.summary)"]
        let arch = ckpt.architecture
        let channels = arch.inChannels
        guard channels == 1 || channels == 3 else {
            throw GhostError.file(
                c.checkpoint,
                "predict reads images as 1 or 3 channels; \(arch.displayName) takes \(channels)")
        }
        let given = c.normalization.map { n in
            n.mean.count != 1
                ? n
                : Normalization(
                    mean: Array(repeating: n.mean[0], count: channels), std: Array(repeating: n.std[0], count: channels)
                )
        }
        let normalization =
            given ?? ckpt.normalization
            ?? (channels == 3 ? Normalization.imagenet : ImageDataset.fashionMNISTNormalization)
        guard normalization.mean.count == channels else {
            throw GhostError.file(
                c.checkpoint,
                "stored normalisation has \(normalization.mean.count) channels, "
                    + "the model \(channels); pass --mean/--std")
        }
        let names = try Self.classNames(labels: c.labels, arch)
        let folder = try ImageFolder.flat(
            c.images, channels: channels,
            transform: EvalTransform(inputSize: c.inputSize ?? arch.evalInputSide))
        let stream = ImageStream(folder: folder)
        let files = folder.files
        let k = min(c.top, arch.numClasses)
        let n = arch.numClasses
        var results: [ImagePrediction] = []
        var start = 0
        // The weights are packed once for all batches (the model does not change while it predicts).
        try model.withPackedWeights {
            while start < stream.count {
                let range = start..<min(stream.count, start + c.batchSize)
                let d = try stream.images(range)
                let x = BatchLoader(dataset: d, batchSize: d.count, normalization: normalization)
                    .batch(0, order: Array(0..<d.count), epoch: 0).images
                let probs = CrossEntropy.softmax(model(x))
                for (i, f) in range.enumerated() {
                    let row = Array(UnsafeBufferPointer(start: probs.readPointer + i * n, count: n))
                    let best = row.indices.sorted { row[$0] != row[$1] ? row[$0] > row[$1] : $0 < $1 }.prefix(k)
                    results.append(
                        ImagePrediction(
                            image: files[f].path,
                            top: best.map { ($0, names[$0], Double(row[$0])) }))
                }
                start = range.upperBound
            }
        }
        self.results = results
    }

    /// Class names from `labels` (one per line, as many as the model has classes), else Fashion-MNIST's for
    /// 1-channel 10-class models, else the class indices.
    public static func classNames(labels path: String?, _ arch: Architecture) throws -> [String] {
        if let path {
            guard let data = FileManager.default.contents(atPath: path) else {
                let exists = FileManager.default.fileExists(atPath: path)
                throw GhostError.file(path, exists ? "cannot read" : "no such file")
            }
            var lines = String(decoding: data, as: UTF8.self)
                .split(separator: "\n", omittingEmptySubsequences: false).map {
                    $0.trimmingCharacters(in: .whitespacesAndNewlines)
                }
            while lines.last?.isEmpty == true { lines.removeLast() }
            guard lines.count == arch.numClasses else {
                throw GhostError.file(
                    path,
                    "has \(lines.count) class names but the model has \(arch.numClasses) classes")
            }
            return lines
        }
        if arch.inChannels == 1 && arch.numClasses == 10 { return ImageDataset.fashionMNISTClasses }
        return (0..<arch.numClasses).map(String.init)
    }
}

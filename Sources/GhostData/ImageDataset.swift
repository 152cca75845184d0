import Foundation
import GhostIO
import GhostTensor

/// An in-memory labelled image set, stored as raw [0, 1] pixels; normalisation is applied per batch.
public struct ImageDataset {
    /// [N, C, H, W] pixels in [0, 1].
    public let images: Tensor
    public let labels: [Int]
    public let classNames: [String]
    public let name: String

    public var count: Int { labels.count }
    public var channels: Int { images.shape[1] }
    public var height: Int { images.shape[2] }
    public var width: Int { images.shape[3] }

    public init(images: Tensor, labels: [Int], classNames: [String], name: String) throws {
        guard images.rank == 4, images.shape[0] == labels.count else {
            throw GhostError("\(name): \(images.shape[0]) images but \(labels.count) labels")
        }
        if let bad = labels.first(where: { $0 < 0 || $0 >= classNames.count }) {
            throw GhostError("\(name): label \(bad) outside 0..<\(classNames.count)")
        }
        self.images = images
        self.labels = labels
        self.classNames = classNames
        self.name = name
    }

    /// The first `n` examples.
    public func prefix(_ n: Int) -> ImageDataset {
        let n = min(n, count)
        let per = channels * height * width
        let t = Tensor(uninitialized: [n, channels, height, width])
        t.uncheckedMutablePointer.update(from: images.readPointer, count: n * per)
        return try! ImageDataset(images: t, labels: Array(labels.prefix(n)), classNames: classNames, name: name)
    }

    /// Per-channel mean and standard deviation of the pixels (for datasets without published statistics).
    public func channelStatistics() -> Normalization {
        let (n, c, plane) = (count, channels, height * width)
        var mean = [Float](repeating: 0, count: c)
        var std = [Float](repeating: 1, count: c)
        guard n > 0, plane > 0 else { return Normalization(mean: mean, std: std) }
        for ch in 0..<c {
            var sum: Double = 0
            var sumSq: Double = 0
            for i in 0..<n {
                let p = images.readPointer + (i * c + ch) * plane
                for k in 0..<plane {
                    let v = Double(p[k])
                    sum += v
                    sumSq += v * v
                }
            }
            let m = sum / Double(n * plane)
            mean[ch] = Float(m)
            let variance = sumSq / Double(n * plane) - m * m
            std[ch] = variance > 1e-10 ? Float(variance.squareRoot()) : 1  // a constant channel is only centred
        }
        return Normalization(mean: mean, std: std)
    }

    /// Fashion-MNIST class names, in label order.
    public static let fashionMNISTClasses = [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ]
    /// Where Debian's dataset-fashion-mnist package puts the files.
    public static let fashionMNISTDirectory = "/usr/share/datasets/fashion-mnist"
    /// Per-channel statistics of the Fashion-MNIST training set.
    public static let fashionMNISTNormalization = Normalization(mean: [0.2860], std: [0.3530])

    /// Loads the "train" or "test" split of Fashion-MNIST (IDX, gzip or plain) from `directory`.
    public static func fashionMNIST(split: String, directory: String = fashionMNISTDirectory) throws -> ImageDataset {
        let prefix = split == "train" ? "train" : "t10k"
        func find(_ base: String) throws -> String {
            for candidate in [base + ".gz", base]
            where FileManager.default.fileExists(atPath: directory + "/" + candidate) {
                return directory + "/" + candidate
            }
            throw GhostError.file(
                directory + "/" + base + ".gz",
                "no such file (install Debian's dataset-fashion-mnist or pass --data-dir)")
        }
        let imagePath = try find("\(prefix)-images-idx3-ubyte")
        let labelPath = try find("\(prefix)-labels-idx1-ubyte")
        let labs = try IDX.read(path: labelPath)
        guard labs.shape.count == 1 else {
            throw GhostError.file(labelPath, "expected a 1-D IDX label array, got \(labs.shape)")
        }
        // The image header is checked against the label count before the images are read (or inflated).
        let imgs = try IDX.read(path: imagePath, expectedCount: labs.shape[0])
        guard imgs.shape.count == 3 else {
            throw GhostError.file(imagePath, "expected a 3-D IDX image array, got \(imgs.shape)")
        }
        guard imgs.shape[0] == labs.shape[0] else {
            throw GhostError.file(labelPath, "\(labs.shape[0]) labels for \(imgs.shape[0]) images in \(imagePath)")
        }
        if let bad = labs.bytes.first(where: { $0 >= 10 }) {
            throw GhostError.file(labelPath, "label \(bad) outside 0..<10")
        }
        let (n, h, w) = (imgs.shape[0], imgs.shape[1], imgs.shape[2])
        let t = Tensor(uninitialized: [n, 1, h, w])
        imgs.bytes.withUnsafeBufferPointer { src in
            for i in 0..<src.count { t.uncheckedMutablePointer[i] = Float(src[i]) / 255 }
        }
        return try ImageDataset(
            images: t, labels: labs.bytes.map(Int.init), classNames: fashionMNISTClasses,
            name: "fashion-mnist/\(split)")
    }
}

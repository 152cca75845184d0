import Foundation
import GhostIO
import GhostTensor

/// Where a command's images come from.
public enum ImageSource: Equatable {
    /// Fashion-MNIST IDX files (gzip or plain) in a folder.
    case fashionMNIST(directory: String)
    /// The official CIFAR-10/100 binary version in a folder.
    case cifar(ImageDataset.CIFARVariant, directory: String)
    /// Class sub-folders: `<root>/<class>/*`, or ImageNet's layout `<root>/train/<class>/*`, `<root>/val/<class>/*`.
    case classFolder(root: String)
    /// Image files, or folders whose images (no sub-folders) are read, all unlabelled.
    case files([String])

    /// The default: Debian's Fashion-MNIST.
    public static let standard = ImageSource.fashionMNIST(directory: ImageDataset.fashionMNISTDirectory)

    /// "fashion-mnist", "cifar10", … for messages.
    public var kind: String {
        switch self {
        case .fashionMNIST: return "fashion-mnist"
        case .cifar(let v, _): return v.rawValue
        case .classFolder: return "class folder"
        case .files: return "image files"
        }
    }

    /// Opens a split ("train", or "test": a class folder's `val/` or `test/`) with at most `limit` images
    /// (nil = all), for a model with `channels` input channels and input side `inputSize`. Folder images go
    /// through `EvalTransform(inputSize:)`; IDX and CIFAR images must already have the model's channels.
    /// `classNames` (e.g. the training split's) fixes a class folder's label order.
    public func open(split: String, channels: Int, inputSize: Int, limit: Int? = nil,
                     classNames: [String]? = nil) throws -> (dataset: ImageDataset, available: Int) {
        let transform = EvalTransform(inputSize: inputSize)
        switch self {
        case .fashionMNIST(let dir):
            return Self.cut(try ImageDataset.fashionMNIST(split: split, directory: dir), limit)
        case .cifar(let variant, let dir):
            return Self.cut(try ImageDataset.cifar(variant, split: split, directory: dir), limit)
        case .classFolder(let root):
            let folder = try ImageFolder.classes(root: Self.splitFolder(root, split: split), channels: channels,
                                                 transform: transform, classNames: classNames)
            return (try folder.load(0..<min(limit ?? folder.count, folder.count)), folder.count)
        case .files(let paths):
            let folder = try ImageFolder.flat(paths, channels: channels, transform: transform)
            return (try folder.load(0..<min(limit ?? folder.count, folder.count)), folder.count)
        }
    }

    /// The folder holding a split's classes: `root/train` or `root/val|test` when `root` has them, else `root`.
    public static func splitFolder(_ root: String, split: String) -> String {
        let names = split == "train" ? ["train"] : ["val", "test"]
        for n in names where ImageFolder.isDirectory(root + "/" + n) { return root + "/" + n }
        return root
    }

    static func cut(_ d: ImageDataset, _ limit: Int?) -> (dataset: ImageDataset, available: Int) {
        guard let limit, limit < d.count else { return (d, d.count) }
        return (d.prefix(limit), d.count)
    }
}

extension ImageSource {
    /// The normalisation of a model that stores none: the dataset's published statistics, ImageNet's for 3-channel
    /// folder images, Fashion-MNIST's for 1-channel ones.
    public func defaultNormalization(channels: Int) -> Normalization {
        switch self {
        case .fashionMNIST: return ImageDataset.fashionMNISTNormalization
        case .cifar(let v, _): return v.normalization
        case .classFolder, .files: return channels == 3 ? .imagenet : ImageDataset.fashionMNISTNormalization
        }
    }
}

extension ImageSource {
    /// The one-line note for a count flag asking for more images than a source holds, or nil when it does not:
    /// "warning: --images 100 asks for more than the 64 images of …; using 64".
    public static func limitWarning(flag: String, limit: Int?, available: Int, name: String) -> String? {
        guard let limit, limit > available else { return nil }
        return "warning: \(flag) \(limit) asks for more than the \(available) images of \(name); using \(available)"
    }
}

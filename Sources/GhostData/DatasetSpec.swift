import GhostIO

/// The labelled datasets GhostKit trains and evaluates on.
public enum DatasetKind: String, CaseIterable, Codable {
    /// Fashion-MNIST IDX files (gz or plain).
    case fashionMNIST = "fashion-mnist"
    /// The official CIFAR-10 / CIFAR-100 binary batches.
    case cifar10, cifar100
    /// A folder holding train/ and test/, each with one sub-folder of PNGs per class.
    case png
}

/// Which dataset to read and how much of it: the typed form of `--dataset --data-dir --limit-train --limit-test`.
public struct DatasetSpec: Equatable {
    public var kind: DatasetKind
    /// Folder holding the files (nil: Debian's Fashion-MNIST folder; required for the others).
    public var directory: String?
    /// Use only the first N images of a split (0 = all).
    public var limitTrain: Int, limitTest: Int

    public init(kind: DatasetKind = .fashionMNIST, directory: String? = nil, limitTrain: Int = 0, limitTest: Int = 0) {
        self.kind = kind
        self.directory = directory
        self.limitTrain = limitTrain
        self.limitTest = limitTest
    }

    /// Loads a split ("train" or "test"). `channels` is the model's input channel count (PNG images are converted
    /// to it); `like` is the training split, whose class list and image size a PNG test split must follow.
    public func load(split: String, channels: Int = 1, like train: ImageDataset? = nil) throws -> ImageDataset {
        guard limitTrain >= 0, limitTest >= 0 else { throw GhostError("--limit-train/--limit-test must be ≥ 0") }
        let d: ImageDataset
        switch kind {
        case .fashionMNIST:
            d = try ImageDataset.fashionMNIST(split: split, directory: directory ?? ImageDataset.fashionMNISTDirectory)
        case .cifar10, .cifar100:
            guard let directory else {
                throw GhostError("--dataset \(kind.rawValue) needs --data-dir (the folder with the .bin files)")
            }
            d = try ImageDataset.cifar(kind == .cifar10 ? .cifar10 : .cifar100, split: split, directory: directory)
        case .png:
            guard let directory else {
                throw GhostError("--dataset png needs --data-dir (a folder with train/ and test/ class folders)")
            }
            guard [1, 3].contains(channels) else { throw GhostError("PNG datasets have 1 or 3 channels, not \(channels)") }
            d = try ImageDataset.png([directory + "/" + split], channels: channels, height: train?.height,
                                     width: train?.width, classNames: train?.classNames)
        }
        let limit = split == "train" ? limitTrain : limitTest
        return limit > 0 ? d.prefix(limit) : d
    }

    /// The normalisation a model trained on this dataset uses: published statistics, or the PNG training split's own.
    public func normalization(of train: ImageDataset) -> Normalization {
        switch kind {
        case .fashionMNIST: return ImageDataset.fashionMNISTNormalization
        case .cifar10: return ImageDataset.CIFARVariant.cifar10.normalization
        case .cifar100: return ImageDataset.CIFARVariant.cifar100.normalization
        case .png: return train.channelStatistics()
        }
    }
}

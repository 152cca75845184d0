import ArgumentParser
import GhostData
import GhostIO
import GhostReport

/// Which dataset to read, shared by train and eval.
struct DatasetOptions: ParsableArguments {
    static let kinds = ["fashion-mnist", "cifar10", "cifar100", "png"]

    @Option(help: """
        Dataset: fashion-mnist (IDX, gz or plain), cifar10 / cifar100 (the official binary version), \
        png (--data-dir holds train/ and test/, each with one sub-folder of PNGs per class).
        """)
    var dataset: String = "fashion-mnist"
    @Option(help: "Directory holding the dataset files (default for fashion-mnist: Debian's /usr/share/datasets/fashion-mnist).")
    var dataDir: String?
    @Option(help: "Use only the first N training images (0 = all).") var limitTrain: Int = 0
    @Option(help: "Use only the first N test images (0 = all).") var limitTest: Int = 0

    /// Loads a split. `channels` is the model's input channel count (PNG images are converted to it);
    /// `like` is the training split, whose class list and image size a PNG test split must follow.
    func load(split: String, channels: Int = 1, like train: ImageDataset? = nil) throws -> ImageDataset {
        guard limitTrain >= 0, limitTest >= 0 else { throw ValidationError("--limit-train/--limit-test must be ≥ 0") }
        let d: ImageDataset
        switch dataset {
        case "fashion-mnist":
            d = try ImageDataset.fashionMNIST(split: split, directory: dataDir ?? ImageDataset.fashionMNISTDirectory)
        case "cifar10", "cifar100":
            guard let dataDir else { throw ValidationError("--dataset \(dataset) needs --data-dir (the folder with the .bin files)") }
            d = try ImageDataset.cifar(ImageDataset.CIFARVariant(rawValue: dataset)!, split: split, directory: dataDir)
        case "png":
            guard let dataDir else { throw ValidationError("--dataset png needs --data-dir (a folder with train/ and test/ class folders)") }
            guard [1, 3].contains(channels) else { throw ValidationError("PNG datasets have 1 or 3 channels, not \(channels)") }
            d = try ImageDataset.png([dataDir + "/" + split], channels: channels, height: train?.height, width: train?.width,
                                     classNames: train?.classNames)
        default:
            throw ValidationError("unknown --dataset '\(dataset)' (known: \(Self.kinds.joined(separator: ", ")))")
        }
        let limit = split == "train" ? limitTrain : limitTest
        return limit > 0 ? d.prefix(limit) : d
    }

    /// The normalisation a model trained on this dataset uses: published statistics, or the PNG training split's own.
    func normalization(of train: ImageDataset) -> Normalization {
        switch dataset {
        case "fashion-mnist": return ImageDataset.fashionMNISTNormalization
        case "cifar10": return ImageDataset.CIFARVariant.cifar10.normalization
        case "cifar100": return ImageDataset.CIFARVariant.cifar100.normalization
        default: return train.channelStatistics()
        }
    }
}

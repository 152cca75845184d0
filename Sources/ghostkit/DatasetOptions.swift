import ArgumentParser
import GhostData

/// Which dataset to read, shared by train and eval.
struct DatasetOptions: ParsableArguments {
    static let kinds = DatasetKind.allCases.map(\.rawValue)

    @Option(help: """
        Dataset: fashion-mnist (IDX, gz or plain), cifar10 / cifar100 (the official binary version), \
        png (--data-dir holds train/ and test/, each with one sub-folder of PNGs per class).
        """)
    var dataset: String = "fashion-mnist"
    @Option(help: "Directory holding the dataset files (default for fashion-mnist: Debian's /usr/share/datasets/fashion-mnist).")
    var dataDir: String?
    @Option(help: "Use only the first N training images (0 = all).") var limitTrain: Int = 0
    @Option(help: "Use only the first N test images (0 = all).") var limitTest: Int = 0

    /// The typed dataset description (unknown --dataset names are refused, listing the known ones).
    func spec() throws -> DatasetSpec {
        guard let kind = DatasetKind(rawValue: dataset) else {
            throw ValidationError("unknown --dataset '\(dataset)' (known: \(Self.kinds.joined(separator: ", ")))")
        }
        return DatasetSpec(kind: kind, directory: dataDir, limitTrain: limitTrain, limitTest: limitTest)
    }

    /// Loads a split (see `DatasetSpec.load`).
    func load(split: String, channels: Int = 1, like train: ImageDataset? = nil) throws -> ImageDataset {
        try spec().load(split: split, channels: channels, like: train)
    }

    /// The normalisation a model trained on this dataset uses.
    func normalization(of train: ImageDataset) throws -> Normalization { try spec().normalization(of: train) }
}

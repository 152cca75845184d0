import ArgumentParser
import GhostData
import GhostIO
import GhostModels

/// Which images train and eval read (the shared image-source group) and how many of each split.
struct DatasetOptions: ParsableArguments {
    @OptionGroup var source: ImageSourceOptions
    @Option(help: "Use only the first N training images (0 = all).") var limitTrain: Int = 0
    @Option(help: "Use only the first N test images (0 = all).") var limitTest: Int = 0

    /// Loads a split for `arch`; `like` is the training split, whose class list a folder's test split must follow.
    func load(split: String, architecture arch: Architecture, like train: ImageDataset? = nil) throws -> ImageDataset {
        guard limitTrain >= 0, limitTest >= 0 else { throw ValidationError("--limit-train/--limit-test must be ≥ 0") }
        let limit = split == "train" ? limitTrain : limitTest
        return try source.open(split: split, architecture: arch, limit: limit > 0 ? limit : nil,
                               limitFlag: split == "train" ? "--limit-train" : "--limit-test",
                               classNames: train?.classNames)
    }

    /// The normalisation a model trained on this dataset uses: published statistics, or a folder's own.
    func normalization(of train: ImageDataset) throws -> Normalization {
        switch try source.source() {
        case .fashionMNIST, .cifar: return try source.defaultNormalization(channels: train.channels)
        case .classFolder, .files: return train.channelStatistics()
        }
    }
}

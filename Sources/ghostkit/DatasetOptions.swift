import ArgumentParser
import GhostTrain

/// Which dataset to read, shared by train and eval.
struct DatasetOptions: ParsableArguments {
    @Option(help: "Dataset: fashion-mnist.") var dataset: String = "fashion-mnist"
    @Option(help: "Directory holding the dataset files (default: Debian's /usr/share/datasets/fashion-mnist).")
    var dataDir: String = ImageDataset.fashionMNISTDirectory
    @Option(help: "Use only the first N training images (0 = all).") var limitTrain: Int = 0
    @Option(help: "Use only the first N test images (0 = all).") var limitTest: Int = 0

    func load(split: String) throws -> ImageDataset {
        guard dataset == "fashion-mnist" else { throw ValidationError("unknown --dataset '\(dataset)' (known: fashion-mnist)") }
        guard limitTrain >= 0, limitTest >= 0 else { throw ValidationError("--limit-train/--limit-test must be ≥ 0") }
        let d = try ImageDataset.fashionMNIST(split: split, directory: dataDir)
        let limit = split == "train" ? limitTrain : limitTest
        return limit > 0 ? d.prefix(limit) : d
    }
}

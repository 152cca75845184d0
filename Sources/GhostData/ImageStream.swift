import GhostIO
import GhostTensor

/// A split read range by range: a folder's images are decoded only when their range is asked for (memory flat in
/// the number of images); IDX and CIFAR splits, already in memory, are sliced.
public struct ImageStream {
    public let count: Int
    public let channels: Int
    public let height: Int
    public let width: Int
    public let classNames: [String]
    public let name: String
    let folder: ImageFolder?
    let dataset: ImageDataset?

    /// The first `limit` images of a folder (decoded lazily).
    public init(folder: ImageFolder, limit: Int? = nil) {
        (self.folder, dataset) = (folder, nil)
        count = min(limit ?? folder.count, folder.count)
        (channels, height, width) = (folder.channels, folder.transform.crop, folder.transform.crop)
        (classNames, name) = (folder.classNames, "\(folder.name) (\(count))")
    }

    /// An in-memory dataset.
    public init(dataset: ImageDataset) {
        (folder, self.dataset) = (nil, dataset)
        (count, channels, height, width) = (dataset.count, dataset.channels, dataset.height, dataset.width)
        (classNames, name) = (dataset.classNames, dataset.name)
    }

    /// Images `range` as a dataset.
    public func images(_ range: Range<Int>) throws -> ImageDataset {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "range outside 0..<\(count)")
        if let folder { return try folder.load(range) }
        let d = dataset!
        let per = channels * height * width
        let t = Tensor(uninitialized: [range.count, channels, height, width])
        t.uncheckedMutablePointer.update(from: d.images.readPointer + range.lowerBound * per, count: range.count * per)
        return try ImageDataset(images: t, labels: Array(d.labels[range]), classNames: classNames, name: name)
    }
}

extension ImageSource {
    /// The split as a stream (see `open`); folders are listed now and decoded range by range later.
    public func stream(split: String, channels: Int, inputSize: Int, limit: Int? = nil,
                       classNames: [String]? = nil) throws -> (stream: ImageStream, available: Int) {
        let transform = EvalTransform(inputSize: inputSize)
        switch self {
        case .classFolder(let root):
            let f = try ImageFolder.classes(root: Self.splitFolder(root, split: split), channels: channels,
                                            transform: transform, classNames: classNames)
            return (ImageStream(folder: f, limit: limit), f.count)
        case .files(let paths):
            let f = try ImageFolder.flat(paths, channels: channels, transform: transform)
            return (ImageStream(folder: f, limit: limit), f.count)
        case .fashionMNIST, .cifar:
            let (d, available) = try open(split: split, channels: channels, inputSize: inputSize, limit: limit)
            return (ImageStream(dataset: d), available)
        }
    }
}

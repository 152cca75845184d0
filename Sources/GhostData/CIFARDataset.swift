import Foundation
import GhostTensor

extension ImageDataset {
    /// Which CIFAR variant a binary file set holds.
    public enum CIFARVariant: String, CaseIterable {
        case cifar10, cifar100

        /// Bytes of label before the 3×32×32 pixels: CIFAR-10 has one label, CIFAR-100 a coarse and a fine one.
        var labelBytes: Int { self == .cifar10 ? 1 : 2 }
        public var recordBytes: Int { labelBytes + 3 * 32 * 32 }
        var classCount: Int { self == .cifar10 ? 10 : 100 }
        /// File names of a split, as in the official binary archives.
        func files(split: String) -> [String] {
            switch (self, split) {
            case (.cifar10, "train"): return (1...5).map { "data_batch_\($0).bin" }
            case (.cifar10, _): return ["test_batch.bin"]
            case (.cifar100, "train"): return ["train.bin"]
            case (.cifar100, _): return ["test.bin"]
            }
        }
        /// The label-names file that ships beside the batches.
        var namesFile: String { self == .cifar10 ? "batches.meta.txt" : "fine_label_names.txt" }
        /// Per-channel statistics of the training set (the widely used values).
        public var normalization: Normalization {
            self == .cifar10
                ? Normalization(mean: [0.4914, 0.4822, 0.4465], std: [0.2470, 0.2435, 0.2616])
                : Normalization(mean: [0.5071, 0.4865, 0.4409], std: [0.2673, 0.2564, 0.2762])
        }
    }

    /// CIFAR-10 class names, in label order (used when batches.meta.txt is absent).
    public static let cifar10Classes = [
        "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
    ]

    /// Loads the "train" or "test" split of CIFAR-10/100 in the official binary format from `directory`
    /// (cifar-10-batches-bin/ or cifar-100-binary/): fixed-size records of label byte(s) then 3072 pixel bytes
    /// (red, green, blue planes of 32×32). CIFAR-100 uses the fine label. Class names come from the names
    /// file beside the batches when present.
    public static func cifar(_ variant: CIFARVariant, split: String, directory: String) throws -> ImageDataset {
        let pixels = 3 * 32 * 32
        var chunks: [(path: String, data: Data)] = []
        for file in variant.files(split: split) {
            let path = directory + "/" + file
            guard let data = FileManager.default.contents(atPath: path) else {
                throw GhostError.file(
                    path,
                    FileManager.default.fileExists(atPath: path)
                        ? "cannot read"
                        : "no such file (expected the \(variant.rawValue) binary version in --data-dir)")
            }
            chunks.append((path, data))
        }
        let n = chunks.reduce(0) { $0 + $1.data.count / variant.recordBytes }
        let images = Tensor(uninitialized: [n, 3, 32, 32])
        var labels: [Int] = []
        labels.reserveCapacity(n)
        for chunk in chunks {
            try decodeCIFARRecords(
                chunk.data, variant: variant, path: chunk.path,
                pixels: images.uncheckedMutablePointer + labels.count * pixels,
                labels: &labels)
        }
        return try ImageDataset(
            images: images, labels: labels, classNames: cifarClassNames(variant, directory: directory),
            name: "\(variant.rawValue)/\(split)")
    }

    /// Decodes the records of one CIFAR binary file: pixels (scaled to [0, 1], planar RGB) to `pixels`, which
    /// must have room for `data.count / recordBytes` images, labels appended to `labels`. A size that is not
    /// a whole number of records or a label out of range is an error naming `path`.
    public static func decodeCIFARRecords(
        _ data: Data, variant: CIFARVariant, path: String,
        pixels: UnsafeMutablePointer<Float>, labels: inout [Int]
    ) throws {
        let record = variant.recordBytes
        let plane = 3 * 32 * 32
        guard !data.isEmpty, data.count % record == 0 else {
            throw GhostError.file(
                path,
                "\(data.count) bytes is not a whole number of \(record)-byte \(variant.rawValue) records (truncated?)")
        }
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let bytes = raw.bindMemory(to: UInt8.self)
            for r in 0..<(bytes.count / record) {
                let base = r * record
                let label = Int(bytes[base + variant.labelBytes - 1])
                guard label < variant.classCount else {
                    throw GhostError.file(path, "record \(r): label \(label) outside 0..<\(variant.classCount)")
                }
                labels.append(label)
                let dst = pixels + r * plane
                for p in 0..<plane { dst[p] = Float(bytes[base + variant.labelBytes + p]) / 255 }
            }
        }
    }

    /// Class names from the names file (one per line) if it lists exactly the right number, else defaults.
    static func cifarClassNames(_ variant: CIFARVariant, directory: String) -> [String] {
        if let text = try? String(contentsOfFile: directory + "/" + variant.namesFile, encoding: .utf8) {
            let names = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter {
                !$0.isEmpty
            }
            if names.count == variant.classCount { return names }
        }
        return variant == .cifar10 ? cifar10Classes : (0..<100).map { "class \($0)" }
    }
}

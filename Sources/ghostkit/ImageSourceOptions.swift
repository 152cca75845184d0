import ArgumentParser
import Foundation
import GhostData
import GhostIO
import GhostModels

/// The kinds of image source `--dataset` names.
enum ImageSourceKind: String, ExpressibleByArgument, CaseIterable {
    case fashionMNIST = "fashion-mnist", cifar10, cifar100, folder, files
    /// Older name of `folder`.
    case png
}

/// Where every command that runs images reads them: one option group (scan, dump, grid, convert's calibration,
/// train, finetune, eval, compare). Folder images (PNG, JPEG) go through torchvision's eval transform at the
/// model's input size.
struct ImageSourceOptions: ParsableArguments {
    @Option(help: """
        Images: fashion-mnist (IDX, gz or plain; the default), cifar10 / cifar100 (the official binary version), \
        folder (class sub-folders: --data-dir/<class>/*, or ImageNet's --data-dir/train/<class>/* and \
        --data-dir/val/<class>/*), files (--input files or flat folders, unlabelled). PNG and JPEG.
        """)
    var dataset: ImageSourceKind?
    @Option(help: "Folder of the dataset (default for fashion-mnist: Debian's /usr/share/datasets/fashion-mnist).")
    var dataDir: String?
    @Option(name: .customLong("input"), help: """
        PNG/JPEG file or folder to run (repeatable): a single folder with class sub-folders is a labelled folder \
        source, anything else a list of unlabelled files.
        """)
    var inputs: [String] = []
    @Option(help: """
        Side folder images are brought to (default: the model's: 224 for ImageNet stems, after Resize(256) + \
        CenterCrop(224); 28 for 1-channel CIFAR-style models; else 32).
        """)
    var inputSize: Int?

    /// The source the flags describe.
    func source() throws -> ImageSource {
        let kind = dataset ?? (inputs.isEmpty ? .fashionMNIST : .files)
        switch kind {
        case .fashionMNIST:
            guard inputs.isEmpty else { throw ValidationError("--input applies to --dataset folder or files") }
            return .fashionMNIST(directory: dataDir ?? ImageDataset.fashionMNISTDirectory)
        case .cifar10, .cifar100:
            guard let dataDir else {
                throw ValidationError("--dataset \(kind.rawValue) needs --data-dir (the folder with the .bin files)")
            }
            return .cifar(ImageDataset.CIFARVariant(rawValue: kind.rawValue)!, directory: dataDir)
        case .folder, .png:
            guard let root = dataDir ?? (inputs.count == 1 ? inputs[0] : nil) else {
                throw ValidationError("--dataset folder needs --data-dir (a folder of class sub-folders)")
            }
            return .classFolder(root: root)
        case .files:
            let paths = inputs + (dataDir.map { [$0] } ?? [])
            guard !paths.isEmpty else { throw ValidationError("--dataset files needs --input FILE|FOLDER") }
            if dataset == nil, paths.count == 1, ImageFolder.hasClassFolders(paths[0]) {
                return .classFolder(root: paths[0])
            }
            return .files(paths)
        }
    }

    /// The side a model runs at: --input-size, else 224 for ImageNet stems, 28 for 1-channel CIFAR-style
    /// models (Fashion-MNIST), else 32.
    func inputSide(_ arch: Architecture) -> Int {
        inputSize ?? arch.evalInputSide
    }

    /// Opens a split for `arch` with at most `limit` images (nil = all). A limit above what the source holds is
    /// one warning line saying how many are used (`limitFlag` names the flag; nil: no warning).
    func open(split: String, architecture arch: Architecture, limit: Int? = nil, limitFlag: String? = "--images",
              classNames: [String]? = nil) throws -> ImageDataset {
        try checkInputSize()
        let (d, available) = try source().open(split: split, channels: arch.inChannels, inputSize: inputSide(arch),
                                               limit: limit, classNames: classNames)
        if let limit, let limitFlag, limit > available { Self.warn(limitFlag, limit, available, d.name) }
        return d
    }

    /// The split as a stream (folders decoded batch by batch), with `open`'s warning.
    func stream(split: String, architecture arch: Architecture, limit: Int? = nil,
                limitFlag: String = "--images") throws -> ImageStream {
        try checkInputSize()
        let (s, available) = try source().stream(split: split, channels: arch.inChannels, inputSize: inputSide(arch),
                                                 limit: limit)
        if let limit, limit > available { Self.warn(limitFlag, limit, available, s.name) }
        return s
    }

    func checkInputSize() throws {
        if let s = inputSize, !(1...4096).contains(s) { throw ValidationError("--input-size must be 1…4096") }
    }

    /// The normalisation of a model that stores none: the dataset's published statistics, ImageNet's for 3-channel
    /// folder images, Fashion-MNIST's for 1-channel ones.
    func defaultNormalization(channels: Int) throws -> Normalization {
        try source().defaultNormalization(channels: channels)
    }

    /// These options as command-line arguments (finetune passes them on to train).
    var arguments: [String] {
        var a = dataset.map { ["--dataset", $0.rawValue] } ?? []
        if let dataDir { a += ["--data-dir", dataDir] }
        for i in inputs { a += ["--input", i] }
        if let inputSize { a += ["--input-size", String(inputSize)] }
        return a
    }

    /// "warning: --images 100 asks for more than the 64 images of …; using 64" on stderr.
    static func warn(_ flag: String, _ limit: Int, _ available: Int, _ name: String) {
        let line = ImageSource.limitWarning(flag: flag, limit: limit, available: available, name: name)
        if let line { FileHandle.standardError.write(Data((line + "\n").utf8)) }
    }
}

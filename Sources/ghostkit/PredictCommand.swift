import ArgumentParser
import Foundation
import GhostCheckpoint
import GhostIO

/// `ghostkit predict`: top-k classes with probabilities for PNG and JPEG images.
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Classify PNG/JPEG images with a checkpoint (safetensors or PyTorch .pth): top-5 classes.",
        discussion: """
        Each image (PNG 8/16-bit gray/RGB/RGBA/palette, JPEG RGB/gray) goes through torchvision's evaluation \
        transform at the model's input size n: Resize (PIL's antialiased bilinear; shorter side to 256 for n = 224, \
        else to n), CenterCrop(n), then --mean/--std, else the checkpoint's normalisation, else ImageNet's \
        (3 channels) or Fashion-MNIST's (1 channel). A folder stands for its images (sorted by name). Class names: \
        --labels FILE (one per line); Fashion-MNIST's for 1-channel 10-class models; else class indices.
        Examples:
          ghostkit predict checkpoints/resnet18-fmnist.safetensors shoe.png
          ghostkit predict resnet50-0676ba61.pth --arch resnet50 --labels imagenet_classes.txt photos/
        """)

    @Argument(help: "Checkpoint (safetensors, or PyTorch .pth/.pt/.tar with --arch).") var checkpoint: String
    @Argument(help: "PNG/JPEG files and/or folders of them.") var images: [String]
    @OptionGroup var archOptions: ArchitectureOptions
    @OptionGroup var keys: KeyOptions
    @OptionGroup var norm: NormalizationOptions
    @OptionGroup var engine: EngineOptions
    @Option(help: "Class names, one per line (as many lines as the model has classes).") var labels: String?
    @Option(help: "Input side (default: 224 for ImageNet stems; 28 for 1-channel CIFAR-style models; else 32).")
    var inputSize: Int?
    @Option(help: "How many classes to list per image.") var top: Int = 5
    @Option(help: "Images per forward pass.") var batchSize: Int = 32
    @Flag(help: "Print JSON: [{\"image\", \"top\": [{\"class\", \"label\", \"probability\"}]}].") var json = false

    func run() throws {
        try engine.apply()
        guard top >= 1 else { throw ValidationError("--top must be ≥ 1") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be ≥ 1") }
        if let s = inputSize, !(1...4096).contains(s) { throw ValidationError("--input-size must be 1…4096") }
        var config = PredictionConfig(checkpoint: checkpoint, images: images)
        config.architecture = try archOptions.architecture()
        config.renames = try keys.rules()
        config.strict = keys.strict
        config.inputSize = inputSize
        config.labels = labels
        config.top = top
        config.batchSize = batchSize
        // Without --arch the channel count is the checkpoint's: one value is repeated by the library.
        let given = norm.mean?.items.count ?? 1
        config.normalization = try norm.normalization(channels: config.architecture?.inChannels ?? given)
        let run = try PredictionRun(config)
        for w in run.warnings { FileHandle.standardError.write(Data((w + "\n").utf8)) }
        if json {
            let data = try JSONSerialization.data(withJSONObject: run.results.map(\.jsonObject),
                                                  options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(run.results.flatMap(\.lines).joined(separator: "\n"))
        }
    }
}

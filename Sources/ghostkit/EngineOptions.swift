import ArgumentParser
import GhostModels
import GhostTensor

/// `--threads`, shared by every command that computes.
struct EngineOptions: ParsableArguments {
    @Option(name: .customLong("threads"), help: "Worker threads for the engine (default: number of cores).")
    var requestedThreads: Int?

    /// --threads, else the number of cores.
    var threads: Int { requestedThreads ?? Engine.defaultThreads }

    func apply() throws { try Self.apply(threads: threads) }

    /// Checks a thread count and hands it to the engine.
    static func apply(threads: Int) throws {
        guard (1...1024).contains(threads) else {
            throw ValidationError("--threads must be between 1 and 1024, got \(threads)")
        }
        Engine.threads = threads
    }
}

/// Architecture flags shared by commands that build or interpret a model.
struct ArchitectureOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp("Architecture: resnet18/34/50/101/152 (ImageNet family) or resnet20/32/44/56/110 (CIFAR "
            + "6n+2); a 'ghost-' prefix (ghost-resnet50) makes every conv but the stem a Ghost module; ghostnet (the "
            + "paper's GhostNet, --width α)."))
    var arch: String?
    @Option(
        help: ArgumentHelp("Stem for resnet18…152: imagenet (7×7/2 + max-pool) or cifar (3×3/1, no max-pool); for "
            + "ghostnet: imagenet (3×3/2) or cifar (3×3/1)."))
    var stem: Stem?
    @Option(
        help: ArgumentHelp("Width multiplier for resnet18…152 (1.0 = torchvision) and ghostnet (α; channels rounded to "
            + "multiples of 4)."))
    var width: Double?
    @Option(help: "Shortcut for CIFAR ResNets: A (zero-pad) or B (1×1 conv).") var shortcut: Shortcut?
    @Option(help: "Input channels (default 3).") var inChannels: Int?
    @Option(help: "Number of classes (default 1000 for ImageNet ResNets, 10 for CIFAR ResNets).") var numClasses: Int?
    @Option(
        name: .customLong("s"),
        help: "Ghost ratio s of a ghost- architecture (m = ⌈n/s⌉ intrinsic channels; default 2).")
    var ghostRatio: Int?
    @Option(name: .customLong("d"), help: "Depthwise kernel d of the Ghost modules' cheap operation (odd; default 3).")
    var ghostKernel: Int?
    @Option(
        help: ArgumentHelp("ghostnet: activation of the stem, last 1×1 conv and head: relu, leaky-relu, gelu, sigmoid, "
            + "hard-sigmoid, h-swish (default relu)."),
        transform: Activation.Kind.init(name:))
    var activation: Activation.Kind?
    @Option(help: "ghostnet: attention in the table's SE blocks: se (default) or eca.") var attention: AttentionKind?
    @Option(help: "ghostnet: SE reduction ratio (default 0.25; reduced channels rounded to multiples of 4).")
    var seRatio: Double?
    @Option(help: "ghostnet: SE gate: hard-sigmoid (default) or sigmoid.", transform: Activation.Kind.init(name:))
    var seGate: Activation.Kind?

    /// The architecture described by the flags, or nil when --arch is absent.
    func architecture() throws -> Architecture? {
        guard let arch else {
            if stem != nil || width != nil || shortcut != nil || inChannels != nil || numClasses != nil
                || ghostRatio != nil || ghostKernel != nil
                || activation != nil || attention != nil || seRatio != nil || seGate != nil
            {
                throw ValidationError(
                    "--stem/--width/--shortcut/--in-channels/--num-classes/--s/--d/--activation/--attention/"
                        + "--se-ratio/--se-gate need --arch")
            }
            return nil
        }
        var a = try Architecture(
            name: arch, stem: stem, width: width, shortcut: shortcut,
            inChannels: inChannels, numClasses: numClasses)
        if activation != nil || attention != nil || seRatio != nil || seGate != nil {
            guard case .ghostNet(var g) = a.family else {
                throw GhostError("--activation/--attention/--se-ratio/--se-gate apply to ghostnet, not \(arch)")
            }
            g.activation = activation ?? g.activation
            g.attention = try Attention(name: attention?.rawValue, seRatio: seRatio, seGate: seGate?.rawValue)
            a = try Architecture(family: .ghostNet(g), inChannels: a.inChannels, numClasses: a.numClasses)
        }
        if ghostRatio != nil || ghostKernel != nil {
            guard let g = a.ghost else {
                throw ValidationError("--s/--d apply to ghost- architectures (e.g. --arch ghost-\(arch))")
            }
            a.ghost = GhostSettings(s: ghostRatio ?? g.s, d: ghostKernel ?? g.d)
            try a.validate()
        }
        return a
    }
}

import Foundation
import GhostTensor

/// A model description that can be stored in checkpoint metadata ("ghostkit.arch", JSON; see
/// ArchitectureCoding.swift for the keys) and turned back into a model. Each family carries only the options that
/// apply to it.
public struct Architecture: Equatable {
    /// The model families GhostKit builds.
    public enum Family: Equatable {
        /// ImageNet-layout or CIFAR ResNets and their Ghost variants.
        case resnet(ResNetConfig)
        /// GhostNet (Han et al. 2020).
        case ghostNet(GhostNetConfig)
    }

    public var family: Family
    public var inChannels: Int
    public var numClasses: Int

    public init(family: Family, inChannels: Int, numClasses: Int) throws {
        (self.family, self.inChannels, self.numClasses) = (family, inChannels, numClasses)
        try validate()
    }

    public static let imagenetDepths: [Int: (bottleneck: Bool, blocks: [Int])] = [
        18: (false, [2, 2, 2, 2]), 34: (false, [3, 4, 6, 3]), 50: (true, [3, 4, 6, 3]),
        101: (true, [3, 4, 23, 3]), 152: (true, [3, 8, 36, 3]),
    ]
    public static let cifarDepths = [20, 32, 44, 56, 110]
    /// Deepest CIFAR ResNet accepted from a file (the ResNet paper's deepest, 1202): a bound on what a
    /// hostile "depth" can make `build()` allocate.
    public static let maxCIFARDepth = 1202
    /// Every name `--arch` accepts.
    public static var knownNames: [String] {
        let plain = (imagenetDepths.keys.sorted() + cifarDepths).map { "resnet\($0)" }
        return plain + plain.map { "ghost-" + $0 } + ["ghostnet"]
    }

    /// Parses an `--arch` name (resnet18 … resnet152, resnet20 … resnet110 and any 6n+2, ghost-resnetNN,
    /// ghostnet) plus options; unset options take the family's defaults (ImageNet stem, width 1, option A, s = 2
    /// and d = 3, 3 → 1000 classes for ImageNet layouts, 3 → 10 for CIFAR ResNets).
    public init(name: String, stem: Stem? = nil, width: Double? = nil, shortcut: Shortcut? = nil,
                inChannels: Int? = nil, numClasses: Int? = nil) throws {
        var lower = name.lowercased()
        let unknown = GhostError("unknown architecture '\(name)' (known: \(Self.knownNames.joined(separator: ", ")))")
        if lower == "ghostnet" {
            if let shortcut {
                throw GhostError("--shortcut \(shortcut.rawValue) applies to CIFAR ResNets, not ghostnet")
            }
            try self.init(family: .ghostNet(GhostNetConfig(stem: stem ?? .imagenet, width: width ?? 1)),
                          inChannels: inChannels ?? 3, numClasses: numClasses ?? 1000)
            return
        }
        var ghost: GhostSettings?
        if lower.hasPrefix("ghost-") {
            lower.removeFirst(6)
            ghost = GhostSettings(s: 2, d: 3)
        }
        guard lower.hasPrefix("resnet"), let depth = Int(lower.dropFirst(6)) else { throw unknown }
        if Self.imagenetDepths[depth] != nil {
            if let shortcut { throw GhostError("--shortcut \(shortcut.rawValue) applies to CIFAR ResNets") }
            let layout = ResNetLayout.imagenet(stem: stem ?? .imagenet, width: width ?? 1)
            try self.init(family: .resnet(ResNetConfig(depth: depth, layout: layout, ghost: ghost)),
                          inChannels: inChannels ?? 3, numClasses: numClasses ?? 1000)
        } else if depth >= 8 && (depth - 2) % 6 == 0 {
            if stem == .imagenet || width != nil {   // its stem is the small-image one
                throw GhostError("--stem imagenet/--width apply to ImageNet-layout ResNets, not resnet\(depth)")
            }
            let layout = ResNetLayout.cifar(shortcut: shortcut ?? .zeroPad)
            try self.init(family: .resnet(ResNetConfig(depth: depth, layout: layout, ghost: ghost)),
                          inChannels: inChannels ?? 3, numClasses: numClasses ?? 10)
        } else {
            throw unknown
        }
    }

    /// The ResNet options, or nil for GhostNet.
    public var resnet: ResNetConfig? {
        if case .resnet(let r) = family { return r }
        return nil
    }

    /// The GhostNet options, or nil for a ResNet.
    public var ghostNet: GhostNetConfig? {
        if case .ghostNet(let g) = family { return g }
        return nil
    }

    /// ResNet depth; 0 for GhostNet.
    public var depth: Int { resnet?.depth ?? 0 }

    /// A Ghost-ResNet's Ghost-module settings; nil for plain ResNets and GhostNet. Setting it on GhostNet is a
    /// programming error.
    public var ghost: GhostSettings? {
        get { resnet?.ghost }
        set {
            guard case .resnet(var r) = family else { preconditionFailure("Ghost-ResNet settings on a GhostNet") }
            r.ghost = newValue
            family = .resnet(r)
        }
    }

    /// The stem (CIFAR ResNets always have the small-image one).
    public var stem: Stem {
        switch family {
        case .ghostNet(let g): return g.stem
        case .resnet(let r):
            if case .imagenet(let stem, _) = r.layout { return stem }
            return .cifar
        }
    }

    /// Short human name, e.g. "resnet50", "resnet18 (cifar stem, width 0.25, 1→10)", "ghostnet (width 0.5, 1→10)".
    public var displayName: String {
        var extras: [String] = []
        switch family {
        case .ghostNet(let g):
            if g.stem == .cifar { extras.append("cifar stem") }
            if g.width != 1 { extras.append("width \(Self.format(g.width))") }
            if g.activation != .relu { extras.append(g.activation.rawValue) }
            switch g.attention {
            case .eca: extras.append("ECA")
            case .none: extras.append("no attention")
            case let .se(ratio, gate):
                if ratio != 0.25 { extras.append("SE ratio \(Self.format(ratio))") }
                if gate != .hardSigmoid { extras.append("SE gate \(gate.rawValue)") }
            }
            return "ghostnet (\((extras + ["\(inChannels)→\(numClasses)"]).joined(separator: ", ")))"
        case .resnet(let r):
            switch r.layout {
            case let .imagenet(stem, width):
                if stem == .cifar { extras.append("cifar stem") }
                if width != 1 { extras.append("width \(Self.format(width))") }
            case .cifar(let shortcut):
                extras.append("option \(shortcut.rawValue)")
            }
            if r.stemBias { extras.append("stem bias") }
            extras.append("\(inChannels)→\(numClasses)")
            if let g = r.ghost {
                let ratios = g.convs.map { "per-conv s, d (\($0.count) set)" } ?? "s=\(g.s), d=\(g.d)"
                extras.insert(ratios + (g.blocks.map { ", \($0.count) of \(blockNames.count) blocks" } ?? ""), at: 0)
            }
            return (r.ghost == nil ? "" : "ghost-") + "resnet\(r.depth) (\(extras.joined(separator: ", ")))"
        }
    }

    /// Names of the residual blocks in forward order: "layer1.0", "layer1.1", … ("blocks.0.0", … for GhostNet).
    public var blockNames: [String] {
        guard let r = resnet else {
            return GhostNet.table.enumerated().flatMap { i, rows in rows.indices.map { "blocks.\(i).\($0)" } }
        }
        return r.stageBlocks.enumerated().flatMap { stage, n in (0..<n).map { "layer\(stage + 1).\($0)" } }
    }

    /// The side this model evaluates images at: 28 for 1-channel CIFAR-style models (Fashion-MNIST), else
    /// `defaultInputSize`.
    public var evalInputSide: Int { inChannels == 1 && defaultInputSize == 32 ? 28 : defaultInputSize }

    /// Typical input side: 224 for ImageNet stems, 32 for CIFAR-style models.
    public var defaultInputSize: Int { stem == .imagenet ? 224 : 32 }

    /// Builds the model with deterministic initialisation.
    public func build(seed: UInt64 = 0) -> ImageClassifier {
        guard case .ghostNet(let g) = family else { return buildResNet(seed: seed) }
        return GhostNet(width: g.width, smallImages: g.stem == .cifar, inChannels: inChannels, numClasses: numClasses,
                        activation: g.activation, attention: g.attention, seed: seed)
    }

    /// Builds a ResNet or Ghost-ResNet architecture.
    public func buildResNet(seed: UInt64 = 0) -> ResNet {
        guard let r = resnet else { preconditionFailure("buildResNet on a GhostNet architecture") }
        switch r.layout {
        case .cifar(let shortcut):
            return ResNet(bottleneck: false, blocks: r.stageBlocks, widths: [16, 32, 64], stemWidth: 16, stemKernel: 3,
                          stemStride: 1, stemBias: r.stemBias, maxPool: false, inChannels: inChannels,
                          numClasses: numClasses, shortcut: shortcut, ghost: r.ghost,
                          seed: seed)
        case let .imagenet(stem, width):
            let scaled = { (c: Int) in max(1, Int((Double(c) * width).rounded())) }
            let cifar = stem == .cifar
            return ResNet(bottleneck: r.bottleneck, blocks: r.stageBlocks, widths: [64, 128, 256, 512].map(scaled),
                          stemWidth: scaled(64), stemKernel: cifar ? 3 : 7, stemStride: cifar ? 1 : 2,
                          stemBias: r.stemBias, maxPool: !cifar, inChannels: inChannels, numClasses: numClasses,
                          shortcut: .projection, ghost: r.ghost, seed: seed)
        }
    }

    static func format(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(x)
    }
}

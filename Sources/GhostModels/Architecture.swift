import Foundation
import GhostTensor

/// A model description that can be stored in checkpoint metadata ("ghostkit.arch", JSON) and
/// turned back into a model.
public struct Architecture: Codable, Equatable {
    /// "resnet" (ImageNet-style ResNet-18…152, optionally with a CIFAR stem), "cifar-resnet" (6n+2) or "ghostnet".
    public var family: String
    /// ResNet depth; 0 for GhostNet.
    public var depth: Int
    /// "imagenet" or "cifar" (families "resnet" and "ghostnet"; GhostNet's cifar stem is its 3×3 stem at stride 1).
    public var stem: String?
    /// Width multiplier on every channel count (1.0 = torchvision / the paper's GhostNet-1.0×; "resnet" and "ghostnet").
    public var width: Double?
    /// "A" (zero-pad) or "B" (1×1 projection). family "resnet" always uses B.
    public var shortcut: String?
    /// ResNets: whether the stem conv has a bias (some public CIFAR code bases); nil (absent from the JSON) = no bias.
    public var stemBias: Bool?
    public var inChannels: Int
    public var numClasses: Int
    /// Ghost-ResNet: every conv but the stem (the 1×1 projections included) is a Ghost module with these s and d.
    public var ghost: GhostSettings?
    /// GhostNet only: activation of the stem, the last 1×1 conv and the head (`Activation.Kind` name; nil = relu;
    /// the Ghost modules and SE's hidden layer use ReLU, as in the official code).
    public var activation: String?
    /// GhostNet only: attention of the SE rows of the table, "se" (nil) or "eca"; with SE its ratio (nil = 0.25)
    /// and gate ("hard-sigmoid" (nil) or "sigmoid").
    public var attention: String?
    public var seRatio: Double?
    public var seGate: String?

    enum CodingKeys: String, CodingKey {
        case family, depth, stem, width, shortcut, ghost, activation, attention
        case inChannels = "in_channels", numClasses = "num_classes", seRatio = "se_ratio", seGate = "se_gate"
        case stemBias = "stem_bias"
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

    /// Parses an `--arch` name (resnet18 … resnet152, resnet20 … resnet110, ghostnet) plus options.
    public init(name: String, stem: String? = nil, width: Double? = nil, shortcut: String? = nil,
                inChannels: Int? = nil, numClasses: Int? = nil) throws {
        var lower = name.lowercased()
        if lower == "ghostnet" {
            (family, depth, self.stem, self.width) = ("ghostnet", 0, stem ?? "imagenet", width ?? 1)
            (self.inChannels, self.numClasses) = (inChannels ?? 3, numClasses ?? 1000)
            if let shortcut { throw GhostError("--shortcut \(shortcut) applies to CIFAR ResNets, not ghostnet") }
            try validate()
            return
        }
        if lower.hasPrefix("ghost-") {
            lower.removeFirst(6)
            ghost = GhostSettings(s: 2, d: 3)
        }
        guard lower.hasPrefix("resnet"), let depth = Int(lower.dropFirst(6)) else {
            throw GhostError("unknown architecture '\(name)' (known: \(Self.knownNames.joined(separator: ", ")))")
        }
        if Self.imagenetDepths[depth] != nil {
            self.family = "resnet"
            self.stem = stem ?? "imagenet"
            self.width = width ?? 1
            self.shortcut = nil
            self.inChannels = inChannels ?? 3
            self.numClasses = numClasses ?? 1000
        } else if Self.cifarDepths.contains(depth) || ((depth - 2) % 6 == 0 && depth >= 8) {
            self.family = "cifar-resnet"
            self.stem = nil
            self.width = nil
            self.shortcut = shortcut ?? "A"
            self.inChannels = inChannels ?? 3
            self.numClasses = numClasses ?? 10
        } else {
            throw GhostError("unknown architecture '\(name)' (known: \(Self.knownNames.joined(separator: ", ")))")
        }
        self.depth = depth
        try validate()
    }

    /// Decodes the JSON stored in checkpoint metadata.
    public init(json: String) throws {
        guard let data = json.data(using: .utf8),
              let arch = try? JSONDecoder().decode(Architecture.self, from: data) else {
            throw GhostError("architecture metadata is not valid JSON: \(json.prefix(120))")
        }
        self = arch
        try validate()
    }

    public func validate() throws {
        switch family {
        case "resnet":
            guard Self.imagenetDepths[depth] != nil else { throw GhostError("resnet depth \(depth) is not one of 18, 34, 50, 101, 152") }
            guard stem == "imagenet" || stem == "cifar" else { throw GhostError("stem must be 'imagenet' or 'cifar', got '\(stem ?? "")'") }
            guard let w = width, w > 0, w <= 16 else { throw GhostError("width multiplier must be in (0, 16]") }
        case "cifar-resnet":
            guard depth >= 8, (depth - 2) % 6 == 0, depth <= Self.maxCIFARDepth else {
                throw GhostError("CIFAR ResNet depth must be 6n+2 and at most \(Self.maxCIFARDepth), got \(depth)")
            }
            guard shortcut == "A" || shortcut == "B" else { throw GhostError("shortcut must be A or B, got '\(shortcut ?? "")'") }
        case "ghostnet":
            guard stem == "imagenet" || stem == "cifar" else { throw GhostError("stem must be 'imagenet' or 'cifar', got '\(stem ?? "")'") }
            guard let w = width, w > 0, w <= 16 else { throw GhostError("GhostNet width multiplier α must be in (0, 16], got \(width.map(Self.format) ?? "none")") }
            guard ghost == nil, shortcut == nil else { throw GhostError("ghostnet takes no Ghost-ResNet settings or shortcut") }
            _ = try ghostNetOptions()
        default:
            throw GhostError("unknown model family '\(family)'")
        }
        if let g = ghost {
            guard (2...16).contains(g.s) else { throw GhostError("Ghost ratio s must be 2…16, got \(g.s)") }
            guard g.d >= 1, g.d % 2 == 1, g.d <= 15 else { throw GhostError("Ghost depthwise kernel d must be odd, 1…15, got \(g.d)") }
            if let convs = g.convs {
                let units = Self.imagenetDepths[depth]?.bottleneck == true ? ["conv1", "conv2", "conv3", "downsample"]
                    : ["conv1", "conv2", "downsample"]
                for (name, r) in convs.sorted(by: { $0.key < $1.key }) {
                    let parts = name.split(separator: ".")
                    guard parts.count == 3, blockNames.contains(parts[0] + "." + parts[1]),
                          units.contains(String(parts[2])) else {
                        throw GhostError("per-conv Ghost settings name '\(name.prefix(60))', not a conv of resnet\(depth)")
                    }
                    guard (1...16).contains(r.s) else {
                        throw GhostError("\(name): Ghost ratio s must be 1…16, got \(r.s)")
                    }
                    guard r.d >= 1, r.d % 2 == 1, r.d <= 15 else {
                        throw GhostError("\(name): d must be odd, 1…15, got \(r.d)")
                    }
                }
            }
            if let blocks = g.blocks {
                let known = blockNames
                guard !blocks.isEmpty else { throw GhostError("the list of Ghost blocks is empty") }
                if let bad = blocks.first(where: { !known.contains($0) }) {
                    throw GhostError("'\(bad)' is not a block of resnet\(depth) (\(known.first ?? "")…\(known.last ?? ""))")
                }
            }
        }
        if family == "ghostnet" && stemBias != nil { throw GhostError("a stem bias applies to ResNets, not ghostnet") }
        if family != "ghostnet" && (activation != nil || attention != nil || seRatio != nil || seGate != nil) {
            throw GhostError("activation, attention and SE options apply to ghostnet, not \(family)")
        }
        guard (1...4096).contains(inChannels) else { throw GhostError("in_channels must be 1…4096, got \(inChannels)") }
        guard (1...100_000).contains(numClasses) else { throw GhostError("num_classes must be 1…100000, got \(numClasses)") }
    }

    /// JSON for checkpoint metadata.
    public var json: String {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        return String(data: try! enc.encode(self), encoding: .utf8)!
    }

    /// GhostNet's activation and attention, checked: unknown names list the valid ones, an SE ratio that leaves
    /// zero channels in some SE block is refused.
    public func ghostNetOptions() throws -> (activation: Activation.Kind, attention: Attention) {
        let act = try Activation.Kind(name: activation ?? "relu")
        switch attention ?? "se" {
        case "eca":
            guard seRatio == nil, seGate == nil else { throw GhostError("--se-ratio/--se-gate apply to --attention se, not eca") }
            return (act, .eca)
        case "se":
            let gate = try Activation.Kind(name: seGate ?? "hard-sigmoid")
            guard gate == .hardSigmoid || gate == .sigmoid else { throw GhostError("SE gate must be hard-sigmoid or sigmoid, got '\(seGate ?? "")'") }
            let ratio = seRatio ?? 0.25
            for row in GhostNet.table.joined() where row.se {
                _ = try SqueezeExcite.reducedChannels(makeDivisible(Double(row.expansion) * (width ?? 1), 4), ratio: ratio)
            }
            return (act, .se(ratio: ratio, gate: gate))
        default:
            throw GhostError("unknown attention '\(attention ?? "")' (valid: se, eca)")
        }
    }

    /// Short human name, e.g. "resnet50", "resnet18 (cifar stem, width 0.25, 1→10)", "ghostnet (width 0.5, 1→10)".
    public var displayName: String {
        var extras: [String] = []
        if family == "ghostnet" {
            if stem == "cifar" { extras.append("cifar stem") }
            if let w = width, w != 1 { extras.append("width \(Self.format(w))") }
            if let a = activation, a != "relu" { extras.append(a) }
            if attention == "eca" { extras.append("ECA") }
            if let r = seRatio { extras.append("SE ratio \(Self.format(r))") }
            if let g = seGate { extras.append("SE gate \(g)") }
            return "ghostnet (\((extras + ["\(inChannels)→\(numClasses)"]).joined(separator: ", ")))"
        }
        if family == "resnet" {
            if stem == "cifar" { extras.append("cifar stem") }
            if let w = width, w != 1 { extras.append("width \(Self.format(w))") }
        } else {
            extras.append("option \(shortcut ?? "A")")
        }
        if stemBias == true { extras.append("stem bias") }
        extras.append("\(inChannels)→\(numClasses)")
        if let g = ghost {
            let ratios = g.convs.map { "per-conv s, d (\($0.count) set)" } ?? "s=\(g.s), d=\(g.d)"
            extras.insert(ratios + (g.blocks.map { ", \($0.count) of \(blockNames.count) blocks" } ?? ""), at: 0)
        }
        return (ghost == nil ? "" : "ghost-") + "resnet\(depth) (\(extras.joined(separator: ", ")))"
    }

    /// Names of the residual blocks in forward order: "layer1.0", "layer1.1", …
    public var blockNames: [String] {
        if family == "ghostnet" { return GhostNet.table.enumerated().flatMap { i, rows in rows.indices.map { "blocks.\(i).\($0)" } } }
        let counts = family == "cifar-resnet" ? [Int](repeating: (depth - 2) / 6, count: 3) : Self.imagenetDepths[depth]?.blocks ?? []
        return counts.enumerated().flatMap { stage, n in (0..<n).map { "layer\(stage + 1).\($0)" } }
    }

    /// Typical input side: 224 for ImageNet stems, 32 for CIFAR-style models.
    /// The side this model evaluates images at: 28 for 1-channel CIFAR-style models (Fashion-MNIST), else
    /// `defaultInputSize`.
    public var evalInputSide: Int { inChannels == 1 && defaultInputSize == 32 ? 28 : defaultInputSize }

    public var defaultInputSize: Int { family != "cifar-resnet" && stem == "imagenet" ? 224 : 32 }

    /// Builds the model with deterministic initialisation.
    public func build(seed: UInt64 = 0) -> ImageClassifier {
        guard family == "ghostnet" else { return buildResNet(seed: seed) }
        let (act, attention) = try! ghostNetOptions()   // checked by validate()
        return GhostNet(width: width ?? 1, smallImages: stem == "cifar", inChannels: inChannels, numClasses: numClasses,
                        activation: act, attention: attention, seed: seed)
    }

    /// Builds a "resnet" or "cifar-resnet" architecture.
    public func buildResNet(seed: UInt64 = 0) -> ResNet {
        precondition(family != "ghostnet", "buildResNet on a GhostNet architecture")
        if family == "cifar-resnet" {
            let n = (depth - 2) / 6
            return ResNet(bottleneck: false, blocks: [n, n, n], widths: [16, 32, 64], stemWidth: 16, stemKernel: 3,
                          stemStride: 1, stemBias: stemBias ?? false, maxPool: false, inChannels: inChannels, numClasses: numClasses,
                          shortcut: shortcut == "B" ? .projection : .zeroPad, ghost: ghost, seed: seed)
        }
        let (bottleneck, blocks) = Self.imagenetDepths[depth]!
        let w = width ?? 1
        let scaled = { (c: Int) in max(1, Int((Double(c) * w).rounded())) }
        let cifar = stem == "cifar"
        return ResNet(bottleneck: bottleneck, blocks: blocks, widths: [64, 128, 256, 512].map(scaled),
                      stemWidth: scaled(64), stemKernel: cifar ? 3 : 7, stemStride: cifar ? 1 : 2,
                      stemBias: stemBias ?? false, maxPool: !cifar,
                      inChannels: inChannels, numClasses: numClasses, shortcut: .projection, ghost: ghost, seed: seed)
    }

    static func format(_ x: Double) -> String {
        x == x.rounded() ? String(Int(x)) : String(x)
    }
}

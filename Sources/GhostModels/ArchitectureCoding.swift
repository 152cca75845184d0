import Foundation
import GhostTensor

/// The checkpoint JSON of an architecture: one flat object whose keys are the ones GhostKit has always written
/// ("family": "resnet" | "cifar-resnet" | "ghostnet", "depth", "stem", "width", "shortcut", "stem_bias", "ghost",
/// "activation", "attention", "se_ratio", "se_gate", "in_channels", "num_classes"), so every earlier checkpoint
/// loads. A key that does not apply to the file's family is refused, as is any value out of range.
extension Architecture: Codable {
    enum CodingKeys: String, CodingKey {
        case family, depth, stem, width, shortcut, ghost, activation, attention
        case inChannels = "in_channels", numClasses = "num_classes", seRatio = "se_ratio", seGate = "se_gate"
        case stemBias = "stem_bias"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let name = try c.decode(String.self, forKey: .family)
        let inChannels = try c.decode(Int.self, forKey: .inChannels)
        let numClasses = try c.decode(Int.self, forKey: .numClasses)
        let ghostNetKeys: [CodingKeys] = [.activation, .attention, .seRatio, .seGate]
        let family: Family
        switch name {
        case "resnet", "cifar-resnet":
            if ghostNetKeys.contains(where: c.contains) {
                throw GhostError("activation, attention and SE options apply to ghostnet, not \(name)")
            }
            let layout: ResNetLayout
            if name == "resnet" {
                if c.contains(.shortcut) { throw GhostError("shortcut applies to CIFAR ResNets, not resnet") }
                layout = .imagenet(stem: try Stem(name: try c.decode(String.self, forKey: .stem)),
                                   width: try c.decode(Double.self, forKey: .width))
            } else {
                if c.contains(.width) { throw GhostError("width applies to ImageNet-layout ResNets, not cifar-resnet") }
                layout = .cifar(shortcut: try Shortcut(name: try c.decode(String.self, forKey: .shortcut)))
            }
            family = .resnet(ResNetConfig(depth: try c.decode(Int.self, forKey: .depth), layout: layout,
                                          stemBias: try c.decodeIfPresent(Bool.self, forKey: .stemBias) ?? false,
                                          ghost: try c.decodeIfPresent(GhostSettings.self, forKey: .ghost)))
        case "ghostnet":
            if c.contains(.stemBias) { throw GhostError("a stem bias applies to ResNets, not ghostnet") }
            if c.contains(.ghost) || c.contains(.shortcut) {
                throw GhostError("ghostnet takes no Ghost-ResNet settings or shortcut")
            }
            let config = GhostNetConfig(
                stem: try Stem(name: try c.decode(String.self, forKey: .stem)),
                width: try c.decode(Double.self, forKey: .width),
                activation: try Activation.Kind(
                    name: try c.decodeIfPresent(String.self, forKey: .activation) ?? "relu"),
                attention: try Attention(name: try c.decodeIfPresent(String.self, forKey: .attention),
                                         seRatio: try c.decodeIfPresent(Double.self, forKey: .seRatio),
                                         seGate: try c.decodeIfPresent(String.self, forKey: .seGate)))
            family = .ghostNet(config)
        default:
            throw GhostError("unknown model family '\(name)'")
        }
        try self.init(family: family, inChannels: inChannels, numClasses: numClasses)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(inChannels, forKey: .inChannels)
        try c.encode(numClasses, forKey: .numClasses)
        try c.encode(depth, forKey: .depth)
        switch family {
        case .resnet(let r):
            switch r.layout {
            case let .imagenet(stem, width):
                try c.encode("resnet", forKey: .family)
                try c.encode(stem.rawValue, forKey: .stem)
                try c.encode(width, forKey: .width)
            case .cifar(let shortcut):
                try c.encode("cifar-resnet", forKey: .family)
                try c.encode(shortcut.rawValue, forKey: .shortcut)
            }
            if r.stemBias { try c.encode(true, forKey: .stemBias) }   // absent = no bias: older files unchanged
            try c.encodeIfPresent(r.ghost, forKey: .ghost)
        case .ghostNet(let g):
            try c.encode("ghostnet", forKey: .family)
            try c.encode(g.stem.rawValue, forKey: .stem)
            try c.encode(g.width, forKey: .width)
            if g.activation != .relu { try c.encode(g.activation.rawValue, forKey: .activation) }
            switch g.attention {
            case .eca: try c.encode("eca", forKey: .attention)
            case .none: throw GhostError("a GhostNet without attention cannot be stored")
            case let .se(ratio, gate):
                if ratio != 0.25 { try c.encode(ratio, forKey: .seRatio) }
                if gate != .hardSigmoid { try c.encode(gate.rawValue, forKey: .seGate) }
            }
        }
    }

    /// Decodes the JSON stored in checkpoint metadata; errors say which key is wrong.
    public init(json: String) throws {
        guard let data = json.data(using: .utf8) else { throw GhostError("architecture metadata is not UTF-8") }
        do {
            self = try JSONDecoder().decode(Architecture.self, from: data)
        } catch let error as GhostError {
            throw error
        } catch {
            throw GhostError("architecture metadata is not valid JSON: \(json.prefix(120))")
        }
    }

    /// JSON for checkpoint metadata (sorted keys).
    public var json: String {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        guard let data = try? enc.encode(self) else { preconditionFailure("\(displayName) has no JSON form") }
        return String(decoding: data, as: UTF8.self)
    }

    /// Checks every value against the range GhostKit builds; throws one line naming the first that is not.
    public func validate() throws {
        switch family {
        case .resnet(let r):
            switch r.layout {
            case .imagenet(_, let width):
                guard Self.imagenetDepths[r.depth] != nil else {
                    throw GhostError("resnet depth \(r.depth) is not one of 18, 34, 50, 101, 152")
                }
                guard width > 0, width <= 16 else { throw GhostError("width multiplier must be in (0, 16]") }
            case .cifar:
                guard r.depth >= 8, (r.depth - 2) % 6 == 0, r.depth <= Self.maxCIFARDepth else {
                    throw GhostError(
                        "CIFAR ResNet depth must be 6n+2 and at most \(Self.maxCIFARDepth), got \(r.depth)")
                }
            }
            if let g = r.ghost { try validate(g, of: r) }
        case .ghostNet(let g):
            guard g.width > 0, g.width <= 16 else {
                throw GhostError("GhostNet width multiplier α must be in (0, 16], got \(Self.format(g.width))")
            }
            if case let .se(ratio, gate) = g.attention {
                guard gate == .hardSigmoid || gate == .sigmoid else {
                    throw GhostError("SE gate must be hard-sigmoid or sigmoid, got '\(gate.rawValue)'")
                }
                for row in GhostNet.table.joined() where row.se {
                    let channels = makeDivisible(Double(row.expansion) * g.width, 4)
                    _ = try SqueezeExcite.reducedChannels(channels, ratio: ratio)
                }
            }
        }
        guard (1...4096).contains(inChannels) else {
            throw GhostError("in_channels must be 1…4096, got \(inChannels)")
        }
        guard (1...100_000).contains(numClasses) else {
            throw GhostError("num_classes must be 1…100000, got \(numClasses)")
        }
    }

    private func validate(_ g: GhostSettings, of r: ResNetConfig) throws {
        guard (2...16).contains(g.s) else { throw GhostError("Ghost ratio s must be 2…16, got \(g.s)") }
        guard g.d >= 1, g.d % 2 == 1, g.d <= 15 else {
            throw GhostError("Ghost depthwise kernel d must be odd, 1…15, got \(g.d)")
        }
        let blocks = blockNames
        for (name, ratio) in (g.convs ?? [:]).sorted(by: { $0.key < $1.key }) {
            let parts = name.split(separator: ".")
            guard parts.count == 3, blocks.contains(parts[0] + "." + parts[1]),
                  r.blockConvs.contains(String(parts[2])) else {
                throw GhostError("per-conv Ghost settings name '\(name.prefix(60))', not a conv of resnet\(r.depth)")
            }
            guard (1...16).contains(ratio.s) else { throw GhostError("\(name): Ghost ratio s must be 1…16, got " +
                "\(ratio.s)") }
            guard ratio.d >= 1, ratio.d % 2 == 1, ratio.d <= 15 else {
                throw GhostError("\(name): d must be odd, 1…15, got \(ratio.d)")
            }
        }
        if let converted = g.blocks {
            guard !converted.isEmpty else { throw GhostError("the list of Ghost blocks is empty") }
            if let bad = converted.first(where: { !blocks.contains($0) }) {
                let range = "\(blocks.first ?? "")…\(blocks.last ?? "")"
                throw GhostError("'\(bad)' is not a block of resnet\(r.depth) (\(range))")
            }
        }
    }
}

extension Stem {
    /// Parses "imagenet" or "cifar" (case-insensitive).
    public init(name: String) throws {
        guard let s = Stem(rawValue: name.lowercased()) else {
            throw GhostError("stem must be 'imagenet' or 'cifar', got '\(name.prefix(40))'")
        }
        self = s
    }
}

extension Shortcut {
    /// Parses "A" or "B" (case-insensitive).
    public init(name: String) throws {
        guard let s = Shortcut(rawValue: name.uppercased()) else {
            throw GhostError("shortcut must be A or B, got '\(name.prefix(40))'")
        }
        self = s
    }
}

extension Attention {
    /// GhostNet's attention from its stored or command-line names: "se" (nil) with a ratio (nil = 0.25) and a gate
    /// ("hard-sigmoid" (nil) or "sigmoid"), or "eca", which takes neither.
    public init(name: String?, seRatio: Double?, seGate: String?) throws {
        switch name?.lowercased() ?? "se" {
        case "eca":
            guard seRatio == nil, seGate == nil else {
                throw GhostError("--se-ratio/--se-gate apply to --attention se, not eca")
            }
            self = .eca
        case "se":
            let gate = try Activation.Kind(name: seGate ?? "hard-sigmoid")
            guard gate == .hardSigmoid || gate == .sigmoid else {
                throw GhostError("SE gate must be hard-sigmoid or sigmoid, got '\(seGate ?? "")'")
            }
            self = .se(ratio: seRatio ?? 0.25, gate: gate)
        default:
            throw GhostError("unknown attention '\(name?.prefix(40) ?? "")' (valid: se, eca)")
        }
    }
}

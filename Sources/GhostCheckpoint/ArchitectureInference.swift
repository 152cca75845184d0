import Foundation
import GhostModels
import GhostTensor

/// An architecture read off a state dict's names and shapes, with what the weights cannot tell (`notes`: each
/// says what was assumed and which flag settles it).
public struct InferredArchitecture {
    public let architecture: Architecture
    public let notes: [String]
}

extension Architecture {
    /// The architecture a state dict describes, or nil when it is not one GhostKit builds (see `infer`).
    public static func inferred(from tensors: [(String, Tensor)]) -> Architecture? {
        try? infer(from: tensors).architecture
    }

    /// Reads the architecture off a state dict with torchvision's / the official GhostNet's names (after the
    /// layout aliases of `StateDictKeys`): ImageNet-layout ResNets at any width with a 7×7 or 3×3 stem, CIFAR
    /// ResNet-6n+2 with option A or B shortcuts, their Ghost variants (s, d and the converted blocks from the
    /// Ghost modules' shapes), GhostNet. The guess is checked against every shape of the built model; a failure
    /// throws one line saying why, ending in "pass --arch".
    public static func infer(from tensors: [(String, Tensor)]) throws -> InferredArchitecture {
        try infer(shapes: tensors.map { ($0.0, $0.1.shape) })
    }

    /// `infer` from keys and shapes alone (a `TorchCheckpoint.listing`, before any tensor is read).
    public static func infer(shapes list: [(String, [Int])]) throws -> InferredArchitecture {
        var shapes: [String: [Int]] = [:]
        for (k, shape) in list where !k.hasPrefix("optim.") { shapes[k] = shape }
        if shapes["conv_stem.weight"] != nil { return try inferGhostNet(shapes) }
        guard let stem = shapes["conv1.weight"] else {
            throw GhostError("the keys are neither a ResNet's (conv1.weight, layer1.0…, fc) nor a GhostNet's "
                             + "(conv_stem, blocks, classifier); pass --arch")
        }
        guard stem.count == 4, stem[2] == stem[3], stem[2] == 7 || stem[2] == 3 else {
            throw GhostError("the stem conv1.weight is \(stem); GhostKit's ResNets have a 7×7 (ImageNet) or 3×3 "
                             + "(CIFAR) stem; pass --arch")
        }
        guard let fc = shapes["fc.weight"], fc.count == 2 else {
            throw GhostError("no classifier (fc.weight or linear.weight [classes, features]); pass --arch")
        }
        let blockPrefixes = Set(shapes.keys.compactMap { key -> String? in
            let parts = key.split(separator: ".", maxSplits: 2)
            guard parts.count == 3, parts[0].hasPrefix("layer"), Int(parts[1]) != nil else { return nil }
            return "\(parts[0]).\(parts[1])"
        })
        let counts = (1...4).map { s in
            var n = 0
            while blockPrefixes.contains("layer\(s).\(n)") { n += 1 }
            return n
        }
        let bottleneck = shapes.keys.contains { $0.hasPrefix("layer1.0.conv3.") }
        let ghost = try ghostSettings(shapes, blocks: blockPrefixes)
        var a: Architecture
        if counts[3] > 0 {
            let known = imagenetDepths.first { $0.value.bottleneck == bottleneck && $0.value.blocks == counts }
            guard let depth = known?.key else {
                throw GhostError("\(bottleneck ? "Bottleneck" : "BasicBlock") stages of \(counts) blocks are none of "
                                 + "resnet18/34/50/101/152's; pass --arch")
            }
            a = try Architecture(name: "resnet\(depth)", stem: stem[2] == 7 ? .imagenet : .cifar,
                                 width: Double(stem[0]) / 64, inChannels: stem[1], numClasses: fc[0])
        } else {
            guard !bottleneck, counts[0] > 0, counts[0] == counts[1], counts[1] == counts[2] else {
                throw GhostError("stages of \(counts) blocks fit neither an ImageNet-layout ResNet (4 stages) nor a "
                                 + "CIFAR ResNet-6n+2 (3 equal BasicBlock stages); pass --arch")
            }
            guard stem[0] == 16, stem[2] == 3 else {
                throw GhostError("a 3-stage ResNet whose stem conv1.weight is \(stem); GhostKit's CIFAR ResNets "
                                 + "have a 3×3 stem of 16 channels; pass --arch")
            }
            let projection = shapes.keys.contains { $0.contains(".downsample.") }
            a = try Architecture(name: "resnet\(6 * counts[0] + 2)", shortcut: projection ? .projection : .zeroPad,
                                 inChannels: stem[1], numClasses: fc[0])
        }
        a.ghost = ghost
        a = Checkpoint.withStemBias(a, Array(shapes.keys))
        try a.validate()
        try check(a, against: shapes)
        return InferredArchitecture(architecture: a, notes: [])
    }

    /// s, d and the converted blocks of a Ghost-ResNet's Ghost modules (`<conv>.primary_conv.0.weight` [m, …],
    /// `<conv>.cheap_operation.0.weight` [m·(s−1), 1, d, d]); nil for a plain ResNet.
    static func ghostSettings(_ shapes: [String: [Int]], blocks: Set<String>) throws -> GhostSettings? {
        let suffix = "primary_conv.0.weight"
        let primaries = shapes.keys.filter { $0.hasPrefix("layer") && $0.hasSuffix(suffix) }.sorted()
        guard let first = primaries.first, let m = shapes[first]?.first else { return nil }
        let module = String(first.dropLast(suffix.count))
        guard let cheap = shapes[module + "cheap_operation.0.weight"], cheap.count == 4, m > 0, cheap[0] % m == 0 else {
            throw GhostError("the Ghost module \(module.dropLast()) has no usable cheap_operation.0.weight; "
                             + "pass --arch")
        }
        let converted = Set(primaries.map { $0.split(separator: ".").prefix(2).joined(separator: ".") })
        let list = converted.count == blocks.count ? nil : blocks.filter(converted.contains).sorted {
            $0.compare($1, options: .numeric) == .orderedAscending
        }
        return GhostSettings(s: cheap[0] / m + 1, d: cheap[2], blocks: list)
    }

    /// Throws naming the first parameter of `a`'s model that the file lacks or holds with another shape.
    static func check(_ a: Architecture, against shapes: [String: [Int]]) throws {
        for (name, p) in a.build().namedParameters() where !name.hasSuffix("num_batches_tracked") {
            guard let s = shapes[name] else {
                throw GhostError("the keys look like \(a.displayName) but \(name) is missing; pass --arch")
            }
            guard s == p.shape else {
                throw GhostError("the keys look like \(a.displayName) but \(name) is \(s), not \(p.shape); pass --arch")
            }
        }
    }

    /// A GhostNet state dict with the official names (conv_stem, blocks.9.0.conv, conv_head, classifier): α from the
    /// last 1×1 conv's 960·α outputs; SE or ECA from the attention's keys; checked against every shape. The stem
    /// stride, the activation and the SE gate are not in the weights: the official ones are assumed and said so.
    static func inferGhostNet(_ shapes: [String: [Int]]) throws -> InferredArchitecture {
        guard let stem = shapes["conv_stem.weight"], stem.count == 4, let last = shapes["blocks.9.0.conv.weight"],
              let fc = shapes["classifier.weight"], fc.count == 2 else {
            throw GhostError("GhostNet keys (conv_stem) without blocks.9.0.conv.weight or classifier.weight; "
                             + "pass --arch")
        }
        let eca = shapes.keys.contains { $0.contains(".eca.") }
        let config = GhostNetConfig(width: Double(last[0]) / Double(GhostNet.finalWidth),
                                    attention: eca ? .eca : .officialSE)
        let a = try Architecture(family: .ghostNet(config), inChannels: stem[1], numClasses: fc[0])
        try check(a, against: shapes)
        let note = "GhostNet's stem stride, activation and SE gate are not in the weights: assumed the official "
            + "stride-2 stem, ReLU and hard-sigmoid (--stem cifar for 32² models, --activation, --se-gate)"
        return InferredArchitecture(architecture: a, notes: [note])
    }
}

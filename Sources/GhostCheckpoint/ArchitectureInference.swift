import GhostModels
import GhostTensor

extension Architecture {
    /// The plain ResNet a state dict with torchvision's names describes, read off its tensor names and shapes
    /// (stem kernel, block counts, BasicBlock or Bottleneck, stem width, input channels, classes), or nil when
    /// the names do not fit a ResNet GhostKit builds. Loading checks the guess strictly anyway.
    public static func inferred(from tensors: [(String, Tensor)]) -> Architecture? {
        var shapes: [String: [Int]] = [:]
        for (k, t) in tensors { shapes[k] = t.shape }
        if let a = inferredGhostNet(shapes) { return a }
        guard let stem = shapes["conv1.weight"], stem.count == 4, stem[2] == stem[3],
              let fc = shapes["fc.weight"], fc.count == 2, shapes.keys.allSatisfy({ !$0.contains("primary_conv") }) else { return nil }
        func blocks(_ stage: Int) -> Int {
            var n = 0
            while shapes["layer\(stage).\(n).conv1.weight"] != nil { n += 1 }
            return n
        }
        let counts = (1...4).map(blocks)
        let bottleneck = shapes["layer1.0.conv3.weight"] != nil
        if counts[3] > 0 {
            guard let depth = imagenetDepths.first(where: { $0.value.bottleneck == bottleneck && $0.value.blocks == counts })?.key,
                  stem[2] == 7 || stem[2] == 3 else { return nil }
            var a = try? Architecture(name: "resnet\(depth)", stem: stem[2] == 7 ? "imagenet" : "cifar", width: Double(stem[0]) / 64,
                                      inChannels: stem[1], numClasses: fc[0])
            if a?.build().namedParameters().allSatisfy({ shapes[$0.0] == $0.1.shape || $0.0.hasSuffix("num_batches_tracked") }) != true { a = nil }
            return a
        }
        guard !bottleneck, counts[2] > 0, counts[0] == counts[1], counts[1] == counts[2], stem[0] == 16, stem[2] == 3 else { return nil }
        let projection = shapes.keys.contains { $0.hasSuffix("downsample.0.weight") }
        return try? Architecture(name: "resnet\(6 * counts[0] + 2)", shortcut: projection ? "B" : "A", inChannels: stem[1], numClasses: fc[0])
    }

    /// A GhostNet state dict with the official names (conv_stem, blocks.9.0.conv, conv_head, classifier): α from the
    /// last 1×1 conv's 960·α outputs, checked against every shape. The stem stride is not in the weights: imagenet.
    static func inferredGhostNet(_ shapes: [String: [Int]]) -> Architecture? {
        guard let stem = shapes["conv_stem.weight"], stem.count == 4, let last = shapes["blocks.9.0.conv.weight"],
              let fc = shapes["classifier.weight"], fc.count == 2,
              let a = try? Architecture(name: "ghostnet", width: Double(last[0]) / Double(GhostNet.finalWidth), inChannels: stem[1],
                                        numClasses: fc[0]) else { return nil }
        let ok = a.build().namedParameters().allSatisfy { shapes[$0.0] == $0.1.shape || $0.0.hasSuffix("num_batches_tracked") }
        return ok ? a : nil
    }
}

import GhostModels
import GhostTensor

/// Emits a ResNet or Ghost-ResNet (any depth, stem, width, shortcut option, partly converted) as ONNX nodes.
/// Inside a block the first Ghost modules' `output_index` is folded into the next primary conv's weights; the
/// block's last module (whose output meets the shortcut) and a Ghost projection get one Gather each when their
/// index is not the plain order.
struct ResNetEmitter {
    let graph: ONNXGraphBuilder

    /// The logits value of `model` applied to `input`.
    func emit(_ model: ResNet, input: String) -> String {
        var y = graph.conv(input, FoldedConv(model.conv1, model.bn1), name: "conv1")
        y = graph.node("Relu", [y], name: "relu")
        if let mp = model.maxpool {
            y = graph.node("MaxPool", [y], name: "maxpool", [
                ONNXGraphBuilder.ints("kernel_shape", [mp.kernel, mp.kernel]),
                ONNXGraphBuilder.ints("strides", [mp.stride, mp.stride]),
                ONNXGraphBuilder.ints("pads", [mp.padding, mp.padding, mp.padding, mp.padding]),
            ])
        }
        for (i, stage) in model.stages.enumerated() {
            for (j, block) in stage.layers.enumerated() {
                y = emitBlock(block, y, name: "layer\(i + 1).\(j)")
            }
        }
        return graph.linearHead(y, model.fc, name: "fc")
    }

    private func emitBlock(_ block: Module, _ x: String, name: String) -> String {
        let main: String, shortcut: ShortcutPath
        switch block {
        case let b as BasicBlock:
            let h = convReLU(x, b.conv1, b.bn1, name: name, index: 1)
            main = graph.conv(h, FoldedConv(b.conv2, b.bn2), name: name + ".conv2")
            shortcut = b.shortcut
        case let b as Bottleneck:
            let h = convReLU(convReLU(x, b.conv1, b.bn1, name: name, index: 1), b.conv2, b.bn2, name: name, index: 2)
            main = graph.conv(h, FoldedConv(b.conv3, b.bn3), name: name + ".conv3")
            shortcut = b.shortcut
        case let b as GhostResNetBasicBlock:
            main = ghostChain([b.conv1, b.conv2], x, name: name)
            shortcut = b.shortcut
        case let b as GhostResNetBottleneck:
            main = ghostChain([b.conv1, b.conv2, b.conv3], x, name: name)
            shortcut = b.shortcut
        default:
            preconditionFailure("ResNet block \(type(of: block)) has no ONNX emitter")
        }
        let sum = graph.node("Add", [main, emitShortcut(shortcut, x, name: name + ".downsample")], name: name + ".add")
        return graph.node("Relu", [sum], name: name)
    }

    /// conv<index> + BN folded, then ReLU.
    private func convReLU(_ x: String, _ conv: Conv2D, _ bn: BatchNorm2D, name: String, index: Int) -> String {
        let y = graph.conv(x, FoldedConv(conv, bn), name: "\(name).conv\(index)")
        return graph.node("Relu", [y], name: "\(name).relu\(index)")
    }

    /// Ghost modules in sequence; each one's index folds into the next one's primary conv.
    private func ghostChain(_ modules: [GhostModule], _ x: String, name: String) -> String {
        var v = ChannelMappedValue(x, channels: modules[0].primaryConv.inChannels)
        for (k, g) in modules.enumerated() { v = graph.ghostModule(v, g, name: "\(name).conv\(k + 1)") }
        return graph.materialize(v, name: name + ".conv\(modules.count)")
    }

    private func emitShortcut(_ s: ShortcutPath, _ x: String, name: String) -> String {
        if let g = s.ghostProjection {
            return graph.materialize(graph.ghostModule(ChannelMappedValue(x, channels: g.primaryConv.inChannels), g,
                                                       name: name + ".0"), name: name + ".0")
        }
        if let p = s.projection, let conv = p.layers[0] as? Conv2D, let bn = p.layers[1] as? BatchNorm2D {
            return graph.conv(x, FoldedConv(conv, bn), name: name + ".0")
        }
        var y = x
        if s.stride > 1 {  // x[:, :, ::s, ::s]
            let starts = graph.constant(name + ".starts", int64: [0, 0], shape: [2])
            let ends = graph.constant(name + ".ends", int64: [Int64.max, Int64.max], shape: [2])
            let axes = graph.constant(name + ".axes", int64: [2, 3], shape: [2])
            let steps = graph.constant(name + ".steps", int64: [Int64(s.stride), Int64(s.stride)], shape: [2])
            y = graph.node("Slice", [y, starts, ends, axes, steps], name: name + ".subsample")
        }
        if s.padChannels > 0 {  // option A: zero channels, half before and the rest after
            let before = Int64(s.padChannels / 2), after = Int64(s.padChannels) - before
            let pads = graph.constant(name + ".pads", int64: [0, before, 0, 0, 0, after, 0, 0], shape: [8])
            y = graph.node("Pad", [y, pads], name: name + ".pad")
        }
        return y
    }
}

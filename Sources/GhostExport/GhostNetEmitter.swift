import GhostModels
import GhostTensor

/// Emits a GhostNet (any width, stem, activation; SE with hard-sigmoid or sigmoid gate, or ECA) as ONNX nodes.
/// Ghost modules there use the plain slice 0..<n, and n = 2m (channel counts are multiples of 4): no Gather, no Slice.
struct GhostNetEmitter {
    let graph: ONNXGraphBuilder

    /// The logits value of `model` applied to `input`.
    func emit(_ model: GhostNet, input: String) -> String {
        var y = graph.conv(input, FoldedConv(model.convStem, model.bn1), name: "conv_stem")
        y = graph.activation(y, model.act1.kind, slope: model.act1.slope, name: "act1")
        for (i, stage) in model.stages.enumerated() {
            for (j, block) in stage.layers.enumerated() {
                guard let b = block as? GhostBottleneck else {
                    preconditionFailure("GhostNet block \(type(of: block)) has no ONNX emitter")
                }
                y = emitBottleneck(b, y, name: "blocks.\(i).\(j)")
            }
        }
        let last = model.lastConv
        y = graph.conv(y, FoldedConv(last.conv, last.bn), name: "blocks.9.0.conv")
        y = graph.activation(y, last.act.kind, slope: last.act.slope, name: "blocks.9.0.act1")
        y = graph.node("GlobalAveragePool", [y], name: "global_pool")
        y = graph.conv(y, FoldedConv(model.convHead), name: "conv_head")
        y = graph.activation(y, model.act2.kind, slope: model.act2.slope, name: "act2")
        return graph.linearHead(y, model.classifier, pooled: true, name: "classifier")
    }

    private func emitBottleneck(_ b: GhostBottleneck, _ x: String, name: String) -> String {
        var v = graph.ghostModule(ChannelMappedValue(x, channels: b.ghost1.primaryConv.inChannels), b.ghost1,
                                  name: name + ".ghost1")
        if let c = b.convDW, let bn = b.bnDW {
            v = ChannelMappedValue(graph.conv(v, FoldedConv(c, bn), name: name + ".conv_dw"), channels: c.outChannels)
        }
        if let se = b.attention as? SqueezeExcite {
            let y = graph.materialize(v, name: name + ".ghost1")
            var s = graph.node("GlobalAveragePool", [y], name: name + ".se.pool")
            s = graph.node("Relu", [graph.conv(s, FoldedConv(se.convReduce), name: name + ".se.conv_reduce")],
                           name: name + ".se.act1")
            s = graph.conv(s, FoldedConv(se.convExpand), name: name + ".se.conv_expand")
            s = graph.activation(s, se.gate.kind, name: name + ".se.gate")
            v = ChannelMappedValue(graph.node("Mul", [y, s], name: name + ".se"), channels: se.channels)
        } else if let eca = b.attention as? ECA {
            v = ChannelMappedValue(emitECA(eca, graph.materialize(v, name: name + ".ghost1"), channels: v.channels,
                                           name: name + ".eca"), channels: v.channels)
        }
        let main = graph.materialize(graph.ghostModule(v, b.ghost2, name: name + ".ghost2"), name: name + ".ghost2")
        var shortcut = x
        if let s = b.shortcut, let dw = s.layers[0] as? Conv2D, let bn0 = s.layers[1] as? BatchNorm2D,
           let pw = s.layers[2] as? Conv2D, let bn1 = s.layers[3] as? BatchNorm2D {
            shortcut = graph.conv(graph.conv(x, FoldedConv(dw, bn0), name: name + ".shortcut.0"), FoldedConv(pw, bn1),
                                  name: name + ".shortcut.2")
        }
        return graph.node("Add", [main, shortcut], name: name)
    }

    /// ECA: pool → [N, 1, C] → Conv1d(1, 1, k, pad k/2, no bias) → sigmoid → [N, C, 1, 1] → x · gate.
    private func emitECA(_ eca: ECA, _ x: String, channels: Int, name: String) -> String {
        let k = eca.kernelSize
        let pooled = graph.node("GlobalAveragePool", [x], name: name + ".pool")
        let rowShape = graph.constant(name + ".row_shape", int64: [-1, 1, Int64(channels)], shape: [3])
        let row = graph.node("Reshape", [pooled, rowShape], name: name + ".row")
        let w = graph.constant(name + ".conv.weight", eca.weight.value.scalars, shape: [1, 1, k])
        let z = graph.node("Conv", [row, w], name: name + ".conv", [
            ONNXGraphBuilder.ints("kernel_shape", [k]), ONNXGraphBuilder.ints("pads", [k / 2, k / 2]),
        ])
        let gate = graph.node("Sigmoid", [z], name: name + ".gate")
        let mapShape = graph.constant(name + ".map_shape", int64: [-1, Int64(channels), 1, 1], shape: [4])
        return graph.node("Mul", [x, graph.node("Reshape", [gate, mapShape], name: name + ".gate_map")], name: name)
    }
}

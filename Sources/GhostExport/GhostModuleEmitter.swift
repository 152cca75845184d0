import GhostModels
import GhostTensor

extension ONNXGraphBuilder {
    /// A Ghost module in eval mode: primary conv (+BN folded) (+ReLU) → depthwise cheap conv (+BN folded)
    /// (+ReLU) → Concat. The result still carries the module's `output_index` as a channel map, so that a
    /// following dense conv folds it into its weights; `materialize` turns it into one Gather otherwise.
    /// A module with s = 1 (no ghosts: a conv a guided conversion left plain) is its primary conv alone.
    public func ghostModule(_ x: ChannelMappedValue, _ g: GhostModule, name: String) -> ChannelMappedValue {
        var x1 = conv(x, FoldedConv(g.primaryConv, g.primaryBN), name: name + ".primary_conv")
        if g.relu { x1 = node("Relu", [x1], name: name + ".primary_conv.relu") }
        guard g.hasGhosts else { return ChannelMappedValue(x1, map: g.index, sourceChannels: g.intrinsicChannels) }
        var x2 = conv(x1, FoldedConv(g.cheapConv, g.cheapBN), name: name + ".cheap_operation")
        if g.relu { x2 = node("Relu", [x2], name: name + ".cheap_operation.relu") }
        let cat = node("Concat", [x1, x2], name: name + ".concat", [Self.int("axis", 1)])
        return ChannelMappedValue(cat, map: g.index, sourceChannels: g.intrinsicChannels + g.cheapConv.outChannels)
    }

    /// Global average pooling, flatten and a Linear layer (Gemm with the [out, in] weight transposed).
    public func linearHead(_ x: String, _ fc: Linear, pooled: Bool = false, name: String) -> String {
        let p = pooled ? x : node("GlobalAveragePool", [x], name: "pool")
        let flat = node("Flatten", [p], name: name + ".flatten", [Self.int("axis", 1)])
        let w = constant(name + ".weight", fc.weight.value.scalars, shape: fc.weight.shape)
        let outF = fc.weight.shape[0]
        let b = constant(name + ".bias", fc.bias?.value.scalars ?? [Float](repeating: 0, count: outF), shape: [outF])
        return node("Gemm", [flat, w, b], name: name, [Self.int("transB", 1)])
    }
}

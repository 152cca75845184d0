/// A graph value whose channels are not yet in their final order: channel c of the value meant is channel
/// `map[c]` of the value `name` (which has `sourceChannels` channels). This is how a Ghost module's
/// `output_index` travels: a dense conv reading it folds the map into its weights (exact, no operator), any
/// other consumer materialises it with one Gather (or a Slice when the map is the plain prefix 0..<n).
public struct ChannelMappedValue {
    public let name: String
    /// nil: the value is already in order.
    public let map: [Int]?
    public let sourceChannels: Int

    /// A value in order.
    public init(_ name: String, channels: Int) {
        self.name = name
        map = nil
        sourceChannels = channels
    }

    /// A value that still needs `map` applied.
    public init(_ name: String, map: [Int], sourceChannels: Int) {
        self.name = name
        self.map = map
        self.sourceChannels = sourceChannels
    }

    /// Channels of the value meant.
    public var channels: Int { map?.count ?? sourceChannels }

    /// Whether the map is the identity on all source channels (nothing to do).
    public var isInOrder: Bool { map.map { $0 == Array(0..<sourceChannels) } ?? true }

    /// Whether the map is the prefix 0..<n of the source (a Slice suffices).
    public var isPrefix: Bool { map.map { $0 == Array(0..<$0.count) } ?? true }
}

extension ONNXGraphBuilder {
    /// The value with its channel map applied: itself, a Slice on the channel axis, or one Gather.
    public func materialize(_ v: ChannelMappedValue, name: String) -> String {
        guard let map = v.map, !v.isInOrder else { return v.name }
        if v.isPrefix {
            let starts = constant(name + ".starts", int64: [0], shape: [1])
            let ends = constant(name + ".ends", int64: [Int64(map.count)], shape: [1])
            let axes = constant(name + ".axes", int64: [1], shape: [1])
            return node("Slice", [v.name, starts, ends, axes], name: name + ".slice")
        }
        let index = constant(name + ".output_index", int64: map.map(Int64.init), shape: [map.count])
        return node("Gather", [v.name, index], name: name + ".gather", [Self.int("axis", 1)])
    }

    /// Conv reading a possibly channel-mapped value: a dense conv folds the map into its weights, a grouped
    /// one reads the materialised value.
    public func conv(_ x: ChannelMappedValue, _ c: FoldedConv, name: String) -> String {
        if let map = x.map, c.groups == 1, !x.isInOrder {
            return conv(x.name, c.readingThrough(map: map, sourceChannels: x.sourceChannels), name: name)
        }
        return conv(materialize(x, name: name + ".input"), c, name: name)
    }
}

import Foundation
import SwiftProtobuf

/// Accumulates the nodes and initialisers of one ONNX graph: every helper appends one standard operator
/// (opset `ONNXGraphBuilder.opset`) and returns the name of its output value.
public final class ONNXGraphBuilder {
    /// The default-domain operator set the graph uses (HardSwish needs 14; 17 is widely supported).
    public static let opset: Int64 = 17
    /// IR version 8 (ONNX 1.10+): what ONNX Runtime accepts for opset 17.
    public static let irVersion: Int64 = 8

    public private(set) var nodes: [Onnx_NodeProto] = []
    public private(set) var initializers: [Onnx_TensorProto] = []
    private var used: [String: Int] = [:]

    public init() {}

    /// A value name unique in the graph, made from `hint` ("layer1.0.conv1" → "layer1.0.conv1", then "…_1").
    public func fresh(_ hint: String) -> String {
        let n = used[hint, default: 0]
        used[hint] = n + 1
        return n == 0 ? hint : "\(hint)_\(n)"
    }

    /// A float32 initialiser.
    public func constant(_ hint: String, _ values: [Float], shape: [Int]) -> String {
        precondition(values.count == shape.reduce(1, *), "initialiser \(hint): \(values.count) values for \(shape)")
        var t = Onnx_TensorProto()
        t.name = fresh(hint)
        t.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        t.dims = shape.map(Int64.init)
        t.rawData = values.withUnsafeBufferPointer { Data(buffer: $0) }  // little-endian on every supported host
        initializers.append(t)
        return t.name
    }

    /// An int64 initialiser.
    public func constant(_ hint: String, int64 values: [Int64], shape: [Int]) -> String {
        var t = Onnx_TensorProto()
        t.name = fresh(hint)
        t.dataType = Int32(Onnx_TensorProto.DataType.int64.rawValue)
        t.dims = shape.map(Int64.init)
        t.rawData = values.withUnsafeBufferPointer { Data(buffer: $0) }
        initializers.append(t)
        return t.name
    }

    /// Appends `op` reading `inputs`; its one output is named after `name`.
    @discardableResult
    public func node(_ op: String, _ inputs: [String], name: String,
                     _ attributes: [Onnx_AttributeProto] = []) -> String {
        var n = Onnx_NodeProto()
        n.opType = op
        n.name = fresh(name + "/" + op)
        n.input = inputs
        let out = fresh(name)
        n.output = [out]
        n.attribute = attributes
        nodes.append(n)
        return out
    }

    /// An integer-list attribute.
    public static func ints(_ name: String, _ v: [Int]) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .ints
        a.ints = v.map(Int64.init)
        return a
    }

    /// An integer attribute.
    public static func int(_ name: String, _ v: Int) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .int
        a.i = Int64(v)
        return a
    }

    /// A float attribute.
    public static func float(_ name: String, _ v: Float) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .float
        a.f = v
        return a
    }

    /// Conv with a folded weight and bias.
    public func conv(_ x: String, _ c: FoldedConv, name: String) -> String {
        let w = constant(name + ".weight", c.weight, shape: c.shape)
        let b = constant(name + ".bias", c.bias, shape: [c.outChannels])
        return node("Conv", [x, w, b], name: name, [
            Self.ints("kernel_shape", [c.shape[2], c.shape[3]]), Self.ints("strides", [c.stride.0, c.stride.1]),
            Self.ints("pads", [c.padding.0, c.padding.1, c.padding.0, c.padding.1]), Self.int("group", c.groups),
        ])
    }

    /// A tensor-typed graph input or output, float32 with these dimensions.
    public static func valueInfo(_ name: String, dims: [ONNXDimension]) -> Onnx_ValueInfoProto {
        var shape = Onnx_TensorShapeProto()
        shape.dim = dims.map { d in
            var dim = Onnx_TensorShapeProto.Dimension()
            switch d {
            case let .fixed(v): dim.dimValue = Int64(v)
            case let .symbolic(s): dim.dimParam = s
            }
            return dim
        }
        var tensor = Onnx_TypeProto.Tensor()
        tensor.elemType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        tensor.shape = shape
        var type = Onnx_TypeProto()
        type.tensorType = tensor
        var info = Onnx_ValueInfoProto()
        info.name = name
        info.type = type
        return info
    }

    /// The finished model: one graph from `input` to `output`, metadata as key/value pairs in order.
    public func model(graphName: String, input: Onnx_ValueInfoProto, output: Onnx_ValueInfoProto, outputValue: String,
                      metadata: [(String, String)], producerVersion: String) -> Onnx_ModelProto {
        var g = Onnx_GraphProto()
        g.name = graphName
        g.node = nodes
        g.initializer = initializers
        g.input = [input]
        // The last node's output is renamed to the graph output's name.
        if let i = g.node.lastIndex(where: { $0.output.contains(outputValue) }) { g.node[i].output = [output.name] }
        g.output = [output]
        var opset = Onnx_OperatorSetIdProto()
        opset.domain = ""
        opset.version = Self.opset
        var m = Onnx_ModelProto()
        m.irVersion = Self.irVersion
        m.opsetImport = [opset]
        m.producerName = "ghostkit"
        m.producerVersion = producerVersion
        m.graph = g
        m.metadataProps = metadata.map { k, v in
            var e = Onnx_StringStringEntryProto()
            e.key = k
            e.value = v
            return e
        }
        return m
    }
}

/// One dimension of a graph input or output: a fixed size or a named symbolic one ("batch").
public enum ONNXDimension: Equatable {
    case fixed(Int)
    case symbolic(String)
}

import Foundation
import GhostCheckpoint
import GhostData
import GhostIO
import GhostModels
import GhostTensor
import SwiftProtobuf

/// What an exported model carries beside its weights: preprocessing and class names, written to the ONNX
/// `metadata_props` (and to the PyTorch module file).
public struct ExportMetadata {
    /// Per-channel mean and std the model expects its input normalised with (nil: none stored in the checkpoint).
    public var normalization: Normalization?
    public var classNames: [String]
    /// The checkpoint's file name and architecture JSON.
    public var source: String
    public var architecture: Architecture

    /// Refuses what neither exporter writes yet, rather than a file whose outputs would differ from GhostKit's:
    /// a ResNet stem conv with a bias.
    public func checkSupported() throws {
        if architecture.resnet?.stemBias == true {
            throw GhostError("\(architecture.displayName) has a stem-conv bias, which export does not write yet")
        }
    }

    public init(normalization: Normalization?, classNames: [String], source: String, architecture: Architecture) {
        self.normalization = normalization
        self.classNames = classNames
        self.source = source
        self.architecture = architecture
    }

    /// Compact JSON of `v` ("/" unescaped).
    static func json<T: Encodable>(_ v: T) -> String {
        let enc = JSONEncoder()
        enc.outputFormatting = [.withoutEscapingSlashes]
        return String(decoding: (try? enc.encode(v)) ?? Data("null".utf8), as: UTF8.self)
    }

    /// Key/value pairs in a fixed order; lists as JSON arrays.
    public var pairs: [(String, String)] {
        let json = { (v: [Float]) in Self.json(v) }
        var out: [(String, String)] = [("ghostkit.arch", architecture.json), ("ghostkit.source", source),
                                       ("class_names", Self.json(classNames))]
        if let n = normalization {
            out += [("normalization.mean", json(n.mean)), ("normalization.std", json(n.std))]
        } else {
            out.append(("normalization", "none stored in the checkpoint"))
        }
        return out
    }
}

/// Turns a GhostKit model into an ONNX model (opset 17, BN folded, dynamic batch; input "input"
/// [batch, C, height, width], output "logits" [batch, classes]) and writes it atomically.
public enum ONNXExporter {
    /// Name of the graph input and output.
    public static let inputName = "input", outputName = "logits"

    /// The ONNX model of `model` (eval mode is assumed: BN uses its running statistics).
    public static func model(_ model: ImageClassifier, metadata: ExportMetadata) throws -> Onnx_ModelProto {
        let graph = ONNXGraphBuilder()
        let logits: String
        switch model {
        case let r as ResNet: logits = ResNetEmitter(graph: graph).emit(r, input: inputName)
        case let g as GhostNet: logits = GhostNetEmitter(graph: graph).emit(g, input: inputName)
        default: throw GhostError("no ONNX exporter for model family \(type(of: model))")
        }
        let arch = metadata.architecture
        let input = ONNXGraphBuilder.valueInfo(inputName, dims: [.symbolic("batch"), .fixed(arch.inChannels),
                                                                 .symbolic("height"), .symbolic("width")])
        let output = ONNXGraphBuilder.valueInfo(outputName, dims: [.symbolic("batch"), .fixed(arch.numClasses)])
        return graph.model(graphName: arch.displayName, input: input, output: output, outputValue: logits,
                           metadata: metadata.pairs, producerVersion: "GhostExport 1")
    }

    /// Serialises and writes atomically (temp file + rename: a failure leaves no partial file).
    public static func write(_ model: ImageClassifier, metadata: ExportMetadata, to path: String) throws {
        try metadata.checkSupported()
        let bytes: Data
        do { bytes = try self.model(model, metadata: metadata).serializedData() } catch let e as GhostError {
            throw e
        } catch {
            throw GhostError.file(path, "cannot serialise the ONNX model: \(error)")
        }
        try AtomicFile.write(bytes, to: path)
    }
}

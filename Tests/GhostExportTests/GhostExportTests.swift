import Foundation
import GhostCheckpoint
import GhostExport
import GhostModels
import GhostTensor
import GhostTestSupport
import XCTest

/// Export invariants checked without Python: BN folding and output_index folding are exact rewrites of what
/// GhostKit computes (GhostKit's conv, BN and gather are checked against PyTorch fixtures in their own tests), and
/// the exported graph is standard ONNX with the promised names, metadata and operators. The ONNX Runtime run is
/// tools/check_onnx.py (CI).
final class GhostExportTests: XCTestCase {
    private func random(_ shape: [Int], _ rng: inout SplitMix64, bound: Float = 1) -> Tensor {
        Tensor(uniform: shape, bound: bound, rng: &rng)
    }

    private func maxAbsDiff(_ a: Tensor, _ b: Tensor) -> Float {
        XCTAssertEqual(a.shape, b.shape)
        return zip(a.scalars, b.scalars).map { abs($0 - $1) }.max() ?? 0
    }

    /// A BN with non-trivial running statistics and affine parameters.
    private func randomBN(_ c: Int, _ rng: inout SplitMix64) -> BatchNorm2D {
        let bn = BatchNorm2D(c)
        bn.weight.value = random([c], &rng)
        bn.bias.value = random([c], &rng)
        bn.runningMean.value = random([c], &rng)
        bn.runningVar.value = Tensor(shape: [c], values: random([c], &rng).scalars.map { $0 * $0 + 0.1 })
        bn.train(false)
        return bn
    }

    func testFoldedConvEqualsConvThenBatchNorm() {
        var rng = SplitMix64(seed: 7)
        for (groups, bias) in [(1, false), (4, false), (1, true)] {
            let conv = Conv2D(8, 12, kernel: 3, stride: 2, padding: 1, groups: groups, bias: bias, rng: &rng)
            let bn = randomBN(12, &rng)
            let x = random([2, 8, 9, 7], &rng)
            let reference = bn(conv(x))
            let f = FoldedConv(conv, bn)
            let folded = Conv2D(weight: Tensor(shape: f.shape, values: f.weight),
                                bias: Tensor(shape: [12], values: f.bias), stride: f.stride, padding: f.padding,
                                groups: f.groups)
            XCTAssertLessThan(maxAbsDiff(folded(x), reference), 1e-5, "groups \(groups), bias \(bias)")
        }
    }

    func testChannelMapFoldedIntoConvIsExact() {
        var rng = SplitMix64(seed: 11)
        let source = random([2, 6, 5, 5], &rng)
        let map = [5, 0, 0, 3, 2]  // a repeat, a cut channel (1, 4) and a permutation
        let gathered = Elementwise.gatherChannels([source], index: map)
        let conv = Conv2D(5, 4, kernel: 3, padding: 1, bias: true, rng: &rng)
        let f = FoldedConv(conv).readingThrough(map: map, sourceChannels: 6)
        XCTAssertEqual(f.shape, [4, 6, 3, 3])
        let folded = Conv2D(weight: Tensor(shape: f.shape, values: f.weight), bias: Tensor(shape: [4], values: f.bias),
                            stride: f.stride, padding: f.padding)
        XCTAssertLessThan(maxAbsDiff(folded(source), conv(gathered)), 1e-5)
    }

    /// A Ghost-ResNet-20 (option A, s = 3: m·s > n, so cut channels) with permuted output_index buffers.
    private func permutedGhostResNet() throws -> (ImageClassifier, Architecture, permutedLast: Int) {
        var arch = try Architecture(name: "ghost-resnet20", inChannels: 1, numClasses: 10)
        arch.ghost = GhostSettings(s: 3, d: 3, blocks: ["layer1.0", "layer2.0", "layer3.2"])
        let model = arch.build(seed: 3)
        model.train(false)
        var rng = SplitMix64(seed: 5)
        var permutedLast = 0
        for (name, m) in model.namedModules() {
            guard let g = m as? GhostModule else { continue }
            var idx = Array(0..<(g.intrinsicChannels * g.s))
            for i in stride(from: idx.count - 1, to: 0, by: -1) { idx.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
            g.outputIndex.value = Tensor(shape: [g.outChannels], values: idx.prefix(g.outChannels).map(Float.init))
            if name.hasSuffix("conv2") { permutedLast += 1 }
        }
        return (model, arch, permutedLast)
    }

    func testExportedGraphIsStandardONNXWithOneGatherPerBlockOutput() throws {
        let (model, arch, permutedLast) = try permutedGhostResNet()
        let meta = ExportMetadata(normalization: .init(mean: [0.286], std: [0.353]),
                                  classNames: (0..<10).map { "c\($0)" }, source: "test", architecture: arch)
        let bytes = try ONNXExporter.model(model, metadata: meta).serializedBytes() as [UInt8]
        let decoded = try Onnx_ModelProto(serializedBytes: bytes)
        XCTAssertEqual(decoded.opsetImport.map(\.version), [17])
        let ops = decoded.graph.node.map(\.opType)
        let standard: Set = ["Conv", "Relu", "Add", "Concat", "Gather", "Slice", "Pad", "GlobalAveragePool", "Flatten",
                             "Gemm"]
        XCTAssertTrue(Set(ops).isSubset(of: standard), "unexpected operators \(Set(ops).subtracting(standard))")
        XCTAssertFalse(ops.contains("BatchNormalization"))
        // conv1's index folds into conv2's weights; only the block outputs (conv2) need a Gather.
        XCTAssertEqual(ops.filter { $0 == "Gather" }.count, permutedLast)
        XCTAssertEqual(ops.filter { $0 == "Concat" }.count, 6)
        XCTAssertEqual(ops.filter { $0 == "Pad" }.count, 2, "option A pads at layer2.0 and layer3.0")
        let input = decoded.graph.input[0]
        XCTAssertEqual(input.name, "input")
        XCTAssertEqual(input.type.tensorType.shape.dim[0].dimParam, "batch")
        XCTAssertEqual(input.type.tensorType.shape.dim[1].dimValue, 1)
        XCTAssertEqual(decoded.graph.output[0].name, "logits")
        XCTAssertEqual(decoded.graph.node.last?.output, ["logits"])
        let props = Dictionary(uniqueKeysWithValues: decoded.metadataProps.map { ($0.key, $0.value) })
        XCTAssertEqual(props["normalization.mean"], "[0.286]")
        XCTAssertEqual(props["class_names"], #"["c0","c1","c2","c3","c4","c5","c6","c7","c8","c9"]"#)
        XCTAssertEqual(props["ghostkit.arch"], arch.json)
        // Every initialiser a node reads exists, and every value a node reads was made before it.
        var known = Set(decoded.graph.initializer.map(\.name) + ["input"])
        for n in decoded.graph.node {
            for i in n.input { XCTAssertTrue(known.contains(i), "\(n.name) reads \(i) before it exists") }
            known.formUnion(n.output)
        }
    }

    func testGhostNetWithECAAndGELUUsesOnlyStandardOperators() throws {
        let config = GhostNetConfig(stem: .cifar, width: 0.25, activation: .gelu, attention: .eca)
        let arch = try Architecture(family: .ghostNet(config), inChannels: 3, numClasses: 5)
        let model = arch.build()
        model.train(false)
        let meta = ExportMetadata(normalization: nil, classNames: (0..<5).map(String.init), source: "t",
                                  architecture: arch)
        let ops = Set(try ONNXExporter.model(model, metadata: meta).graph.node.map(\.opType))
        XCTAssertTrue(ops.isSuperset(of: ["Erf", "Reshape", "Sigmoid", "Mul", "Concat"]), "\(ops)")
        // GhostNet's channel counts are multiples of 4, so n = 2m: the Concat is the module's output as it is.
        XCTAssertFalse(ops.contains("Gather") || ops.contains("Slice"), "\(ops)")
    }

    func testWriteToMissingDirectoryLeavesNothing() throws {
        let arch = try Architecture(name: "resnet20", inChannels: 1, numClasses: 10)
        let model = arch.build()
        let meta = ExportMetadata(normalization: nil, classNames: [], source: "t", architecture: arch)
        let dir = Fixtures.temporaryDirectory()
        XCTAssertThrowsError(try ONNXExporter.write(model, metadata: meta, to: dir + "/missing/m.onnx"))
        try ONNXExporter.write(model, metadata: meta, to: dir + "/m.onnx")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir)
        XCTAssertEqual(files, ["m.onnx"], "no temp file left behind")
    }

    /// A stem-conv bias is refused before anything is written, not exported wrongly.
    func testUnsupportedArchitecturesAreRefusedWithNothingWritten() throws {
        let config = ResNetConfig(depth: 20, layout: .cifar(shortcut: .zeroPad), stemBias: true)
        let arch = try Architecture(family: .resnet(config), inChannels: 1, numClasses: 10)
        let model = arch.build()
        let meta = ExportMetadata(normalization: nil, classNames: [], source: "t", architecture: arch)
        let dir = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        XCTAssertThrowsError(try ONNXExporter.write(model, metadata: meta, to: dir + "/m.onnx")) { e in
            XCTAssertTrue("\(e)".contains("stem-conv bias"), "\(e)")
        }
        XCTAssertThrowsError(try PyTorchExporter.write(model, metadata: meta, to: dir + "/m.py"))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), [])
    }
}

import Foundation
import GhostCheckpoint
import GhostIO
import GhostModels
import GhostTensor
import GhostTestSupport
import XCTest

/// Ghost-ResNets against PyTorch (tools/make_ghost_fixtures.py) and against the paper's sizes.
final class GhostResNetTests: XCTestCase {
    func checkLogits(_ name: String, params: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        let ckpt = try Checkpoint(path: Fixtures.path("\(name).weights.safetensors"))
        XCTAssertNotNil(ckpt.architecture.ghost, file: file, line: line)
        let (model, report) = try ckpt.makeModel()
        XCTAssertTrue(report.isExact, report.summary, file: file, line: line)
        XCTAssertEqual(model.parameterCount, params, "PyTorch's parameter count", file: file, line: line)
        let io = try Fixtures.tensors("\(name).io.safetensors")
        for t in [1, 2] {
            Engine.threads = t
            assertClose(model(io["input"]!), io["output"]!, "\(name) logits, \(t) threads", file: file, line: line)
            // Image by image with the weights packed once (batch-1 forwards are the ones that pack).
            for i in 0..<io["input"]!.shape[0] {
                let y = model.withPackedWeights { model(batchImage(i, of: io["input"]!)) }
                assertClose(
                    y, batchImage(i, of: io["output"]!), "\(name) logits of image \(i), packed weights, \(t) threads",
                    file: file, line: line)
            }
        }
        Engine.threads = Engine.defaultThreads
    }

    func testGhostResNet20OptionAMatchesPyTorch() throws { try checkLogits("ghost_resnet20_A", params: 138_826) }
    /// s = 3: m = ⌈n/3⌉ does not divide n, so the concat is sliced; 1×1 projections are Ghost modules too.
    func testGhostResNet50BottleneckS3D5MatchesPyTorch() throws { try checkLogits("ghost_resnet50_w8", params: 191_530) }

    /// Params and MACs of what the forward pass uses, against the paper (Tables 5 and 6).
    func testSizesNearThePaper() throws {
        func count(_ name: String, s: Int = 2, size: Int) throws -> (params: Double, macs: Double) {
            var a = try Architecture(name: name)
            a.ghost = GhostSettings(s: s, d: 3)
            var p = Profiler()
            _ = a.build().profile([1, 3, size, size], &p)
            return (Double(p.totalParams), Double(p.totalMACs))
        }
        let r50 = try count("resnet50", size: 224)
        XCTAssertEqual(r50.macs / 1e9, 2.2, accuracy: 0.1)   // paper 2.2 G
        XCTAssertEqual(r50.params / 1e6, 14.0, accuracy: 0.1) // paper 13.0 M: the 2.05 M fc is not halved here
        let r50s4 = try count("resnet50", s: 4, size: 224)
        XCTAssertEqual(r50s4.macs / 1e9, 1.2, accuracy: 0.05) // paper 1.2 G
        let r56 = try count("resnet56", size: 32)
        XCTAssertEqual(r56.params / 1e6, 0.43, accuracy: 0.02) // paper 0.43 M
        XCTAssertEqual(r56.macs / 1e6, 63, accuracy: 3)       // paper 63 M
    }

    /// Each stage reports the shape its blocks return (not the last leaf inside, a cheap operation's).
    func testProfiledStageOutputsAreTheBlockOutputs() throws {
        var p = Profiler()
        _ = try Architecture(name: "ghost-resnet18").build().profile([1, 3, 64, 64], &p)
        XCTAssertEqual(p.scopeOutputs["layer1"], [1, 64, 16, 16])
        XCTAssertEqual(p.scopeOutputs["layer4.1"], [1, 512, 2, 2])
        XCTAssertEqual(p.rows.last { $0.path.hasPrefix("layer1.") }?.outputShape, [1, 32, 16, 16])  // layer1.1.conv2's cheap op
    }

    /// A hostile output_index (outside the module's channels) is refused at load, not trusted at run time.
    func testOutOfRangeOutputIndexIsRefused() throws {
        let src = try SafetensorsFile(path: Fixtures.path("ghost_resnet20_A.weights.safetensors"))
        var tensors = try src.allTensors()
        let i = tensors.firstIndex { $0.0 == "layer1.0.conv1.output_index" }!
        tensors[i].1 = Tensor(shape: [16], values: [Float](repeating: 0, count: 15) + [99])
        let path = Fixtures.temporaryDirectory() + "/bad.safetensors"
        try SafetensorsFile.write(path: path, tensors: tensors.map {
            (name: $0.0, tensor: $0.1, dtype: $0.0.hasSuffix("output_index") || $0.0.hasSuffix("num_batches_tracked") ? SafetensorsDType.I64 : .F32)
        }, metadata: src.metadata)
        XCTAssertThrowsError(try Checkpoint(path: path).makeModel()) { error in
            XCTAssertTrue("\(error)".contains("layer1.0.conv1.output_index holds 99"), "\(error)")
        }
    }

    func testBadGhostSettingsAreRefused() throws {
        var a = try Architecture(name: "ghost-resnet20")
        XCTAssertEqual(a.ghost, GhostSettings(s: 2, d: 3))
        a.ghost = GhostSettings(s: 1, d: 3)
        XCTAssertThrowsError(try a.validate())
        a.ghost = GhostSettings(s: 2, d: 4)
        XCTAssertThrowsError(try a.validate())
        XCTAssertThrowsError(try Architecture(json: #"{"family":"resnet","depth":18,"stem":"cifar","width":1,"in_channels":1,"num_classes":10,"ghost":{"s":0,"d":3}}"#))
    }
}

import Foundation
import GhostCheckpoint
import GhostIO
import GhostModels
import GhostTensor
import GhostTestSupport
import XCTest

/// GhostNet: the paper's size, the official names and rounding, PyTorch parity (tools/make_ghostnet_fixtures.py)
/// in eval and training mode, the small-image variant, checkpoints and bad options.
final class GhostNetTests: XCTestCase {
    func profile(_ a: Architecture, side: Int) -> Profiler {
        var p = Profiler()
        _ = a.build().profile([1, a.inChannels, side, side], &p)
        return p
    }

    /// α = 1.0 at 224²: 5 182 508 params (PyTorch's count of the same model) and 141.15 M MACs; paper 5.2 M / 141 M.
    func testGhostNet1xMatchesThePaper() throws {
        let a = try Architecture(name: "ghostnet")
        let p = profile(a, side: 224)
        XCTAssertEqual(p.totalParams, 5_182_508)
        XCTAssertEqual(a.build().parameterCount, 5_182_508)
        XCTAssertEqual(p.totalMACs, 141_150_512)
        XCTAssertEqual(Double(p.totalMACs) / 1e6, 141, accuracy: 0.5)
        XCTAssertEqual(p.rows.last?.outputShape, [1, 1000])
        XCTAssertEqual(p.rows.first { $0.path == "blocks.8.3" }?.outputShape, [1, 160, 7, 7])
    }

    func testWidthRoundingAndNames() throws {
        let m = try Architecture(name: "ghostnet", width: 0.5).build()
        let shapes = Dictionary(uniqueKeysWithValues: m.namedParameters().map { ($0.0, $0.1.shape) })
        XCTAssertEqual(shapes["conv_stem.weight"], [8, 3, 3, 3])
        XCTAssertEqual(shapes["blocks.1.0.ghost1.primary_conv.0.weight"], [12, 8, 1, 1])   // 48·0.5 = 24 → m = 12
        XCTAssertEqual(shapes["blocks.3.0.se.conv_reduce.weight"], [12, 36, 1, 1])         // 72·0.5 = 36, 36/4 = 9 → 12
        XCTAssertEqual(shapes["blocks.9.0.conv.weight"], [480, 80, 1, 1])
        XCTAssertEqual(shapes["conv_head.weight"], [1280, 480, 1, 1])
        XCTAssertEqual(shapes["classifier.weight"], [1000, 1280])
        XCTAssertEqual(m.blockNames.count, 16)
        XCTAssertEqual(m.layerNames.suffix(4), ["blocks.9", "pool", "conv_head", "classifier"])
    }

    func testEvalLogitsMatchPyTorch() throws {
        let ckpt = try Checkpoint(path: Fixtures.path("ghostnet_w025.weights.safetensors"))
        let (model, report) = try ckpt.makeModel()
        XCTAssertTrue(report.isExact, report.summary)
        XCTAssertEqual(model.parameterCount, 507_956, "PyTorch's parameter count")
        let io = try Fixtures.tensors("ghostnet_w025.io.safetensors")
        var seen: [String] = []
        model.observer = { name, y in
            guard let ref = io[name] else { return }
            seen.append(name)
            assertClose(y, ref, "\(name) output")
        }
        _ = model(io["input"]!)
        model.observer = nil
        XCTAssertEqual(seen, ["stem"] + model.blockNames + ["blocks.9"])
        for t in [1, 2] {
            Engine.threads = t
            assertClose(model(io["input"]!), io["output"]!, "GhostNet-0.25× logits, \(t) threads")
        }
        Engine.threads = Engine.defaultThreads
    }

    /// One training-mode forward/backward against PyTorch: logits, loss, every gradient, the BN running stats.
    func testTrainingStepMatchesPyTorch() throws {
        let file = try SafetensorsFile(path: Fixtures.path("ghostnet_train.safetensors"))
        let t = Dictionary(try file.allTensors(), uniquingKeysWith: { a, _ in a })
        let model = try Architecture(json: file.metadata["ghostkit.arch"]!).build()
        var initial: [String: Tensor] = [:]
        for (k, v) in t where k.hasPrefix("init.") { initial[String(k.dropFirst(5))] = v }
        try model.load(stateDict: initial)
        model.train(true)
        let logits = model(t["input"]!)
        assertClose(logits, t["logits"]!, "training-mode logits")
        let (loss, grad) = CrossEntropy.lossAndGradient(logits: logits, targets: t["labels"]!.scalars.map { Int($0) })
        XCTAssertEqual(loss, t["loss"]!.scalars[0], accuracy: 1e-4)
        model.zeroGradients()
        _ = model.backward(grad)
        // Gradients that are zero in exact arithmetic (the bias of a BN feeding another batch-statistics BN through
        // a linear map) are rounding noise on both sides: they are compared on the scale of the largest gradient.
        let largest = model.trainableParameters().map { t["grad.\($0.0)"]!.maxAbs }.max()!
        for (name, p) in model.trainableParameters() {
            let ref = t["grad.\(name)"]!
            let scale = max(ref.maxAbs, 1e-3 * largest)
            let worst = zip(p.grad!.scalars, ref.scalars).map { abs($0 - $1) }.max()!
            XCTAssertLessThanOrEqual(worst, 1e-4 * scale, "grad \(name): max |Δ| = \(worst), max |ref| = \(ref.maxAbs)")
        }
        for (name, p) in model.namedParameters() where name.contains("running") {
            assertClose(p.value, t["after.\(name)"]!, "\(name) after the forward")
        }
    }

    /// --stem cifar keeps the four stride-2 G-bnecks: 28² → 28, 14, 7, 4, 2.
    func testSmallImageVariant() throws {
        let a = try Architecture(name: "ghostnet", stem: .cifar, inChannels: 1, numClasses: 10)
        let p = profile(a, side: 28)
        XCTAssertEqual(p.rows.first { $0.path == "conv_stem" }?.outputShape, [1, 16, 28, 28])
        XCTAssertEqual(p.rows.first { $0.path == "blocks.8.3" }?.outputShape, [1, 160, 2, 2])
        let m = a.build(seed: 1)
        XCTAssertEqual(m(Tensor(zeros: [2, 1, 28, 28])).shape, [2, 10])
    }

    func testCheckpointRoundTrip() throws {
        let config = GhostNetConfig(stem: .cifar, width: 0.25, activation: try Activation.Kind(name: "h-swish"),
                                    attention: try Attention(name: "eca", seRatio: nil, seGate: nil))
        let a = try Architecture(family: .ghostNet(config), inChannels: 1, numClasses: 10)
        let m = a.build(seed: 4)
        let path = Fixtures.temporaryDirectory() + "/g.safetensors"
        try Checkpoint.save(m, architecture: a, to: path)
        let ckpt = try Checkpoint(path: path)
        XCTAssertEqual(ckpt.architecture, a)
        let (back, report) = try ckpt.makeModel()
        XCTAssertTrue(report.isExact)
        XCTAssertTrue(back.namedParameters().contains { $0.0 == "blocks.3.0.eca.conv.weight" })
        var rng = SplitMix64(seed: 2)
        let x = Tensor(gaussian: [2, 1, 16, 16], std: 1, rng: &rng)
        m.train(false)
        XCTAssertEqual(back(x).scalars, m(x).scalars)
    }

    func testBadOptionsAreOneLineErrors() throws {
        XCTAssertThrowsError(try Architecture(name: "ghostnet", width: 0)) { e in
            XCTAssertEqual("\(e)", "GhostNet width multiplier α must be in (0, 16], got 0")
        }
        XCTAssertThrowsError(try Activation.Kind(name: "swish")) { e in
            XCTAssertEqual("\(e)", "unknown activation 'swish' (valid: relu, leaky-relu, gelu, sigmoid, hard-sigmoid, h-swish)")
        }
        var a = try Architecture(name: "ghostnet")
        a.family = .ghostNet(GhostNetConfig(attention: .se(ratio: 0.01, gate: .hardSigmoid)))
        XCTAssertThrowsError(try a.validate()) { e in XCTAssertTrue("\(e)".hasPrefix("SE ratio 0.01 leaves zero channels of 72"), "\(e)") }
        XCTAssertThrowsError(try Attention(name: "cbam", seRatio: nil, seGate: nil)) { e in XCTAssertEqual("\(e)", "unknown attention 'cbam' (valid: se, eca)") }
        let r = #"{"depth":18,"family":"resnet","stem":"imagenet","width":1,"in_channels":3,"num_classes":10,"activation":"gelu"}"#
        XCTAssertThrowsError(try Architecture(json: r))
    }
}

extension BlockGradientTests {
    func testWholeGhostNetInputGradient() throws {
        let model = try Architecture(name: "ghostnet", stem: .cifar, width: 0.1, inChannels: 1, numClasses: 5).build(seed: 3) as! GhostNet
        model.convStem.needsInputGradient = true
        directional(model, input: [2, 1, 16, 16])
    }
}

extension GhostNetTests {
    /// Official-name state dicts without metadata: the width is read off `blocks.9.0.conv` and every shape checked.
    func testArchitectureInferredFromOfficialNames() throws {
        let ckpt = try Checkpoint(path: Fixtures.path("ghostnet_w025.weights.safetensors"))
        XCTAssertEqual(Architecture.inferred(from: ckpt.tensors), try Architecture(name: "ghostnet", width: 0.25, numClasses: 10))
        let full = try Architecture(name: "ghostnet").build().stateDict()
        XCTAssertEqual(Architecture.inferred(from: full)?.ghostNet?.width, 1)
        XCTAssertNil(Architecture.inferred(from: full.filter { $0.0 != "blocks.3.0.se.conv_reduce.weight" }.map { ($0.0, $0.0 == "conv_head.weight" ? Tensor(zeros: [3]) : $0.1) }))
    }
}

import Foundation
import GhostCheckpoint
import GhostIO
import GhostModels
import GhostTensor
import GhostTestSupport
import XCTest

/// Checkpoints in the layouts of popular public code bases (tools/make_layout_fixtures.py) load without --arch
/// or --rename, as PyTorch's load_state_dict(strict=True) loads them, and give PyTorch's logits.
final class PublicLayoutTests: XCTestCase {
    static let cases: [(file: String, display: String)] = [
        ("akamaster_resnet8_A.th", "resnet8 (option A, 3→10)"),
        ("akamaster_resnet8_B.pth", "resnet8 (option B, 3→10)"),
        ("tv_cifar100_resnet8_B.pth", "resnet8 (option B, stem bias, 3→100)"),
        ("kuangliu_resnet18.pth", "resnet18 (cifar stem, width 0.0625, 3→10)"),
        ("tv_resnet50_w16_bias.pth", "resnet50 (width 0.0625, stem bias, 3→10)"),
    ]

    func testEveryLayoutLoadsWithoutFlagsAndGivesPyTorchLogits() throws {
        let io = try Fixtures.tensors("layouts/layouts.io.safetensors")
        for (file, display) in Self.cases {
            let stem = String(file[..<file.lastIndex(of: ".")!])
            let ckpt = try Checkpoint(path: Fixtures.path("layouts/" + file))
            XCTAssertEqual(ckpt.architectureSource, "the tensor shapes", file)
            XCTAssertEqual(ckpt.architecture.displayName, display, file)
            let (model, report) = try ckpt.makeModel()
            XCTAssertTrue(report.isExact, file)
            let x = try XCTUnwrap(io[stem + ".input"])
            assertClose(model(x), try XCTUnwrap(io[stem + ".output"]), relTol: 1e-5, file)
        }
    }

    /// akamaster's files predate num_batches_tracked: it is filled in with 0, as PyTorch does.
    func testMissingBatchCounterIsFilledIn() throws {
        let path = Fixtures.path("layouts/akamaster_resnet8_A.th")
        let ckpt = try Checkpoint(path: path, architecture: try Architecture(name: "resnet8"))
        XCTAssertFalse(ckpt.tensors.contains { $0.0.hasSuffix("num_batches_tracked") })
        XCTAssertEqual(ckpt.extras.map(\.0), ["best_prec1"])
        let (model, report) = try ckpt.makeModel()
        XCTAssertTrue(report.loaded.contains("bn1.num_batches_tracked"))
        let counter = try XCTUnwrap(model.namedParameters().first { $0.0 == "layer1.0.bn2.num_batches_tracked" })
        XCTAssertEqual(counter.1.value.scalars, [0])
    }

    /// A wrong --arch is one line naming what the file holds.
    func testWrongArchIsOneLine() throws {
        let path = Fixtures.path("layouts/akamaster_resnet8_A.th")
        for name in ["resnet50", "resnet20"] {
            let ckpt = try Checkpoint(path: path, architecture: try Architecture(name: name))
            XCTAssertThrowsError(try ckpt.makeModel()) { e in
                let expected = "file is resnet8 (option A, 3→10), not \(try! Architecture(name: name).displayName)"
                XCTAssertTrue("\(e)".hasSuffix(expected), "\(e)")
                XCTAssertFalse("\(e)".contains("missing keys"), "\(e)")
            }
        }
    }

    /// --arch without a stem bias on a file with one gets the bias added; the bias round-trips through the
    /// Architecture JSON, and files without one keep the JSON they always had.
    func testStemBiasRoundTrips() throws {
        let path = Fixtures.path("layouts/tv_cifar100_resnet8_B.pth")
        let flag = try Architecture(name: "resnet8", shortcut: .projection, numClasses: 100)
        let flagged = try Checkpoint(path: path, architecture: flag)
        XCTAssertEqual(flagged.architecture.resnet?.stemBias, true)
        let (model, _) = try flagged.makeModel()
        let dir = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Checkpoint.save(model, architecture: flagged.architecture, to: dir + "/m.safetensors")
        let back = try Checkpoint(path: dir + "/m.safetensors")
        XCTAssertEqual(back.architectureSource, "file metadata")
        XCTAssertEqual(back.architecture, flagged.architecture)
        XCTAssertTrue(back.architecture.json.contains("\"stem_bias\":true"), back.architecture.json)
        var rng = SplitMix64(seed: 5)
        let x = Tensor(uniform: [1, 3, 32, 32], bound: 1, rng: &rng)
        assertClose(try back.makeModel().model(x), model(x), relTol: 1e-6)
        XCTAssertFalse(try Architecture(name: "resnet20").json.contains("stem_bias"))
        let old = try SafetensorsFile(path: Fixtures.path("resnet18_w16.weights.safetensors"))
        XCTAssertEqual(try Architecture(json: try XCTUnwrap(old.metadata[Checkpoint.Key.architecture])).resnet?.stemBias,
                       false)
    }

    /// Ghost-ResNets and GhostNet are read off their shapes too (s, d, converted blocks; GhostNet's width).
    func testGhostFamiliesAreInferred() throws {
        for name in ["ghost_resnet20_A", "ghost_resnet50_w8", "ghostnet_w025"] {
            let file = try SafetensorsFile(path: Fixtures.path(name + ".weights.safetensors"))
            var stored = try Architecture(json: try XCTUnwrap(file.metadata[Checkpoint.Key.architecture]))
            let inferred = try Architecture.infer(from: try file.allTensors())
            if case .ghostNet(var g) = stored.family {
                XCTAssertTrue(inferred.notes.first?.contains("--stem cifar") == true, name)
                g.stem = .imagenet   // not in the weights: the note says so
                stored.family = .ghostNet(g)
            }
            XCTAssertEqual(inferred.architecture, stored, name)
        }
        // Some blocks converted: the list is read off which blocks hold Ghost modules.
        var partial = try Architecture(name: "ghost-resnet20")
        partial.ghost = GhostSettings(s: 3, d: 5, blocks: ["layer1.1", "layer3.0"])
        let tensors = partial.build().stateDict()
        XCTAssertEqual(try Architecture.infer(from: tensors).architecture, partial)
    }

    /// Names that fit no family give a reason and the flag, not a list of keys.
    func testUninferableKeysSayWhy() throws {
        var tensors = try Architecture(name: "resnet34", width: 0.0625).build().stateDict()
        tensors.removeAll { $0.0.hasPrefix("layer3.5.") }
        XCTAssertThrowsError(try Architecture.infer(from: tensors)) { e in
            XCTAssertTrue("\(e)".contains("stages of [3, 4, 5, 3] blocks"), "\(e)")
            XCTAssertTrue("\(e)".hasSuffix("pass --arch"), "\(e)")
        }
        let odd = [("conv1.weight", Tensor(zeros: [16, 3, 5, 5])), ("fc.weight", Tensor(zeros: [10, 16]))]
        XCTAssertThrowsError(try Architecture.infer(from: odd)) { e in XCTAssertTrue("\(e)".contains("7×7"), "\(e)") }
    }

    func testLayoutAliases() {
        XCTAssertEqual(StateDictKeys.layoutAlias("layer2.0.shortcut.1.running_var", linearHead: false),
                       "layer2.0.downsample.1.running_var")
        XCTAssertEqual(StateDictKeys.layoutAlias("linear.bias", linearHead: true), "fc.bias")
        XCTAssertEqual(StateDictKeys.layoutAlias("linear.bias", linearHead: false), "linear.bias")
        XCTAssertEqual(StateDictKeys.layoutAlias("blocks.0.shortcut.1.weight", linearHead: true),
                       "blocks.0.shortcut.1.weight")
    }
}

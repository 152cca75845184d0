import Foundation
import GhostCheckpoint
import GhostIO
import GhostModels
import GhostTensor
import GhostTestSupport
import XCTest

/// .pth files made by torch.save load through `Checkpoint` and give PyTorch's logits.
final class PyTorchCheckpointTests: XCTestCase {
    let arch = try! Architecture(name: "resnet18", width: 0.03125, numClasses: 10)

    func testEveryFormatGivesPyTorchLogits() throws {
        let io = try Fixtures.tensors("pth/r18.io.safetensors")
        let x = try XCTUnwrap(io["input"])
        let cases: [(String, String, [RenameRule])] = [
            ("r18.zip.pth", "output", []), ("r18.legacy.pth", "output", []), ("r18.noncontig.pth", "output", []),
            ("r18.deflated.pth", "output", []), ("r18.wrapped.pth", "output", [try RenameRule("linear=fc")]),
            ("r18.f16.pth", "output_f16", []), ("r18.bf16.pth", "output_bf16", []),
        ]
        for (file, reference, renames) in cases {
            let ckpt = try Checkpoint(path: Fixtures.path("pth/" + file), architecture: arch, renames: renames)
            let (model, report) = try ckpt.makeModel()
            XCTAssertTrue(report.isExact, file)
            assertClose(model(x), try XCTUnwrap(io[reference]), relTol: 1e-4, file)
        }
    }

    func testWrapperExtrasAndSuggestions() throws {
        let path = Fixtures.path("pth/r18.wrapped.pth")
        let ckpt = try Checkpoint(path: path, architecture: arch)
        XCTAssertEqual(ckpt.format, "PyTorch legacy")
        XCTAssertEqual(ckpt.extras.map(\.0), ["best_prec1", "epoch", "arch"])
        XCTAssertEqual(ckpt.extras.first?.1, "91.5")
        XCTAssertFalse(ckpt.tensors.contains { $0.0.hasPrefix("module.") })
        // The head "linear" is torchvision's "fc" without --rename, and the architecture is read off the shapes.
        XCTAssertTrue(try ckpt.makeModel().report.isExact)
        XCTAssertEqual(try Checkpoint(path: path).architecture, arch)
        // A head under another name is not guessed: the suggestion names the rename.
        let renamed = try Checkpoint(path: path, architecture: arch, renames: [try RenameRule("fc=head")])
        XCTAssertThrowsError(try renamed.makeModel()) { e in
            let m = "\(e)"
            XCTAssertTrue(m.contains("missing keys: fc.weight, fc.bias"), m)
            XCTAssertTrue(m.contains("unexpected keys: head.bias, head.weight"), m)
            XCTAssertTrue(m.contains("fc.weight ← head.weight"), m)
            XCTAssertTrue(m.contains("--rename head=fc"), m)
        }
        let (_, report) = try renamed.makeModel(strict: false)
        XCTAssertEqual(report.missing, ["fc.weight", "fc.bias"])
        XCTAssertThrowsError(try Checkpoint(path: path, renames: [try RenameRule("fc=head")])) { e in
            XCTAssertTrue("\(e)".contains("pass --arch"), "\(e)")
        }
    }

    /// Without --arch, a plain ResNet's architecture is read off its keys and shapes (torchvision, CIFAR stem, CIFAR A/B).
    func testArchitectureInference() throws {
        let ckpt = try Checkpoint(path: Fixtures.path("pth/r18.zip.pth"))
        XCTAssertEqual(ckpt.architecture, arch)
        XCTAssertEqual(ckpt.architectureSource, "the tensor shapes")
        for name in ["resnet18_w16", "resnet50_w8", "resnet18_cifar_w16", "cifar_resnet20_A", "cifar_resnet20_B"] {
            let file = try SafetensorsFile(path: Fixtures.path(name + ".weights.safetensors"))
            let stored = try Architecture(json: try XCTUnwrap(file.metadata[Checkpoint.Key.architecture]))
            XCTAssertEqual(Architecture.inferred(from: try file.allTensors()), stored, name)
        }
        let ghost = try SafetensorsFile(path: Fixtures.path("ghost_resnet20_A.weights.safetensors"))
        XCTAssertEqual(Architecture.inferred(from: try ghost.allTensors())?.ghost, GhostSettings(s: 2, d: 3))
    }

    func testRenameRules() throws {
        XCTAssertEqual(try RenameRule("linear=fc").apply("linear.weight"), "fc.weight")
        XCTAssertNil(try RenameRule("linear=fc").apply("fc.weight"))
        XCTAssertEqual(try RenameRule("module.=").apply("module.conv1.weight"), "conv1.weight")
        XCTAssertEqual(try RenameRule("layers.*.conv*=layer*.conv*").apply("layers.1.0.conv2.weight"), "layer1.0.conv2.weight")
        XCTAssertEqual(try RenameRule("*.gamma=*.weight").apply("layer1.0.bn1.gamma"), "layer1.0.bn1.weight")
        XCTAssertNil(try RenameRule("*.gamma=*.weight").apply("layer1.0.bn1.beta"))
        XCTAssertThrowsError(try RenameRule("nothing"))
        XCTAssertThrowsError(try RenameRule("a=*b"))
        XCTAssertThrowsError(try StateDictKeys.normalise([("module.a", 1), ("a", 2)], renames: [], name: "f")) { e in
            XCTAssertTrue("\(e)".contains("both become \"a\""), "\(e)")
        }
        XCTAssertEqual(StateDictKeys.editDistance("kitten", "sitting"), 3)
        XCTAssertEqual(StateDictKeys.editDistance("", "abc"), 3)
    }

    /// The state dict is found inside common wrappers, or as the only dict of tensors.
    func testFindsTheStateDict() throws {
        let t = TorchValue.tensor(Tensor(zeros: [2]), dtype: .F32)
        let sd = TorchValue.dict([("w", t)])
        for (root, extra) in [(TorchValue.dict([("model", sd), ("epoch", .scalar("3"))]), "epoch"),
                              (.dict([("weights_only_here", sd), ("note", .scalar("x"))]), "note"), (sd, "")] {
            let (tensors, extras) = try StateDictKeys.extract(root, name: "f")
            XCTAssertEqual(tensors.map(\.0), ["w"])
            XCTAssertEqual(extras.map(\.0), extra.isEmpty ? [] : [extra])
        }
        XCTAssertThrowsError(try StateDictKeys.extract(.dict([("a", sd), ("b", sd)]), name: "f")) { e in
            XCTAssertTrue("\(e)".contains("several dicts of tensors"), "\(e)")
        }
        XCTAssertThrowsError(try StateDictKeys.extract(.dict([("epoch", .scalar("3"))]), name: "f")) { e in
            XCTAssertTrue("\(e)".contains("no state dict"), "\(e)")
        }
    }
}

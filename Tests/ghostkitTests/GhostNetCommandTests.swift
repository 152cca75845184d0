import Foundation
import GhostIO
import GhostModels
import GhostTestSupport
import GhostTrain
import XCTest

/// `ghostkit info/train/eval/convert` with `--arch ghostnet`, and the optimiser flags of `train`.
final class GhostNetCommandTests: XCTestCase {
    var dir = ""
    override func setUpWithError() throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: CLI.binary), "ghostkit binary not built at \(CLI.binary)")
        dir = Fixtures.temporaryDirectory()
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    /// The paper's GhostNet-1.0×: 5.2 M params, 141 M MACs at 224².
    func testInfoReportsThePaperSize() throws {
        let r = try CLI.run(["info", "--arch", "ghostnet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("5.2 M params (5182508), 141.2 M MACs (141150512) per image at 224×224"), r.stdout)
        XCTAssertTrue(r.stdout.contains("blocks.8"), r.stdout)
        let small = try CLI.run(["info", "--arch", "ghostnet", "--stem", "cifar", "--width", "0.5", "--in-channels", "1",
                                 "--num-classes", "10", "--input-size", "28", "--layers"])
        XCTAssertEqual(small.status, 0, small.stderr)
        XCTAssertTrue(small.stdout.contains("ghostnet (cifar stem, width 0.5, 1→10)"), small.stdout)
        XCTAssertTrue(small.stdout.contains("blocks.6.4.se.conv_reduce"), small.stdout)
    }

    func testBadInputsGiveOneLineErrors() throws {
        let cases: [([String], String)] = [
            (["info", "--arch", "ghostnet", "--width", "0"], "GhostNet width multiplier α must be in (0, 16], got 0"),
            (["info", "--arch", "ghostnet", "--width=-1"], "got -1"),
            (["info", "--arch", "ghostnet", "--activation", "swish"],
             "unknown activation 'swish' (valid: relu, leaky-relu, gelu, sigmoid, hard-sigmoid, h-swish)"),
            (["info", "--arch", "ghostnet", "--se-ratio", "0.001"], "SE ratio 0.001 leaves zero channels of 72"),
            (["info", "--arch", "ghostnet", "--attention", "cbam"], "The value 'cbam' is invalid for '--attention <attention>'. Please provide one of 'se' and 'eca'."),
            (["info", "--arch", "resnet18", "--activation", "gelu"], "apply to ghostnet"),
            (["convert", Fixtures.path("ghostnet_w025.weights.safetensors"), "--eval-images", "0"], "is a GhostNet"),
            (["train", "--arch", "resnet20", "--optimizer", "rmsprop", "--out", dir + "/m.safetensors"],
             "The value 'rmsprop' is invalid for '--optimizer <optimizer>'. Please provide one of 'sgd', 'adam' or 'adamw'."),
        ]
        for (args, expected) in cases {
            let r = try CLI.run(args)
            XCTAssertNotEqual(r.status, 0, "\(args)")
            XCTAssertTrue(r.stderr.contains(expected), "\(args): \(r.stderr)")
            // One error line; a flag's bad value is followed by that command's usage (CommandFailure).
            let lines = r.stderr.trimmingCharacters(in: .newlines).split(separator: "\n")
            XCTAssertTrue(lines.dropFirst().allSatisfy { $0.hasPrefix("Usage: ghostkit ") || $0.hasPrefix("  See ") },
                          "\(args): \(r.stderr)")
        }
    }

    func trainArgs(_ out: String, _ extra: [String]) -> [String] {
        ["train", "--arch", "ghostnet", "--stem", "cifar", "--in-channels", "1", "--num-classes", "10", "--limit-train", "256",
         "--limit-test", "200", "--batch-size", "32", "--seed", "5", "--threads", "2", "--out", out] + extra
    }

    /// GhostNet-1.0× (small-image variant) trains end to end on a few hundred Fashion-MNIST images, then evaluates.
    func testGhostNetTrainsAndEvaluates() throws {
        try CLIFixtures.requireBinaryAndData()
        let out = dir + "/g/model.safetensors"
        let r = try CLI.run(trainArgs(out, ["--width", "1.0", "--epochs", "1", "--optimizer", "adamw"]))
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("epoch 1: test accuracy"), r.stderr)
        let info = try CLI.run(["info", out])
        XCTAssertTrue(info.stdout.contains("ghostnet (cifar stem, 1→10)"), info.stdout)
        XCTAssertTrue(info.stdout.contains("optimizer=adamw"), info.stdout)
        let ev = try CLI.run(["eval", out, "--limit-test", "200"])
        XCTAssertEqual(ev.status, 0, ev.stderr)
    }

    /// Adam's state (exp_avg, exp_avg_sq, step) goes into the interrupted checkpoint: --resume is bitwise exact.
    func testAdamResumeIsExact() throws {
        try CLIFixtures.requireBinaryAndData()
        let a = dir + "/a/model.safetensors", b = dir + "/b/model.safetensors"
        let args = ["--width", "0.25", "--epochs", "2", "--optimizer", "adam", "--beta2", "0.99", "--eps", "1e-6"]
        let full = try CLI.run(trainArgs(a, args))
        XCTAssertEqual(full.status, 0, full.stderr)
        let cut = try CLI.run(trainArgs(b, args + ["--stop-after", "11"]))
        XCTAssertNotEqual(cut.status, 0)
        let partial = try SafetensorsFile(path: b)
        XCTAssertTrue(partial.names.contains("optim.exp_avg_sq.conv_stem.weight"), "\(partial.names.filter { $0.hasPrefix("optim.") }.prefix(5))")
        XCTAssertEqual(try partial.tensor("optim.step.classifier.bias").scalars, [11])
        let wrong = try CLI.run(trainArgs(b, ["--width", "0.25", "--epochs", "2", "--resume", b]))
        XCTAssertNotEqual(wrong.status, 0)
        XCTAssertTrue(wrong.stderr.contains("was the checkpoint trained with another --optimizer?"), wrong.stderr)
        let resumed = try CLI.run(trainArgs(b, args + ["--resume", b]))
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        let fa = try SafetensorsFile(path: a), fb = try SafetensorsFile(path: b)
        XCTAssertEqual(fa.names, fb.names)
        XCTAssertFalse(fa.names.contains { $0.hasPrefix("optim.") }, "the final checkpoint carries no optimiser state")
        for name in fa.names { XCTAssertEqual(try fa.tensor(name).scalars, try fb.tensor(name).scalars, name) }
    }
}

import Foundation
import GhostIO
import GhostModels
import GhostTestSupport
import XCTest

/// `ghostkit convert` then `ghostkit finetune` on a tiny ResNet-20.
final class ConvertCommandTests: TinyCheckpointTestCase {

    func testConvertThenFinetune() throws {
        let ghost = dir + "/conv/ghost.safetensors"
        let r = try CLI.run(["convert", checkpoint, "--arch", "resnet20", "--s", "2", "--d", "3", "--calibration-images", "64",
                             "--eval-images", "100", "--threads", "2", "--out", ghost])
        XCTAssertEqual(r.status, 0, r.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/conv/report.json"))) as! [String: Any]
        let before = json["size_before"] as! [String: Int], after = json["size_after"] as! [String: Int]
        XCTAssertLessThan(Double(after["params"]!), 0.6 * Double(before["params"]!))
        XCTAssertLessThan(Double(after["macs"]!), 0.6 * Double(before["macs"]!))
        XCTAssertEqual((json["units"] as! [Any]).count, 18)
        XCTAssertNotNil(json["accuracy_recalibrated"] as? Double)
        // The intrinsic-vs-ghost figure of the first converted conv, linked from the report.
        let md = try String(contentsOfFile: dir + "/conv/report.md", encoding: .utf8)
        XCTAssertTrue(md.contains("![ghost](grid-layer1.0.conv1-ghost.png)"), md)
        for kind in ["resnet", "ghost"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/conv/grid-layer1.0.conv1-\(kind).png"))
        }
        // The Ghost checkpoint loads, evaluates to the accuracy the report recorded after recalibration.
        let info = try CLI.run(["info", ghost])
        XCTAssertEqual(info.status, 0, info.stderr)
        XCTAssertTrue(info.stdout.contains("ghost-resnet20"), info.stdout)
        let ev = try CLI.run(["eval", ghost, "--limit-test", "100"])
        XCTAssertEqual(ev.status, 0, ev.stderr)
        XCTAssertTrue(ev.stdout.contains(String(format: "accuracy %.2f%%", 100 * (json["accuracy_recalibrated"] as! Double))), ev.stdout)

        let tuned = dir + "/ft.safetensors"
        let ft = try CLI.run(["finetune", ghost, "--epochs", "1", "--limit-train", "64", "--limit-test", "32", "--batch-size", "32",
                              "--threads", "2", "--distill", "--out", tuned])
        XCTAssertEqual(ft.status, 0, ft.stderr)
        let provenance = try String(contentsOfFile: dir + "/ft.json", encoding: .utf8)
        XCTAssertTrue(provenance.contains(try SHA256.hex(file: ghost)), "the init checkpoint's digest is recorded")
        XCTAssertTrue(provenance.contains("teacher=\(checkpoint)"), "distilled from the source ResNet named in the Ghost checkpoint")
    }

    /// `--blocks layer3`: only layer3's three blocks are converted; the default file name says which.
    func testPartialConversionByStage() throws {
        let r = try CLI.run(["convert", checkpoint, "--blocks", "layer3", "--calibration-images", "32", "--eval-images", "0",
                             "--out", dir + "/p/g.safetensors"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/p/report.json"))) as! [String: Any]
        XCTAssertEqual((json["units"] as! [[String: Any]]).map { $0["name"] as! String },
                       ["layer3.0.conv1", "layer3.0.conv2", "layer3.1.conv1", "layer3.1.conv2", "layer3.2.conv1", "layer3.2.conv2"])
        let info = try CLI.run(["info", dir + "/p/g.safetensors"])
        XCTAssertTrue(info.stdout.contains("3 of 9 blocks"), info.stdout)
    }

    /// The report states the side the images ran at: `--input-size` when given (MACs measured there), else the
    /// model's own (28 for this 1-channel CIFAR-style ResNet-20).
    func testReportHonoursInputSize() throws {
        func report(_ extra: [String], _ name: String) throws -> (json: [String: Any], md: String) {
            let r = try CLI.run(["convert", checkpoint, "--blocks", "layer3", "--calibration-images", "32",
                                 "--eval-images", "0", "--out", dir + "/\(name)/g.safetensors"] + extra)
            XCTAssertEqual(r.status, 0, r.stderr)
            let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/\(name)/report.json"))
            return (try JSONSerialization.jsonObject(with: data) as! [String: Any],
                    try String(contentsOfFile: dir + "/\(name)/report.md", encoding: .utf8))
        }
        let own = try report([], "own"), big = try report(["--input-size", "40"], "big")
        XCTAssertEqual(own.json["input_size"] as? Int, 28)
        XCTAssertEqual(big.json["input_size"] as? Int, 40)
        XCTAssertTrue(big.md.contains("MACs at 40²"), big.md)
        // Feature maps 28/14/7 → 40/20/10: conv MACs grow by (40/28)², the 64→10 classifier's stay.
        let macs = { (j: [String: Any]) in Double((j["size_before"] as! [String: Int])["macs"]!) }
        XCTAssertEqual(macs(big.json) / macs(own.json), 1600.0 / 784, accuracy: 0.01)
    }

    func testBadInputsGiveOneLineErrors() throws {
        for (args, needle) in [(["--blocks", "layer9"], "unknown layer 'layer9.*'"),(["--s", "1"], "--s must be ≥ 2"), (["--d", "4"], "--d must be odd"),
                               (["--arch", "resnet50"], "not resnet50"), (["--calibration-images", "8"], "calibration-images")] {
            let r = try CLI.run(["convert", checkpoint, "--out", dir + "/x/g.safetensors"] + args)
            XCTAssertNotEqual(r.status, 0, "\(args)")
            XCTAssertTrue(r.stderr.contains(needle), "\(args): \(r.stderr)")
        }
        let ghost = dir + "/g.safetensors"
        XCTAssertEqual(try CLI.run(["convert", checkpoint, "--calibration-images", "32", "--eval-images", "0", "--out", ghost]).status, 0)
        let again = try CLI.run(["convert", ghost, "--out", dir + "/gg.safetensors"])
        XCTAssertNotEqual(again.status, 0)
        XCTAssertTrue(again.stderr.contains("already a Ghost-ResNet"), again.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/gg.safetensors"))
    }
}

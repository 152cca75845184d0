import Foundation
import GhostIO
import GhostModels
import GhostTestSupport
import XCTest

/// `ghostkit compare` on the tiny ResNet-20 and its Ghost conversion.
final class CompareCommandTests: TinyCheckpointTestCase {
    func testWritesTheTableInThreeFormatsAndTheFigure() throws {
        let ghost = dir + "/ghost.safetensors"
        let c = try CLI.run(["convert", checkpoint, "--arch", "resnet20", "--calibration-images", "32", "--eval-images", "0", "--out", ghost])
        XCTAssertEqual(c.status, 0, c.stderr)
        let out = dir + "/cmp/models"
        let r = try CLI.run(["compare", checkpoint, ghost, "--names", "plain", "ghost", "--limit-test", "64", "--iterations", "1",
                             "--timing-batch", "8", "--out", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        let md = try String(contentsOfFile: out + ".md", encoding: .utf8)
        XCTAssertTrue(md.contains("| plain |") && md.contains("| ghost |") && md.contains("100.0 %"), md)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + ".json"))) as! [String: Any]
        let models = json["models"] as! [[String: Any]]
        XCTAssertEqual(models.map { $0["name"] as! String }, ["plain", "ghost"])
        XCTAssertLessThan(models[1]["macs"] as! Int, models[0]["macs"] as! Int)
        XCTAssertEqual(models[0]["test_images"] as? Int, 64)
        XCTAssertEqual(try String(contentsOfFile: out + ".csv", encoding: .utf8).split(separator: "\n").count, 3)
        let png = try PNGFile.read(path: out + "-accuracy-vs-macs.png", channels: 3)
        XCTAssertGreaterThan(png.count, 3 * 500 * 500)
        // The eval row of the same model agrees with compare's accuracy.
        let ev = try CLI.run(["eval", ghost, "--limit-test", "64", "--table-row"])
        XCTAssertEqual(ev.status, 0, ev.stderr)
        XCTAssertEqual(ev.stdout.split(separator: "|")[3], md.split(separator: "\n")[3].split(separator: "|")[5])
    }

    func testBadInputIsOneLineAndWritesNothing() throws {
        let out = dir + "/cmp/models"
        let r = try CLI.run(["compare", checkpoint, dir + "/missing.safetensors", "--limit-test", "16", "--out", out])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("missing.safetensors"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + ".md"))
        let n = try CLI.run(["compare", checkpoint, "--names", "a", "b", "--out", out])
        XCTAssertNotEqual(n.status, 0)
        XCTAssertTrue(n.stderr.contains("--names has 2 names for 1 checkpoints"), n.stderr)
    }
}

import Foundation
import GhostIO
import GhostModels
import GhostTestSupport
import XCTest

/// `ghostkit scan` end to end on a tiny CIFAR ResNet-20 trained for one epoch on 64 images.
final class ScanCommandTests: TinyCheckpointTestCase {

    func scan(_ extra: [String]) throws -> CLI.Result {
        try CLI.run(["scan", "--checkpoint", checkpoint, "--images", "24", "--batch-size", "10", "--threads", "2"] + extra)
    }

    func testScanWritesConsistentReportAndHDF5() throws {
        let out = dir + "/scan"
        let r = try scan(["--out", out, "--layers", "layer1.*,layer3.2", "--top-k", "4", "--image-index", "13"])
        XCTAssertEqual(r.status, 0, r.stderr)
        for f in ["activations.h5", "pairs.json", "report.md", "report.csv", "redundancy.png", "figure1.png",
                  "pair-red.png", "pair-green.png", "pair-blue.png"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/" + f), f)
        }
        // HDF5: the chosen layers over all 24 images (batches of 10, 10, 4), inputs and labels, provenance attributes.
        let h5 = try ActivationReader(path: out + "/activations.h5")
        XCTAssertEqual(Set(h5.layerNames), ["layer1.0", "layer1.1", "layer1.2", "layer3.2"])
        XCTAssertEqual(try h5.shape("layers/layer1.0"), [24, 16, 28, 28])
        XCTAssertEqual(try h5.shape("layers/layer3.2"), [24, 64, 7, 7])
        XCTAssertEqual(try h5.shape("inputs"), [24, 1, 28, 28])
        XCTAssertEqual(try h5.labels().count, 24)
        XCTAssertEqual(h5.attributes["checkpoint_sha256"], try SHA256.hex(file: checkpoint))
        // pairs.json: the reported top pair's r recomputed naively from the stored activations.
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/pairs.json"))) as! [String: Any]
        let layers = json["layers"] as! [[String: Any]]
        XCTAssertEqual(layers.map { $0["layer"] as! String }, ["layer1.0", "layer1.1", "layer1.2", "layer3.2"])
        let l3 = layers[3]
        let top = (l3["top_pairs"] as! [[String: Any]])
        XCTAssertEqual(top.count, 4)
        let (a, b) = (top[0]["a"] as! Int, top[0]["b"] as! Int)
        let x = try h5.read("layers/layer3.2")
        func channel(_ c: Int) -> [Double] {
            (0..<24).flatMap { n in (0..<49).map { Double(x.readPointer[(n * 64 + c) * 49 + $0]) } }
        }
        let u = channel(a), v = channel(b)
        let mu = u.reduce(0, +) / Double(u.count), mv = v.reduce(0, +) / Double(v.count)
        var suv = 0.0, suu = 0.0, svv = 0.0
        for i in u.indices { suv += (u[i] - mu) * (v[i] - mv); suu += (u[i] - mu) * (u[i] - mu); svv += (v[i] - mv) * (v[i] - mv) }
        XCTAssertEqual(top[0]["correlation"] as! Double, suv / (suu * svv).squareRoot(), accuracy: 1e-3)
        // Disjoint pairs, best first.
        let channels = top.flatMap { [$0["a"] as! Int, $0["b"] as! Int] }
        XCTAssertEqual(Set(channels).count, channels.count)
        let rs = top.map { $0["correlation"] as! Double }
        XCTAssertEqual(rs, rs.sorted(by: >))
        let csv = try String(contentsOfFile: out + "/report.csv", encoding: .utf8)
        XCTAssertEqual(csv.split(separator: "\n").count, 5)
        XCTAssertTrue(r.stdout.contains("layer3.2"), r.stdout)
        let png = try PNGFile.read(path: out + "/figure1.png", channels: 3)
        XCTAssertGreaterThan(png.shape[2], 100)
    }

    func testBadInputsGiveOneLineErrors() throws {
        let unknown = try scan(["--out", dir + "/u", "--layers", "layer9.*"])
        XCTAssertNotEqual(unknown.status, 0)
        XCTAssertTrue(unknown.stderr.contains("unknown layer 'layer9.*'") && unknown.stderr.contains("layer1.0"), unknown.stderr)

        let missing = try CLI.run(["scan", "--checkpoint", dir + "/nope.safetensors", "--out", dir + "/m"])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("nope.safetensors"), missing.stderr)

        // An existing dump is not replaced without --overwrite, and stays intact.
        let out = dir + "/twice"
        XCTAssertEqual(try scan(["--out", out, "--layers", "layer1.0"]).status, 0)
        let before = try Data(contentsOf: URL(fileURLWithPath: out + "/activations.h5"))
        let again = try scan(["--out", out, "--layers", "layer1.0"])
        XCTAssertNotEqual(again.status, 0)
        XCTAssertTrue(again.stderr.contains("activations.h5"), again.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out + "/activations.h5")), before)
        XCTAssertEqual(try scan(["--out", out, "--layers", "layer1.0", "--overwrite"]).status, 0)

        // Output below a regular file: cannot create the directory.
        FileManager.default.createFile(atPath: dir + "/file", contents: Data("x".utf8))
        let blocked = try scan(["--out", dir + "/file/sub"])
        XCTAssertNotEqual(blocked.status, 0)
        XCTAssertTrue(blocked.stderr.contains(dir + "/file/sub"), blocked.stderr)
        XCTAssertEqual(blocked.stderr.split(separator: "\n").count, 1, blocked.stderr)

        let badIndex = try scan(["--out", dir + "/i", "--image-index", "24"])
        XCTAssertNotEqual(badIndex.status, 0)
    }
}

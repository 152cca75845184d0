import Foundation
import GhostIO
import GhostModels
import GhostTestSupport
import XCTest

/// `ghostkit fit-kernels` on the scan of a tiny CIFAR ResNet-20.
final class FitKernelsCommandTests: TinyCheckpointTestCase {
    var scanDir: String { dir + "/scan" }

    override func setUpWithError() throws {
        try super.setUpWithError()
        let scan = try CLI.run(["scan", "--checkpoint", checkpoint, "--images", "12", "--layers", "layer1.2,layer2.*", "--top-k", "5",
                                "--threads", "2", "--out", scanDir])
        XCTAssertEqual(scan.status, 0, scan.stderr)
    }

    func testReportHasTableControlAndNestedFits() throws {
        let out = dir + "/fit"
        let r = try CLI.run(["fit-kernels", "--scan", scanDir, "--random-pairs", "4", "--threads", "2", "--out", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        for f in ["report.md", "report.csv", "report.json", "mse-vs-d.png", "triplet-red.png", "triplet-green.png", "triplet-blue.png"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/" + f), f)
        }
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/report.json"))) as! [String: Any]
        XCTAssertEqual(json["table_layer"] as? String, "layer1.2")
        let pairs = json["pairs"] as! [[String: Any]]
        // 4 layers × (5 ghost + 4 random) pairs, each with d = 1, 3, 5, 7 and MSE non-increasing in d.
        XCTAssertEqual(pairs.count, 4 * 9)
        XCTAssertEqual(pairs.filter { $0["kind"] as? String == "random" }.count, 16)
        XCTAssertEqual(Set(pairs.compactMap { $0["label"] as? String }), ["red", "green", "blue"])
        for p in pairs {
            let fits = p["fits"] as! [[String: Any]]
            XCTAssertEqual(fits.map { $0["d"] as! Int }, [1, 3, 5, 7])
            let mse = fits.map { $0["mse"] as! Double }
            for (a, b) in zip(mse, mse.dropFirst()) { XCTAssertLessThanOrEqual(b, a * (1 + 1e-9) + 1e-15) }
        }
        // The red pair is the scan's best pair of layer1.2, fitted from its first channel to its second.
        let scanJSON = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: scanDir + "/pairs.json"))) as! [String: Any]
        let l12 = (scanJSON["layers"] as! [[String: Any]]).first { $0["layer"] as? String == "layer1.2" }!
        let best = (l12["top_pairs"] as! [[String: Any]])[0]
        let red = pairs.first { $0["label"] as? String == "red" }!
        XCTAssertEqual(red["a"] as? Int, best["a"] as? Int)
        XCTAssertEqual(red["b"] as? Int, best["b"] as? Int)
        XCTAssertNotNil(red["mse_other_normalizations"])
        let md = try String(contentsOfFile: out + "/report.md", encoding: .utf8)
        XCTAssertTrue(md.contains("25.0 / 24.3 / 24.1 / 23.9"), "paper numbers beside ours")
        XCTAssertTrue(md.contains("random ÷ ghost"))
        XCTAssertTrue(r.stdout.contains("median random pairs"), r.stdout)
    }

    func testBadInputsGiveOneLineErrors() throws {
        for (args, needle) in [(["--sizes", "1,4"], "kernel size 4"), (["--sizes", "0"], "kernel size 0"),
                               (["--sizes", "a"], "--sizes"), (["--normalization", "zscore"], "minmax")] {
            let r = try CLI.run(["fit-kernels", "--scan", scanDir, "--out", dir + "/x"] + args)
            XCTAssertNotEqual(r.status, 0, "\(args)")
            XCTAssertTrue(r.stderr.contains(needle), "\(args): \(r.stderr)")
        }
        let noScan = try CLI.run(["fit-kernels", "--scan", dir + "/empty", "--out", dir + "/x"])
        XCTAssertNotEqual(noScan.status, 0)
        XCTAssertTrue(noScan.stderr.contains(dir + "/empty/pairs.json"), noScan.stderr)

        // pairs.json naming a layer the dump lacks, and a channel beyond the layer.
        let pairsPath = scanDir + "/pairs.json"
        let original = try String(contentsOfFile: pairsPath, encoding: .utf8)
        try original.replacingOccurrences(of: "\"layer2.0\"", with: "\"layer9.0\"").write(toFile: pairsPath, atomically: true, encoding: .utf8)
        let missing = try CLI.run(["fit-kernels", "--scan", scanDir, "--out", dir + "/x"])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("has no layer 'layer9.0'"), missing.stderr)
        XCTAssertEqual(missing.stderr.split(separator: "\n").count, 1, missing.stderr)

        var json = try JSONSerialization.jsonObject(with: Data(original.utf8)) as! [String: Any]
        var layers = json["layers"] as! [[String: Any]]
        var top = layers[0]["top_pairs"] as! [[String: Any]]
        top[0]["b"] = 999
        layers[0]["top_pairs"] = top
        json["layers"] = layers
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: pairsPath))
        let outside = try CLI.run(["fit-kernels", "--scan", scanDir, "--out", dir + "/x"])
        XCTAssertNotEqual(outside.status, 0)
        XCTAssertTrue(outside.stderr.contains("outside its 16 channels"), outside.stderr)

        try Data("{\"model\": 3}".utf8).write(to: URL(fileURLWithPath: pairsPath))
        let garbage = try CLI.run(["fit-kernels", "--scan", scanDir, "--out", dir + "/x"])
        XCTAssertNotEqual(garbage.status, 0)
        XCTAssertTrue(garbage.stderr.contains("not a ghostkit pairs.json"), garbage.stderr)
    }
}

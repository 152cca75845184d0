import Foundation
import GhostAnalysis
import GhostIO
import GhostModels
import GhostTensor
import GhostTestSupport
import XCTest

/// pairs.json as fit-kernels reads it: a file written by `write(to:)` round-trips; a hostile or
/// inconsistent one is a one-line error naming the file (fuzzed by fuzz/Sources/FuzzPairsJSON).
final class ScanReportTests: XCTestCase {
    private func message(_ error: Error) -> String { (error as? GhostError)?.message ?? "not a GhostError: \(error)" }

    private let seed = Fixtures.repoRoot + "/fuzz/corpus/PairsJSON/scan-resnet20-2layers.json"

    /// The seed pairs.json (a real scan) with fields of its first layer (or, with `top`, of the root) replaced.
    private func variant(_ changes: [String: Any], top: Bool = false) throws -> Data {
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: seed))) as! [String: Any]
        if top { json.merge(changes) { $1 } } else {
            var layers = json["layers"] as! [[String: Any]]
            layers[0].merge(changes) { $1 }
            json["layers"] = layers
        }
        return try JSONSerialization.data(withJSONObject: json)
    }

    private func variant(_ key: String, _ value: Any, top: Bool = false) throws -> Data { try variant([key: value], top: top) }

    func testARealScanDecodes() throws {
        let r = try ScanReport.read(seed)
        XCTAssertEqual(r.layers.map(\.layer), ["layer1.0", "layer2.0"])
        XCTAssertEqual(r.layers[0].channels, 16)
    }

    func testInconsistentNumbersAreRefused() throws {
        let cases: [(Data, String)] = [
            (try variant("top_pairs", [["a": 3, "b": 16, "correlation": 0.9]]), "pair 3~16 of layer 'layer1.0' is outside its 16 channels"),
            (try variant("top_pairs", [["a": -1, "b": 2, "correlation": 0.9]]), "pair -1~2 of layer 'layer1.0' is outside its 16 channels"),
            (try variant("top_pairs", [["a": 2, "b": 2, "correlation": 0.9]]), "pair 2~2 of layer 'layer1.0' pairs a channel with itself"),
            (try variant("channels", -5), "layer 'layer1.0' has -5 channels"),
            (try variant("best_partner_quantiles", [0.5]), "layer 'layer1.0': best_partner_quantiles has 1 values, not 7"),
            (try variant("intrinsic_estimate", 17), "layer 'layer1.0': intrinsic_estimate 17 is outside 0…16"),
            (try variant(["layer": "a\nb", "channels": -1]), "layer 'a?b' has -1 channels"),
            (try variant("images", -1, top: true), "images is -1, not ≥ 0"),
            (try variant("image_index", -3, top: true), "image_index is -3, not ≥ 0"),
            (try variant("architecture", ["family": "cifar-resnet", "depth": 6_000_000_002, "shortcut": "A", "in_channels": 1, "num_classes": 10], top: true),
             "architecture: CIFAR ResNet depth must be 6n+2 and at most 1202, got 6000000002"),
        ]
        for (data, problem) in cases {
            XCTAssertThrowsError(try ScanReport.decode(data, path: "s/pairs.json")) { e in
                XCTAssertEqual(message(e), "s/pairs.json: " + problem)
            }
        }
        for junk in ["[", "{\"model\": 1}", String(repeating: "[", count: 100_000)] {
            XCTAssertThrowsError(try ScanReport.decode(Data(junk.utf8), path: "s/pairs.json")) { e in
                XCTAssertTrue(message(e).hasPrefix("s/pairs.json: not a ghostkit pairs.json ("), message(e))
                XCTAssertFalse(message(e).contains("\n"), message(e))
            }
        }
    }
}

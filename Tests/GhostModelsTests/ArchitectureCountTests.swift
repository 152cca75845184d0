import Foundation
import GhostModels
import GhostTensor
import GhostTestSupport
import XCTest

/// Params and MACs of every architecture against torchvision / PyTorch-hook counts
/// (Tests/Fixtures/torchvision_counts.json) and the paper's headline numbers.
final class ArchitectureCountTests: XCTestCase {
    func profile(_ arch: Architecture, side: Int) -> Profiler {
        var p = Profiler()
        _ = arch.build().profile([1, arch.inChannels, side, side], &p)
        return p
    }

    func testPaperHeadlineNumbers() throws {
        let r50 = profile(try Architecture(name: "resnet50"), side: 224)
        XCTAssertEqual(Double(r50.totalParams) / 1e6, 25.6, accuracy: 0.05)
        XCTAssertEqual(Double(r50.totalMACs) / 1e9, 4.1, accuracy: 0.05)
        let r56 = profile(try Architecture(name: "resnet56"), side: 32)
        XCTAssertEqual(Double(r56.totalParams) / 1e6, 0.85, accuracy: 0.005)
        XCTAssertEqual(Double(r56.totalMACs) / 1e6, 125, accuracy: 1)
    }

    func testExactCountsAgainstPyTorch() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("torchvision_counts.json")))
        let json = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        var checked = 0
        for (key, value) in json {
            guard let entry = value as? [String: Any], let params = entry["params"] as? Int, let macs = entry["macs"] as? Int else { continue }
            // Keys look like "resnet50", "cifar_resnet56_A".
            let arch: Architecture
            let side: Int
            if key.hasPrefix("cifar_resnet") {
                let parts = key.split(separator: "_")
                arch = try Architecture(name: String(parts[1]), shortcut: try Shortcut(name: String(parts[2])))
                side = 32
            } else {
                arch = try Architecture(name: key)
                side = 224
            }
            let p = profile(arch, side: side)
            XCTAssertEqual(p.totalParams, params, "\(key) params")
            XCTAssertEqual(p.totalMACs, macs, "\(key) MACs")
            XCTAssertEqual(arch.build().parameterCount, params, "\(key) parameterCount")
            checked += 1
        }
        XCTAssertGreaterThanOrEqual(checked, 15)
    }

    func testTorchvisionStateDictNames() throws {
        let names = try Architecture(name: "resnet50").build().namedParameters().map(\.0)
        XCTAssertEqual(names.first, "conv1.weight")
        XCTAssertTrue(names.contains("layer1.0.downsample.0.weight"))
        XCTAssertTrue(names.contains("layer4.2.bn3.num_batches_tracked"))
        XCTAssertEqual(names.last, "fc.bias")
        XCTAssertEqual(names.count, 320)  // torchvision resnet50().state_dict() has 320 entries
        let a = try Architecture(name: "resnet20")
        XCTAssertFalse(a.build().namedParameters().contains { $0.0.contains("downsample") }, "option A has no parameters")
    }

    func testWidthAndStemOptions() throws {
        let a = try Architecture(name: "resnet18", stem: .cifar, width: 0.5, inChannels: 1, numClasses: 10)
        var p = Profiler()
        let out = a.build().profile([2, 1, 28, 28], &p)
        XCTAssertEqual(out, [2, 10])
        XCTAssertEqual(p.rows.first { $0.path == "layer4.1.conv2" }?.outputShape, [2, 256, 4, 4])
        XCTAssertEqual(try Architecture(json: a.json), a)
    }

    func testBadArchitecturesAreRefused() {
        XCTAssertThrowsError(try Architecture(name: "resnet19"))
        XCTAssertThrowsError(try Architecture(name: "vgg16"))
        XCTAssertThrowsError(try Stem(name: "tiny"))
        XCTAssertThrowsError(try Shortcut(name: "C"))
        XCTAssertThrowsError(try Architecture(json: "{\"family\": \"resnet\"}"))
        XCTAssertThrowsError(try Architecture(json: "not json"))
        // A hostile depth would make build() allocate without bound.
        XCTAssertNoThrow(try Architecture(json: "{\"family\":\"cifar-resnet\",\"depth\":1202,\"shortcut\":\"A\",\"in_channels\":1,\"num_classes\":10}"))
        XCTAssertThrowsError(try Architecture(json: "{\"family\":\"cifar-resnet\",\"depth\":6000000002,\"shortcut\":\"A\",\"in_channels\":1,\"num_classes\":10}")) { e in
            XCTAssertEqual((e as? GhostError)?.message, "CIFAR ResNet depth must be 6n+2 and at most 1202, got 6000000002")
        }
    }
}

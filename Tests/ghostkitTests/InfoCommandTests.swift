import Foundation
import GhostTestSupport
import XCTest

/// End-to-end runs of `ghostkit info` (the binary built by `swift build`/`swift test`).
final class InfoCommandTests: XCTestCase {
    override func setUpWithError() throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: CLI.binary), "ghostkit binary not built at \(CLI.binary)")
    }

    func testResNet50HeadlineNumbers() throws {
        let r = try CLI.run(["info", "--arch", "resnet50"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("25.6 M params"), r.stdout)
        XCTAssertTrue(r.stdout.contains("4.1 G MACs"), r.stdout)
        let r56 = try CLI.run(["info", "--arch", "resnet56"])
        XCTAssertTrue(r56.stdout.contains("853.0 k params"), r56.stdout)
        XCTAssertTrue(r56.stdout.contains("125.5 M MACs"), r56.stdout)
    }

    func testCheckpointDescription() throws {
        let r = try CLI.run(["info", "Tests/Fixtures/resnet50_w8.weights.safetensors", "--input-size", "64", "--layers"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("resnet50 (width 0.125, 3→10)"), r.stdout)
        XCTAssertTrue(r.stdout.contains("F16"), r.stdout)
        XCTAssertTrue(r.stdout.contains("layer4.2.conv3"), r.stdout)
    }

    /// Each bad input: exit ≠ 0 and a single line on stderr naming the file and the problem.
    func testBadInputsGiveOneLineErrors() throws {
        let dir = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let real = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("cifar_resnet20_A.weights.safetensors")))
        let truncatedHeader = dir + "/header.safetensors", truncatedData = dir + "/data.safetensors"
        FileManager.default.createFile(atPath: truncatedHeader, contents: real.prefix(200))
        FileManager.default.createFile(atPath: truncatedData, contents: real.prefix(real.count - 100))
        let notCkpt = dir + "/notes.txt"
        FileManager.default.createFile(atPath: notCkpt, contents: Data("hello world, not a checkpoint".utf8))
        let cases: [([String], String)] = [
            (["info", dir + "/missing.safetensors"], "missing.safetensors: no such file"),
            (["info", notCkpt], "notes.txt"),
            (["info", truncatedHeader], "header.safetensors"),
            (["info", truncatedData], "data.safetensors"),
            (["info", Fixtures.path("cifar_resnet20_A.weights.safetensors"), "--arch", "resnet32"],
             "file is resnet20 (option A, 3→10), not resnet32 (option A, 3→10)"),
            (["info", "--arch", "resnet19"], "unknown architecture"),
            (["info", dir], "is a directory"),
        ]
        for (args, expected) in cases {
            let r = try CLI.run(args)
            XCTAssertNotEqual(r.status, 0, "\(args)")
            XCTAssertTrue(r.stderr.contains(expected), "\(args): \(r.stderr)")
            XCTAssertEqual(r.stderr.trimmingCharacters(in: .newlines).split(separator: "\n").count, 1, "\(args): \(r.stderr)")
        }
    }
}

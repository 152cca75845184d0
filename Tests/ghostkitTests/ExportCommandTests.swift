import Foundation
import GhostTestSupport
import XCTest

/// End-to-end runs of `ghostkit export`: both formats write their files, and every bad input (unknown family,
/// missing or read-only directory, full disk) is one line on stderr, exit status 1 and no output file left.
final class ExportCommandTests: XCTestCase {
    override func setUpWithError() throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: CLI.binary), "ghostkit binary not built")
    }

    private let checkpoint = "checkpoints/ghost-resnet18-fmnist.safetensors"

    func testWritesONNXAndPyTorchFiles() throws {
        let dir = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let onnx = try CLI.run(["export", checkpoint, dir + "/g.onnx"])
        XCTAssertEqual(onnx.status, 0, onnx.stderr)
        let size = (try FileManager.default.attributesOfItem(atPath: dir + "/g.onnx")[.size] as? Int) ?? 0
        XCTAssertGreaterThan(size, 4 * 5_000_000, "5.6 M float32 weights")
        let py = try CLI.run(["export", "--arch", "ghostnet", "--width", "0.25", "--stem", "cifar", dir + "/n.py"])
        XCTAssertEqual(py.status, 0, py.stderr)
        let source = try String(contentsOfFile: dir + "/n.py", encoding: .utf8)
        XCTAssertTrue(source.contains("class GhostModule(nn.Module)"))
        XCTAssertTrue(source.contains(#""family":"ghostnet""#))
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/n.safetensors"))
    }

    func testBadInputsGiveOneLineErrorsAndNoPartialFile() throws {
        let dir = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // A checkpoint whose metadata names an unknown family.
        var data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.repoRoot + "/" + checkpoint))
        // The architecture JSON sits escaped inside the header's JSON; same length, so the header stays valid.
        let family = Data(#"\"family\":\"resnet\""#.utf8), vgg = Data(#"\"family\":\"vgg16!\""#.utf8)
        let range = try XCTUnwrap(data.range(of: family))
        data.replaceSubrange(range, with: vgg)
        FileManager.default.createFile(atPath: dir + "/vgg.safetensors", contents: data)
        var cases: [([String], [String], String)] = [
            ([], ["export", dir + "/vgg.safetensors", dir + "/a.onnx"], "unknown model family 'vgg16!'"),
            ([], ["export", checkpoint, dir + "/missing/a.onnx"], "does not exist"),
            (CLI.fileSizeLimit(kib: 64), ["export", checkpoint, dir + "/a.onnx"], "a.onnx: cannot write"),
            ([], ["export", checkpoint, dir + "/a.txt"], "cannot tell the format"),
        ]
        if let nobody = CLI.unprivileged() {
            let ro = dir + "/ro"
            try FileManager.default.createDirectory(atPath: ro, withIntermediateDirectories: false,
                                                    attributes: [.posixPermissions: 0o555])
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir)
            cases.append((nobody, ["export", Fixtures.repoRoot + "/" + checkpoint, ro + "/a.onnx"], "read-only"))
        }
        for (wrapper, args, message) in cases {
            let r = try CLI.run(args, wrapper: wrapper)
            XCTAssertEqual(r.status, 1, "\(args): \(r.stderr)")
            let lines = r.stderr.split(separator: "\n")
            XCTAssertEqual(lines.count, 1, r.stderr)
            XCTAssertTrue(r.stderr.contains(message), "\(args): \(r.stderr)")
        }
        let left = try FileManager.default.contentsOfDirectory(atPath: dir).filter {
            $0 != "vgg.safetensors" && $0 != "ro"
        }
        XCTAssertEqual(left, [], "no partial or temp file")
    }
}

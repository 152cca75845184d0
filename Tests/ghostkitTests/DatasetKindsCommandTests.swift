import Foundation
import GhostIO
import GhostReport
import GhostTestSupport
import XCTest

/// `ghostkit train` / `eval` on the other dataset kinds: CIFAR binary batches and a folder of PNG class folders.
final class DatasetKindsCommandTests: XCTestCase {
    var dir = ""
    override func setUpWithError() throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: CLI.binary), "ghostkit binary not built")
        dir = Fixtures.temporaryDirectory()
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func tinyTrain(_ extra: [String], out: String) -> [String] {
        ["train", "--arch", "resnet20", "--in-channels", "3", "--epochs", "1", "--batch-size", "8",
         "--lr", "0.05", "--warmup-epochs", "0", "--seed", "1", "--threads", "1", "--out", out] + extra
    }

    func testTrainAndEvalOnCIFAR10BinaryBatches() throws {
        let data = dir + "/cifar-10-batches-bin"
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        var rng = SystemRandomNumberGenerator()
        for name in (1...5).map({ "data_batch_\($0).bin" }) + ["test_batch.bin"] {
            var bytes: [UInt8] = []
            for i in 0..<8 { bytes.append(UInt8(i % 10)); bytes += (0..<3072).map { _ in UInt8.random(in: 0...255, using: &rng) } }
            try Data(bytes).write(to: URL(fileURLWithPath: data + "/" + name))
        }
        let out = dir + "/c10.safetensors"
        let r = try CLI.run(tinyTrain(["--dataset", "cifar10", "--data-dir", data], out: out))
        XCTAssertEqual(r.status, 0, r.stderr)
        let meta = try SafetensorsFile(path: out).metadata
        XCTAssertTrue(meta["ghostkit.normalization"]?.contains("0.4914") ?? false, "\(meta)")
        let ev = try CLI.run(["eval", out, "--dataset", "cifar10", "--data-dir", data])
        XCTAssertEqual(ev.status, 0, ev.stderr)
        XCTAssertTrue(ev.stdout.contains("cifar10/test (8 images)") && ev.stdout.contains("9 truck"), ev.stdout)
        let missing = try CLI.run(["eval", out, "--dataset", "cifar10"])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("needs --data-dir"), missing.stderr)
    }

    func testTrainAndEvalOnAPNGClassFolderTree() throws {
        // Two classes of 12×12 RGB images: a dark or a bright square on grey.
        for split in ["train", "test"] {
            for (c, shade) in [("bright", UInt8(240)), ("dark", UInt8(20))] {
                let folder = dir + "/png/\(split)/\(c)"
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                for i in 0..<(split == "train" ? 8 : 3) {
                    var rgb = [UInt8](repeating: 128, count: 12 * 12 * 3)
                    for y in (2 + i % 3)..<(8 + i % 3) { for x in 3..<9 { for k in 0..<3 { rgb[(y * 12 + x) * 3 + k] = shade } } }
                    try PNGFile.write(width: 12, height: 12, rgb: rgb, to: folder + "/\(i).png")
                }
            }
        }
        let out = dir + "/png.safetensors"
        let r = try CLI.run(tinyTrain(["--dataset", "png", "--data-dir", dir + "/png", "--num-classes", "2"], out: out))
        XCTAssertEqual(r.status, 0, r.stderr)
        let ev = try CLI.run(["eval", out, "--dataset", "png", "--data-dir", dir + "/png"])
        XCTAssertEqual(ev.status, 0, ev.stderr)
        XCTAssertTrue(ev.stdout.contains("0 bright") && ev.stdout.contains("1 dark"), ev.stdout)
        // A test class the training split does not have is refused with its path.
        try FileManager.default.createDirectory(atPath: dir + "/png/test/zebra", withIntermediateDirectories: true)
        try PNGFile.write(width: 12, height: 12, rgb: [UInt8](repeating: 255, count: 12 * 12 * 3), to: dir + "/png/test/zebra/0.png")
        let bad = try CLI.run(tinyTrain(["--dataset", "png", "--data-dir", dir + "/png", "--num-classes", "2"], out: dir + "/bad.safetensors"))
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("zebra/0.png") && bad.stderr.contains("not one of 2 known classes"), bad.stderr)
    }
}

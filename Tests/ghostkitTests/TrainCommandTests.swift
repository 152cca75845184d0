import Foundation
import GhostIO
import GhostTensor
import GhostTestSupport
import XCTest

/// `ghostkit train` / `eval` on a few hundred Fashion-MNIST images with a tiny CIFAR ResNet-20.
final class TrainCommandTests: XCTestCase {
    let dataDir = "/usr/share/datasets/fashion-mnist"
    var dir = ""

    override func setUpWithError() throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: CLI.binary), "ghostkit binary not built")
        try XCTSkipUnless(FileManager.default.fileExists(atPath: dataDir + "/t10k-images-idx3-ubyte.gz"),
                          "Debian's dataset-fashion-mnist is not installed")
        dir = Fixtures.temporaryDirectory()
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func trainArgs(_ out: String, threads: Int = 2) -> [String] {
        ["train", "--arch", "resnet20", "--in-channels", "1", "--epochs", "2", "--limit-train", "256", "--limit-test", "200",
         "--batch-size", "32", "--lr", "0.05", "--seed", "3", "--threads", String(threads), "--out", out]
    }

    /// Interrupted after 11 batches and resumed: final weights bitwise equal to an uninterrupted run.
    func testResumeIsExact() throws {
        let a = dir + "/a/model.safetensors", b = dir + "/b/model.safetensors"
        let full = try CLI.run(trainArgs(a))
        XCTAssertEqual(full.status, 0, full.stderr)
        let cut = try CLI.run(trainArgs(b) + ["--stop-after", "11"])
        XCTAssertNotEqual(cut.status, 0)
        XCTAssertTrue(cut.stderr.contains("interrupted at epoch 2, batch 3"), cut.stderr)
        let resumed = try CLI.run(trainArgs(b) + ["--resume", b])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        let fa = try SafetensorsFile(path: a), fb = try SafetensorsFile(path: b)
        XCTAssertEqual(fa.names, fb.names)
        for name in fa.names { XCTAssertEqual(try fa.tensor(name).scalars, try fb.tensor(name).scalars, name) }
        // Provenance beside each checkpoint: digest of the final file and every command that built it.
        for (ckpt, runs) in [(a, 1), (b, 2)] {
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: String(ckpt.dropLast(12)) + ".json"))) as! [String: Any]
            XCTAssertEqual(json["sha256"] as? String, try SHA256.hex(file: ckpt))
            XCTAssertEqual((json["commands"] as? [String])?.count, runs)
            XCTAssertEqual(json["epochs"] as? Int, 2)
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: String(a.dropLast(12)) + "-curve.png"))
        let metrics = try String(contentsOfFile: String(a.dropLast(12)) + "-metrics.csv", encoding: .utf8)
        XCTAssertEqual(metrics.split(separator: "\n").count, 3, metrics)
        // eval reproduces the accuracy recorded for the last epoch.
        let ev = try CLI.run(["eval", a, "--limit-test", "200"])
        XCTAssertEqual(ev.status, 0, ev.stderr)
        let last = metrics.split(separator: "\n").last!.split(separator: ",")
        let acc = String(format: "accuracy %.2f%%", 100 * Double(last[4])!)
        XCTAssertTrue(ev.stdout.contains(acc), "\(acc) not in \(ev.stdout)")
        XCTAssertTrue(ev.stdout.contains("9 Ankle boot"), ev.stdout)
    }

    func testBadInputs() throws {
        let gz = dir + "/data"
        try FileManager.default.createDirectory(atPath: gz, withIntermediateDirectories: true)
        for f in ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-labels-idx1-ubyte.gz"] {
            try FileManager.default.copyItem(atPath: dataDir + "/" + f, toPath: gz + "/" + f)
        }
        let real = try Data(contentsOf: URL(fileURLWithPath: dataDir + "/t10k-images-idx3-ubyte.gz"))
        FileManager.default.createFile(atPath: gz + "/t10k-images-idx3-ubyte.gz", contents: real.prefix(real.count / 2))
        let ckpt = Fixtures.path("cifar_resnet20_A.weights.safetensors")
        let cases: [([String], String)] = [
            (["eval", Fixtures.path("resnet18_cifar_w16.weights.safetensors"), "--data-dir", dir + "/nope"], "no such file"),
            (["eval", Fixtures.path("resnet18_cifar_w16.weights.safetensors"), "--data-dir", gz], "t10k-images-idx3-ubyte.gz"),
            (["eval", ckpt], "does not fit"),
            (trainArgs(dir + "/m.safetensors") + ["--resume", ckpt], "not resnet20 (option A, 1→10)"),
            (["train", "--resume", ckpt, "--out", dir + "/m.safetensors", "--limit-train", "64"], "has no training state"),
            (["train", "--arch", "resnet18", "--stem", "cifar", "--in-channels", "1", "--num-classes", "10", "--resume",
              Fixtures.path("resnet18_cifar_w16.weights.safetensors"), "--out", dir + "/x.safetensors", "--limit-train", "64"], "not resnet18"),
        ]
        for (args, expected) in cases {
            let r = try CLI.run(args)
            XCTAssertNotEqual(r.status, 0, "\(args)")
            XCTAssertTrue(r.stderr.contains(expected), "\(args): \(r.stderr)")
        }
    }
}

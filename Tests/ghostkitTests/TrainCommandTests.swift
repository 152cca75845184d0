import Foundation
import GhostIO
import GhostModels
import GhostTensor
import GhostTestSupport
import GhostTrain
import Glibc
import XCTest

#if canImport(Glibc)
#endif

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

    func trainArgs(_ out: String, threads: Int = 2, epochs: Int = 2, lr: String = "0.05") -> [String] {
        ["train", "--arch", "resnet20", "--in-channels", "1", "--epochs", String(epochs), "--limit-train", "256", "--limit-test", "200",
         "--batch-size", "32", "--lr", lr, "--seed", "3", "--threads", String(threads), "--out", out]
    }

    /// Temp files (`.<name>.tmp-<pid>-<random>`) left in a directory.
    func temps(_ d: String) -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: d)) ?? []).filter { $0.contains(".tmp-") } }

    /// The last non-empty line of a command's stderr (after the progress bars).
    func lastLine(_ text: String) -> String {
        String(text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).last ?? "")
    }

    func assertSameTensors(_ a: String, _ b: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let fa = try SafetensorsFile(path: a), fb = try SafetensorsFile(path: b)
        XCTAssertEqual(fa.names, fb.names, file: file, line: line)
        for name in fa.names { XCTAssertEqual(try fa.tensor(name).scalars, try fb.tensor(name).scalars, name, file: file, line: line) }
    }

    /// Killed with SIGKILL once epoch 1's checkpoint is on disk, then resumed with --resume: the final weights are
    /// bitwise equal to an uninterrupted run (same seed, --threads 1), and no temp file is left behind.
    func testSIGKILLAfterTheFirstCheckpointThenResumeIsExact() throws {
        let a = dir + "/a/model.safetensors", b = dir + "/b/model.safetensors"
        let full = try CLI.run(trainArgs(a, threads: 1))
        XCTAssertEqual(full.status, 0, full.stderr)
        let run = try CLI.start(trainArgs(b, threads: 1))
        let deadline = Date().addingTimeInterval(600)
        while !FileManager.default.fileExists(atPath: b), run.isRunning, Date() < deadline { usleep(1000) }
        kill(run.processIdentifier, SIGKILL)
        run.waitUntilExit()
        XCTAssertEqual(run.terminationReason, .uncaughtSignal, "the run ended before it could be killed")
        let state = try SafetensorsFile(path: b).metadata["ghostkit.train_state"] ?? ""
        XCTAssertTrue(state.contains("\"epoch\":1") && state.contains("\"batch\":0"), state)
        let resumed = try CLI.run(trainArgs(b, threads: 1) + ["--resume", b])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("resuming \(b) at epoch 2, batch 0"), resumed.stderr)
        try assertSameTensors(a, b)
        XCTAssertEqual(temps(dir + "/b"), [])
    }

    /// A loss that becomes NaN/Inf (here: --lr 1e30 after a good first epoch) stops the run at that step with a
    /// one-line error saying where; the checkpoint of the last good epoch is left as it was.
    func testNonFiniteLossStopsAtItsStepAndKeepsTheLastGoodCheckpoint() throws {
        let out = dir + "/nan/model.safetensors"
        XCTAssertEqual(try CLI.run(trainArgs(out, epochs: 1)).status, 0)
        let good = try SHA256.hex(file: out)
        let r = try CLI.run(trainArgs(out, lr: "1e30") + ["--resume", out])
        XCTAssertEqual(r.status, 1, r.stderr)
        let line = lastLine(r.stderr)
        XCTAssertNotNil(line.range(of: #"^Error: \#(out): loss became (NaN|inf|-inf) at epoch 2, batch [1-7] \(step (9|1[0-5])\); the last good checkpoint is kept$"#,
                                   options: .regularExpression), line)
        XCTAssertEqual(try SHA256.hex(file: out), good)
        XCTAssertEqual(temps(dir + "/nan"), [])
        XCTAssertEqual(try CLI.run(["info", out]).status, 0)
    }

    /// A full disk (stand-in: RLIMIT_FSIZE of 64 KiB, SIGXFSZ ignored by ghostkit) while writing a checkpoint: one-line
    /// error naming the file, exit status 1, the previous checkpoint intact, no temp file.
    func testFileSizeLimitIsAnErrorNamingTheCheckpointAndKeepsThePreviousOne() throws {
        let out = dir + "/full/model.safetensors"
        XCTAssertEqual(try CLI.run(trainArgs(out, epochs: 1)).status, 0)
        let before = try SHA256.hex(file: out)
        let r = try CLI.run(trainArgs(out) + ["--resume", out], wrapper: CLI.fileSizeLimit(kib: 64))
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertEqual(lastLine(r.stderr), "Error: \(out): cannot write: File too large")
        XCTAssertEqual(try SHA256.hex(file: out), before)
        XCTAssertEqual(temps(dir + "/full"), [])
    }

    /// A read-only output directory: one-line error naming the checkpoint, exit status 1, the previous one intact.
    /// As root the child runs as user nobody (root ignores directory permissions).
    func testReadOnlyOutputDirectoryIsAnErrorAndKeepsThePreviousCheckpoint() throws {
        let ro = dir + "/ro", out = ro + "/model.safetensors"
        XCTAssertEqual(try CLI.run(trainArgs(out, epochs: 1)).status, 0)
        let before = try SHA256.hex(file: out)
        var wrapper: [String] = []
        if geteuid() == 0 {
            guard let w = CLI.unprivileged() else { throw XCTSkip("running as root without setpriv: directory permissions are not enforced") }
            wrapper = w
        }
        XCTAssertEqual(chmod(ro, 0o555), 0)
        defer { chmod(ro, 0o755) }
        let r = try CLI.run(trainArgs(out) + ["--resume", out], wrapper: wrapper)
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertEqual(lastLine(r.stderr), "Error: \(out): cannot write: Permission denied")
        XCTAssertEqual(try SHA256.hex(file: out), before)
        XCTAssertEqual(temps(ro), [])
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

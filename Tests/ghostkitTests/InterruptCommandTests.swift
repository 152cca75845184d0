import Foundation
import GhostTestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// SIGINT / SIGTERM sent to the release binary in the middle of long commands: one line, every temp file
/// removed (AtomicFile's and the HDF5 writer's), exit 130 / 143, earlier outputs untouched; and the
/// output-directory lock that refuses a second run into the same directory.
final class InterruptCommandTests: XCTestCase {
    var dir = ""
    let r18 = Fixtures.repoRoot + "/checkpoints/resnet18-fmnist.safetensors"

    override func setUpWithError() throws {
        try CLIFixtures.requireBinaryAndData()
        try XCTSkipUnless(FileManager.default.fileExists(atPath: r18), "embedded ResNet-18 missing")
        dir = Fixtures.temporaryDirectory()
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    /// Starts ghostkit with stderr captured in a file.
    func start(_ args: [String]) throws -> (Process, String) {
        let log = dir + "/stderr-\(UUID().uuidString).txt"
        FileManager.default.createFile(atPath: log, contents: nil)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLI.binary)
        p.arguments = args
        p.currentDirectoryURL = URL(fileURLWithPath: Fixtures.repoRoot)
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle(forWritingAtPath: log)
        try p.run()
        return (p, log)
    }

    /// Waits (≤ 120 s) until `condition` holds; fails if the process ends first.
    func wait(for what: String, _ p: Process, _ condition: () -> Bool) {
        let deadline = Date().addingTimeInterval(120)
        while !condition() {
            if !p.isRunning { XCTFail("ghostkit ended before \(what)"); return }
            if Date() > deadline { XCTFail("timed out waiting for \(what)"); return }
            usleep(50_000)
        }
    }

    func names(_ d: String) -> [String] { (try? FileManager.default.contentsOfDirectory(atPath: d)) ?? [] }
    func temps(_ d: String) -> [String] { names(d).filter { $0.contains(".tmp-") } }
    func text(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

    func testSIGINTDuringScanRemovesTheHDF5TempAndKeepsTheOldDump() throws {
        let out = dir + "/scan"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let old = Data("an earlier dump".utf8)
        try old.write(to: URL(fileURLWithPath: out + "/activations.h5"))
        let (p, log) = try start(["scan", "--checkpoint", r18, "--images", "2048", "--threads", "1", "--out", out,
                                  "--overwrite"])
        wait(for: "the HDF5 temp file", p) { !temps(out).isEmpty }
        usleep(300_000)
        kill(p.processIdentifier, SIGINT)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationReason, .exit)
        XCTAssertEqual(p.terminationStatus, 130, text(log))
        XCTAssertEqual(text(log).split(separator: "\n").last, "interrupted: scan; nothing written")
        XCTAssertEqual(temps(out), [])
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out + "/activations.h5")), old)
    }

    func testSIGTERMDuringTrainingKeepsTheCheckpointItWrote() throws {
        let ckpt = dir + "/train/m.safetensors"
        let (p, log) = try start(["train", "--arch", "resnet20", "--in-channels", "1", "--epochs", "1",
                                  "--limit-train", "8192", "--limit-test", "32", "--batch-size", "32", "--threads", "1",
                                  "--out", ckpt])
        wait(for: "the first training batch", p) { text(log).contains("loss ") }
        kill(p.processIdentifier, SIGTERM)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 143, text(log))
        XCTAssertEqual(text(log).split(separator: "\n").last,
                       "interrupted: train; last checkpoint kept at \(ckpt); continue with --resume \(ckpt)")
        XCTAssertEqual(temps(dir + "/train"), [])
        XCTAssertEqual(try CLI.run(["info", ckpt]).status, 0)
    }

    func testSIGTERMDuringConvertWritesNothing() throws {
        let out = dir + "/convert/ghost.safetensors"
        let (p, log) = try start(["convert", r18, "--calibration-images", "512", "--eval-images", "2000",
                                  "--threads", "1", "--out", out])
        wait(for: "the conversion to start", p) { !text(log).isEmpty }
        kill(p.processIdentifier, SIGTERM)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 143, text(log))
        XCTAssertEqual(text(log).split(separator: "\n").last, "interrupted: convert; nothing written")
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        XCTAssertEqual(temps(dir + "/convert"), [])
    }

    func testASecondRunIntoALockedDirectoryIsRefusedNamingTheHolder() throws {
        let out = dir + "/scan"
        let (first, _) = try start(["scan", "--checkpoint", r18, "--images", "2048", "--threads", "1", "--out", out])
        wait(for: "the first scan to lock its directory", first) { !temps(out).isEmpty }
        let second = try CLI.run(["scan", "--checkpoint", r18, "--images", "8", "--out", out, "--overwrite"])
        kill(first.processIdentifier, SIGINT)
        first.waitUntilExit()
        XCTAssertEqual(second.status, 1)
        let lines = second.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, second.stderr)
        XCTAssertTrue(second.stderr.contains("\(out): another ghostkit run (pid \(first.processIdentifier)) is writing "
                                             + "into this directory"), second.stderr)
        XCTAssertEqual(first.terminationStatus, 130)
        // Once the holder has gone, the directory is free again.
        XCTAssertEqual(try CLI.run(["scan", "--checkpoint", r18, "--images", "8", "--layers", "layer1.0",
                                    "--out", out]).status, 0)
    }
}

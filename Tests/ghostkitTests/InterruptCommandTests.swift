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

    // Per-command signal tests: every command shares the one handler, but each is interrupted here in the middle
    // of its own work (inputs chosen to make it slow enough), and its earlier outputs must survive.

    /// Sends `signal` to `p` once `ready` holds (then SIGCONT, when `p` was stopped), then checks: status
    /// 128 + signal, the one-line message last on stderr, no temp file left in `dir`.
    func interrupt(_ p: Process, log: String, _ signal: Int32, command: String, dir: String, stopped: Bool = false,
                   when what: String, _ ready: () -> Bool) {
        wait(for: what, p, ready)
        kill(p.processIdentifier, signal)
        if stopped { kill(p.processIdentifier, SIGCONT) }
        p.waitUntilExit()
        XCTAssertEqual(p.terminationReason, .exit, command)
        XCTAssertEqual(p.terminationStatus, 128 + signal, text(log))
        XCTAssertEqual(text(log).split(separator: "\n").last.map(String.init),
                       "interrupted: \(command); nothing written", text(log))
        XCTAssertEqual(temps(dir), [], command)
    }

    /// True once `p` has run for `seconds`.
    func ranFor(_ seconds: Double, since t0: Date) -> Bool { Date().timeIntervalSince(t0) >= seconds }

    func testSIGINTDuringEval() throws {
        let t0 = Date()
        let (p, log) = try start(["eval", r18, "--threads", "1"])  // 10 000 test images at 1 thread: many seconds
        interrupt(p, log: log, SIGINT, command: "eval", dir: dir, when: "eval to be under way") {
            ranFor(1.5, since: t0)
        }
    }

    func testSIGTERMDuringSimilarityKeepsTheEarlierReport() throws {
        let out = dir + "/similarity"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let old = Data("an earlier report".utf8)
        try old.write(to: URL(fileURLWithPath: out + "/similarity.md"))
        let t0 = Date()
        let (p, log) = try start(["similarity", r18, r18, "--images", "4096", "--threads", "1", "--out", out,
                                  "--overwrite"])
        interrupt(p, log: log, SIGTERM, command: "similarity", dir: out, when: "the CKA sums to be under way") {
            ranFor(2, since: t0)
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out + "/similarity.md")), old)
    }

    func testSIGINTDuringReportKeepsTheEarlierPage() throws {
        // One run whose report.md is 40 MB of table rows: rendering it takes seconds.
        let runs = dir + "/runs", html = dir + "/index.html"
        try FileManager.default.createDirectory(atPath: runs + "/scan-big", withIntermediateDirectories: true)
        let row = "| layer1.0 | 12 | 0.95 | 0.93 | 0.91 |\n"
        let md = "# Redundancy scan: big\n\n| a | b | c | d | e |\n|---|---|---|---|---|\n"
            + String(repeating: row, count: 1_000_000)
        try Data(md.utf8).write(to: URL(fileURLWithPath: runs + "/scan-big/report.md"))
        let old = Data("an earlier page".utf8)
        try old.write(to: URL(fileURLWithPath: html))
        let t0 = Date()
        let (p, log) = try start(["report", runs, "--checkpoints", dir, "--out", html, "--overwrite"])
        interrupt(p, log: log, SIGINT, command: "report", dir: dir, when: "the page to be rendering") {
            ranFor(1, since: t0)
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: html)), old)
    }

    func testSIGTERMDuringExportKeepsTheEarlierModel() throws {
        let exportDir = dir + "/export", out = exportDir + "/model.onnx"
        try FileManager.default.createDirectory(atPath: exportDir, withIntermediateDirectories: true)
        let old = Data("an earlier model".utf8)
        // A fresh ImageNet ResNet-152 (60 M parameters, 240 MB of ONNX) takes about a second on a fast disk, too
        // short to hit by time: the process is frozen (SIGSTOP) as soon as its temp file appears, and SIGTERM goes
        // in only if the temp is still there, i.e. before the rename. A run that got past it first is repeated.
        for _ in 0..<5 {
            try old.write(to: URL(fileURLWithPath: out))
            let (p, log) = try start(["export", out, "--arch", "resnet152", "--overwrite"])
            while p.isRunning && temps(exportDir).isEmpty { usleep(1_000) }
            guard p.isRunning else { continue }
            kill(p.processIdentifier, SIGSTOP)
            guard !temps(exportDir).isEmpty else {
                kill(p.processIdentifier, SIGCONT)
                p.waitUntilExit()
                continue
            }
            interrupt(p, log: log, SIGTERM, command: "export", dir: exportDir, stopped: true,
                      when: "the export to stop before its rename") { true }
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out)), old)
            return
        }
        XCTFail("every export run finished before its temp file could be seen")
    }

    func testSIGINTDuringGridKeepsTheEarlierPNG() throws {
        let h5 = dir + "/d.h5", png = dir + "/g.png"
        let d = try CLI.run(["dump", "--checkpoint", r18, "--images", "1", "--layers", "layer1.0", "--out", h5])
        XCTAssertEqual(d.status, 0, d.stderr)
        let old = Data("an earlier grid".utf8)
        try old.write(to: URL(fileURLWithPath: png))
        // 64 maps of 28² drawn 40× larger: a 9000² PNG takes seconds to render and encode.
        let t0 = Date()
        let (p, log) = try start(["grid", "--dump", h5, "--layer", "layer1.0", "--scale", "40", "--out", png,
                                  "--overwrite"])
        interrupt(p, log: log, SIGINT, command: "grid", dir: dir, when: "the grid to be drawing") {
            ranFor(1, since: t0)
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: png)), old)
    }
}

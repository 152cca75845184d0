import Foundation
import GhostIO
import GhostTestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Output directories: a run that fails or is interrupted removes the directories it created while they are still
/// empty (never one that existed before), and fit-kernels locks its directory at the start, as scan does.
final class OutputDirectoryCommandTests: TinyCheckpointTestCase {
    func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    /// The tiny checkpoint with one NaN weight in layer2.0.conv1: a scan fails at its first batch, after creating
    /// its output directory.
    func nanCheckpoint() throws -> String {
        let file = try SafetensorsFile(path: checkpoint)
        let tensors = try file.allTensors().map { name, t in
            if name == "layer2.0.conv1.weight" { t.uncheckedMutablePointer[5] = .nan }
            return (name: name, tensor: t, dtype: SafetensorsDType.F32)
        }
        let bad = dir + "/nan.safetensors"
        try SafetensorsFile.write(path: bad, tensors: tensors, metadata: file.metadata)
        return bad
    }

    func testAFailedScanRemovesTheDirectoriesItCreatedButNotAnEarlierOne() throws {
        let bad = try nanCheckpoint()
        let made = dir + "/new/deeper/scan"
        let r = try CLI.run(["scan", "--checkpoint", bad, "--images", "8", "--out", made])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("produced nan"), r.stderr)
        XCTAssertFalse(exists(dir + "/new"), "every directory the scan created is gone")
        let earlier = dir + "/earlier"
        try FileManager.default.createDirectory(atPath: earlier, withIntermediateDirectories: true)
        let again = try CLI.run(["scan", "--checkpoint", bad, "--images", "8", "--out", earlier + "/scan"])
        XCTAssertEqual(again.status, 1, again.stderr)
        XCTAssertTrue(exists(earlier), "a directory that existed before is kept")
        XCTAssertFalse(exists(earlier + "/scan"))
    }

    func testAnInterruptedScanRemovesTheDirectoryItCreated() throws {
        let out = dir + "/made/scan"
        let p = try CLI.start(["scan", "--checkpoint", checkpoint, "--images", "4096", "--threads", "1", "--out", out])
        let deadline = Date().addingTimeInterval(120)
        func names() -> [String] { (try? FileManager.default.contentsOfDirectory(atPath: out)) ?? [] }
        while !names().contains(where: { $0.contains(".tmp-") }), p.isRunning, Date() < deadline { usleep(20_000) }
        XCTAssertTrue(p.isRunning, "the scan ended before its HDF5 temp file appeared")
        kill(p.processIdentifier, SIGTERM)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 143)
        XCTAssertFalse(exists(dir + "/made"), "the temp file and the directories the scan created are gone")
    }

    /// PIDs holding a flock, from /proc/locks.
    func flockHolders() -> [Int32] {
        let text = (try? String(contentsOfFile: "/proc/locks", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            return f.count > 4 && f[1] == "FLOCK" ? Int32(f[4]) : nil
        }
    }

    func testFitKernelsLocksItsDirectoryAtTheStart() throws {
        let scan = dir + "/scan", out = dir + "/fit"
        let s = try CLI.run(["scan", "--checkpoint", checkpoint, "--images", "64", "--layers", "layer1.2",
                             "--out", scan])
        XCTAssertEqual(s.status, 0, s.stderr)
        let first = try CLI.start(["fit-kernels", "--scan", scan, "--sizes", "1,3,5,7,9", "--random-pairs", "64",
                                   "--threads", "1", "--out", out])
        let deadline = Date().addingTimeInterval(60)
        while !flockHolders().contains(first.processIdentifier), first.isRunning, Date() < deadline { usleep(2_000) }
        // Frozen while it holds the lock (before its fits, if it locks at the start), so the test cannot race it.
        kill(first.processIdentifier, SIGSTOP)
        XCTAssertTrue(flockHolders().contains(first.processIdentifier), "the first fit-kernels took no lock in time")
        XCTAssertFalse(exists(out + "/report.md"), "the lock was taken only when writing")
        let t0 = Date()
        let second = try CLI.run(["fit-kernels", "--scan", scan, "--threads", "1", "--out", out, "--overwrite"])
        let seconds = Date().timeIntervalSince(t0)
        kill(first.processIdentifier, SIGCONT)
        first.waitUntilExit()
        XCTAssertEqual(second.status, 1, second.stderr)
        XCTAssertEqual(second.stderr, "Error: \(out): another ghostkit run (pid \(first.processIdentifier)) is writing "
                       + "into this directory; wait for it to finish or choose another output directory\n")
        XCTAssertLessThan(seconds, 5, "refused at once, not after its own fits")
        XCTAssertEqual(first.terminationStatus, 0)
        XCTAssertTrue(exists(out + "/report.md"))
    }
}

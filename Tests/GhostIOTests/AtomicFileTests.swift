import Foundation
import GhostIO
import GhostTensor
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class AtomicFileTests: XCTestCase {
    var dir = ""

    override func setUp() {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("ghostkit-atomic-" + UUID().uuidString).path
        try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDown() {
        chmod(dir, 0o755)
        try? FileManager.default.removeItem(atPath: dir)
    }

    private func listing(_ d: String? = nil) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: d ?? dir)) ?? []).sorted()
    }

    private func contents(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }

    private func message(_ error: Error) -> String { (error as? GhostError)?.message ?? "not a GhostError: \(error)" }

    func testWriteThenOverwriteLeavesNewContentAndNoTemps() throws {
        let path = dir + "/out.bin"
        try AtomicFile.write(Data([1, 2, 3]), to: path)
        XCTAssertEqual(contents(path), Data([1, 2, 3]))
        try AtomicFile.write(Data([4, 5]), to: path)
        XCTAssertEqual(contents(path), Data([4, 5]))
        XCTAssertEqual(listing(), ["out.bin"])
    }

    func testWriterAppendsEveryPiece() throws {
        let path = dir + "/pieces.bin"
        let big = [UInt8]((0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        try AtomicFile.write(to: path) { w in
            try w.write(Data([1]))
            try w.write([2, 3])
            try big.withUnsafeBytes { try w.write($0) }
            try w.write(UnsafeRawBufferPointer(start: nil, count: 0))
        }
        XCTAssertEqual(contents(path), Data([1, 2, 3] + big))
        XCTAssertEqual(listing(), ["pieces.bin"])
    }

    func testMissingDirectoryThrowsNamingThePath() {
        let parent = dir + "/missing"
        let path = parent + "/out.bin"
        XCTAssertThrowsError(try AtomicFile.write(Data([1]), to: path)) { e in
            XCTAssertEqual(message(e), path + ": cannot write: No such file or directory")
        }
        XCTAssertEqual(listing(), [])
    }

    func testDirectoryThatIsAFileThrowsNamingThePath() throws {
        let notDir = dir + "/plain"
        XCTAssertTrue(FileManager.default.createFile(atPath: notDir, contents: Data([0])))
        let path = notDir + "/out.bin"
        XCTAssertThrowsError(try AtomicFile.write(Data([1]), to: path)) { e in
            XCTAssertEqual(message(e), path + ": cannot write: Not a directory")
        }
        XCTAssertEqual(listing(), ["plain"])
    }

    func testDestinationThatIsADirectoryIsRefusedAndCleanedUp() throws {
        let path = dir + "/sub"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        XCTAssertThrowsError(try AtomicFile.write(Data([1]), to: path)) { e in
            XCTAssertTrue(message(e).hasPrefix(path + ": cannot replace: "), message(e))
        }
        XCTAssertEqual(listing(), ["sub"])
        XCTAssertThrowsError(try AtomicFile.write(Data([1]), to: dir + "/")) { e in
            XCTAssertTrue(message(e).hasPrefix(dir + "/: cannot write"), message(e))
        }
    }

    func testReadOnlyDirectoryThrowsNamingThePathAndKeepsTheOldFile() throws {
        let path = dir + "/keep.bin"
        try AtomicFile.write(Data([7]), to: path)
        XCTAssertEqual(chmod(dir, 0o555), 0)
        defer { chmod(dir, 0o755) }
        if geteuid() == 0 { throw XCTSkip("running as root: directory permissions are not enforced") }
        XCTAssertThrowsError(try AtomicFile.write(Data([8]), to: path)) { e in
            XCTAssertEqual(message(e), path + ": cannot write: Permission denied")
        }
        XCTAssertEqual(contents(path), Data([7]))
        XCTAssertEqual(listing(), ["keep.bin"])
    }

    func testFailingBodyKeepsPreviousFileAndRemovesTemp() throws {
        let path = dir + "/keep.bin"
        try AtomicFile.write(Data([9]), to: path)
        XCTAssertThrowsError(try AtomicFile.write(to: path) { w in
            try w.write(Data(repeating: 1, count: 1000))
            throw GhostError("boom")
        }) { e in XCTAssertEqual(e as? GhostError, GhostError("boom")) }
        XCTAssertEqual(contents(path), Data([9]))
        XCTAssertEqual(listing(), ["keep.bin"])
    }

    /// A write that fails part-way (here EFBIG from a file-size limit, standing in for ENOSPC)
    /// is an error naming the path; the old file stays and the temp file is removed.
    func testOSWriteErrorMidwayIsAnErrorNotACrash() throws {
        let path = dir + "/big.bin"
        try AtomicFile.write(Data([1, 2]), to: path)
        var old = rlimit()
        XCTAssertEqual(getrlimit(Int32(RLIMIT_FSIZE.rawValue), &old), 0)
        let previousHandler = signal(SIGXFSZ, SIG_IGN)
        var limit = old
        limit.rlim_cur = 4096
        XCTAssertEqual(setrlimit(Int32(RLIMIT_FSIZE.rawValue), &limit), 0)
        var thrown: Error?
        do { try AtomicFile.write(Data(repeating: 3, count: 100_000), to: path) } catch { thrown = error }
        _ = setrlimit(Int32(RLIMIT_FSIZE.rawValue), &old)
        signal(SIGXFSZ, previousHandler)
        XCTAssertEqual(thrown.map(message), path + ": cannot write: File too large")
        XCTAssertEqual(contents(path), Data([1, 2]))
        XCTAssertEqual(listing(), ["big.bin"])
    }

    func testOverwriteKeepsPermissions() throws {
        let path = dir + "/secret.bin"
        try AtomicFile.write(Data([1]), to: path)
        XCTAssertEqual(chmod(path, 0o600), 0)
        try AtomicFile.write(Data([2]), to: path)
        var st = stat()
        XCTAssertEqual(stat(path, &st), 0)
        XCTAssertEqual(st.st_mode & 0o777, 0o600)
    }

    func testStaleTempsOfDeadWritersAreRemoved() throws {
        // pid_max is never a live pid; our own pid means a previous run of ours; pid 1 is alive.
        let pidMax = (try? String(contentsOfFile: "/proc/sys/kernel/pid_max", encoding: .utf8))
            .flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 4_194_304
        let dead = ".a.bin.tmp-\(pidMax)-abc", mine = ".a.bin.tmp-\(getpid())-1", garbled = ".a.bin.tmp-x"
        let live = ".a.bin.tmp-1-2", other = ".b.bin.tmp-\(pidMax)-1"
        for name in [dead, mine, garbled, live, other, "a.bin"] {
            XCTAssertTrue(FileManager.default.createFile(atPath: dir + "/" + name, contents: Data([0])))
        }
        AtomicFile.removeStaleTemps(in: dir, for: "a.bin")
        XCTAssertEqual(listing(), [live, other, "a.bin"].sorted())
        AtomicFile.removeStaleTemps(in: dir + "/does-not-exist", for: "a.bin")  // no crash
    }

    /// A writer killed mid-write (SIGKILL) leaves its temp file; the next write of the same destination
    /// removes it (and leaves the temps of other destinations and of live writers alone).
    func testNextWriteRemovesTempsOfAKilledWriter() throws {
        let path = dir + "/ckpt.bin"
        try AtomicFile.write(Data([1]), to: path)
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/sh")
        child.arguments = ["-c", "exit 0"]
        try child.run()
        child.waitUntilExit()  // a pid that is no longer running
        let stale = ".ckpt.bin.tmp-\(child.processIdentifier)-5eed", live = ".ckpt.bin.tmp-1-2", other = ".x.bin.tmp-\(child.processIdentifier)-1"
        for name in [stale, live, other] { XCTAssertTrue(FileManager.default.createFile(atPath: dir + "/" + name, contents: Data([0, 0]))) }
        try AtomicFile.write(Data([2]), to: path)
        XCTAssertEqual(contents(path), Data([2]))
        XCTAssertEqual(listing(), [live, other, "ckpt.bin"].sorted())
    }
}

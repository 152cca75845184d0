import Foundation
import GhostIO
import GhostTestSupport
import XCTest

/// The registry of in-flight temp files an interrupt removes, and AtomicFile's all-or-nothing set of files.
final class TempFilesTests: XCTestCase {
    var dir = ""
    override func setUp() { dir = Fixtures.temporaryDirectory() }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func testAtomicWritesRegisterTheirTempWhileWriting() throws {
        let path = dir + "/a.bin"
        var seen: [String] = []
        try AtomicFile.write(to: path) { w in
            seen = TempFiles.inFlight.filter { $0.hasPrefix(self.dir) }
            try w.write([1, 2, 3])
        }
        XCTAssertEqual(seen.count, 1)
        XCTAssertTrue(seen[0].hasPrefix(dir + "/.a.bin.tmp-"), "\(seen)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: seen[0]))
        XCTAssertEqual(TempFiles.inFlight.filter { $0.hasPrefix(dir) }, [])
        XCTAssertThrowsError(try AtomicFile.write(to: dir + "/b.bin") { _ in throw GhostError("stop") })
        XCTAssertEqual(TempFiles.inFlight.filter { $0.hasPrefix(dir) }, [])
    }

    func testASetIsReplacedOnlyWhenEveryFileIsWritten() throws {
        let a = dir + "/f.png", b = dir + "/f.svg"
        try AtomicFile.write([(a, Data("old png".utf8)), (b, Data("old svg".utf8))])
        // The second file cannot be written (its name is a directory): neither is replaced, no temp is left.
        try FileManager.default.createDirectory(atPath: dir + "/sub", withIntermediateDirectories: true)
        let bad = dir + "/missing/f.svg"
        XCTAssertThrowsError(try AtomicFile.write([(a, Data("new png".utf8)), (bad, Data("new svg".utf8))])) { e in
            XCTAssertTrue("\(e)".hasPrefix(bad + ": cannot write"), "\(e)")
        }
        XCTAssertEqual(try String(contentsOfFile: a, encoding: .utf8), "old png")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).sorted(), ["f.png", "f.svg", "sub"])
        try AtomicFile.write([(a, Data("new png".utf8)), (b, Data("new svg".utf8))])
        XCTAssertEqual(try String(contentsOfFile: a, encoding: .utf8), "new png")
        XCTAssertEqual(try String(contentsOfFile: b, encoding: .utf8), "new svg")
        XCTAssertEqual(TempFiles.inFlight.filter { $0.hasPrefix(dir) }, [])
    }

    func testRenameIntoPlaceMovesTheTempAndRecordsTheOutputTogether() throws {
        let temp = AtomicFile.tempPath(for: dir + "/m.h5"), out = dir + "/m.h5"
        TempFiles.creating(temp) { FileManager.default.createFile(atPath: temp, contents: Data("new".utf8)) }
        XCTAssertEqual(TempFiles.inFlight.filter { $0.hasPrefix(dir) }, [temp])
        XCTAssertEqual(TempFiles.renameIntoPlace(temp, out), 0)
        XCTAssertEqual(TempFiles.inFlight.filter { $0.hasPrefix(dir) }, [])
        XCTAssertEqual(TempFiles.written.filter { $0.hasPrefix(dir) }, [out])
        XCTAssertEqual(try String(contentsOfFile: out, encoding: .utf8), "new")
        // A rename that fails (no such directory) leaves the temp registered and records nothing.
        let stray = AtomicFile.tempPath(for: dir + "/n.h5")
        TempFiles.creating(stray) { FileManager.default.createFile(atPath: stray, contents: Data()) }
        XCTAssertNotEqual(TempFiles.renameIntoPlace(stray, dir + "/missing/n.h5"), 0)
        XCTAssertEqual(TempFiles.inFlight.filter { $0.hasPrefix(dir) }, [stray])
        XCTAssertEqual(TempFiles.written.filter { $0.hasPrefix(dir) }, [out])
        TempFiles.finished(stray, output: nil)
    }
}

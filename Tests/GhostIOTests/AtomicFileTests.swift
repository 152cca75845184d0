import Foundation
import GhostIO
import GhostTensor
import GhostTestSupport
import XCTest

final class AtomicFileTests: XCTestCase {
    func testOverwriteLeavesNewContentAndNoTemps() throws {
        let dir = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/out.bin"
        try AtomicFile.write(Data([1, 2, 3]), to: path)
        try AtomicFile.write(Data([4, 5]), to: path)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), Data([4, 5]))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["out.bin"])
    }

    func testMissingDirectoryNamesThePath() {
        let path = "/nonexistent-ghostkit-dir/out.bin"
        XCTAssertThrowsError(try AtomicFile.write(Data([1]), to: path)) { e in
            XCTAssertTrue((e as? GhostError)?.message.hasPrefix(path + ": cannot write") ?? false, "\(e)")
        }
    }

    func testFailingWriterKeepsPreviousFileAndRemovesTemp() throws {
        let dir = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/keep.bin"
        try AtomicFile.write(Data([9]), to: path)
        XCTAssertThrowsError(try AtomicFile.write(to: path) { _ in throw GhostError("boom") })
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), Data([9]))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["keep.bin"])
    }

    func testStaleTempsAreRemoved() throws {
        let dir = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        FileManager.default.createFile(atPath: dir + "/.a.bin.tmp-1-2", contents: Data([0]))
        FileManager.default.createFile(atPath: dir + "/a.bin", contents: Data([0]))
        AtomicFile.removeStaleTemps(in: dir, for: "a.bin")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["a.bin"])
    }
}

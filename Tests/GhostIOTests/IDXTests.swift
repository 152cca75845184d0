import Foundation
import GhostIO
import GhostTensor
import GhostTestSupport
import XCTest

final class IDXTests: XCTestCase {
    var dir = ""
    override func setUp() { dir = Fixtures.temporaryDirectory() }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    private func message(_ error: Error) -> String { (error as? GhostError)?.message ?? "not a GhostError: \(error)" }

    private func idx(_ shape: [UInt32], _ payload: [UInt8]) -> [UInt8] {
        [0, 0, 8, UInt8(shape.count)] + shape.flatMap { d in (0..<4).map { UInt8(truncatingIfNeeded: d >> (24 - 8 * $0)) } } + payload
    }

    /// gzip through the system's gzip, so the reader is checked against a real encoder.
    private func gzip(_ bytes: [UInt8], name: String) throws -> String {
        let plain = dir + "/" + name
        FileManager.default.createFile(atPath: plain, contents: Data(bytes))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/gzip")
        p.arguments = ["-n", "-f", plain]
        try p.run()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
        return plain + ".gz"
    }

    func testPlainAndGzipFilesRead() throws {
        let bytes = idx([2, 3, 3], Array(0..<18))
        let plain = dir + "/a.idx"
        FileManager.default.createFile(atPath: plain, contents: Data(bytes))
        let a = try IDX.read(path: plain)
        XCTAssertEqual(a.shape, [2, 3, 3])
        XCTAssertEqual(a.bytes, Array(0..<18))
        let b = try IDX.read(path: try gzip(bytes, name: "b.idx"))
        XCTAssertEqual(b.shape, [2, 3, 3])
        XCTAssertEqual(b.bytes, Array(0..<18))
    }

    /// Two gzip members back to back (what `cat a.gz b.gz` makes) are one stream, as gzread reads them.
    func testConcatenatedGzipMembersAreOneStream() throws {
        let bytes = idx([4], [9, 8, 7, 6])
        let first = try Data(contentsOf: URL(fileURLWithPath: try gzip(Array(bytes.prefix(6)), name: "p1")))
        let second = try Data(contentsOf: URL(fileURLWithPath: try gzip(Array(bytes.dropFirst(6)), name: "p2")))
        let a = try IDX.parse([UInt8](first + second), path: "x.gz")
        XCTAssertEqual(a.shape, [4])
        XCTAssertEqual(a.bytes, [9, 8, 7, 6])
    }

    /// The example: a 16-byte file whose header claims 10^12 elements is refused at once,
    /// plain or gzip-compressed, before anything of that size is allocated or inflated.
    func testSixteenByteFileClaimingATrillionElementsIsRefusedInstantly() throws {
        let claim = idx([4_000_000, 1000, 1000], [])
        XCTAssertEqual(claim.count, 16)
        let plain = dir + "/huge.idx"
        FileManager.default.createFile(atPath: plain, contents: Data(claim))
        let gz = try gzip(claim, name: "huge2.idx")
        for path in [plain, gz] {
            let start = Date()
            XCTAssertThrowsError(try IDX.read(path: path)) { e in
                XCTAssertEqual(message(e), path + ": IDX dimensions claim more than 536870912 bytes (the 512 MiB limit, "
                               + "IDX.maxBytes)")
            }
            XCTAssertLessThan(Date().timeIntervalSince(start), 0.5)
        }
    }

    /// A consistent 2 GB file (header [2·10⁹] and as many bytes; sparse here) is refused by the documented limit
    /// from its size alone, before a byte of it is read.
    func testConsistentTwoGigabyteFileIsRefusedBeforeReading() throws {
        let path = dir + "/two-gb.idx"
        FileManager.default.createFile(atPath: path, contents: Data(idx([2_000_000_000], [])))
        let h = try XCTUnwrap(FileHandle(forWritingAtPath: path))
        try h.truncate(atOffset: 8 + 2_000_000_000)
        try h.close()
        let start = Date()
        XCTAssertThrowsError(try IDX.read(path: path)) { e in
            XCTAssertEqual(message(e), path + ": IDX file of 2000000008 bytes is larger than the 512 MiB limit "
                           + "(IDX.maxBytes)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 0.5)
    }

    /// A claim within the limit but beyond what the gzip data could expand to (deflate: ≤ 1032:1) is
    /// refused before inflating.
    func testGzipClaimBeyondTheCompressionLimitIsRefused() throws {
        let path = try gzip(idx([100_000_000], [1, 2, 3]), name: "big.idx")
        XCTAssertThrowsError(try IDX.read(path: path)) { e in
            XCTAssertTrue(message(e).hasPrefix(path + ": IDX dimensions [100000000] need 100000000 bytes, more than "), message(e))
        }
    }

    func testTruncatedCorruptAndMismatchedFilesAreOneLineErrors() throws {
        let good = [UInt8](try Data(contentsOf: URL(fileURLWithPath: try gzip(idx([3, 10], Array(repeating: 5, count: 30)), name: "g.idx"))))
        let cases: [([UInt8], String)] = [
            ([], "not an IDX file: 0 bytes"),
            ([0, 0, 8], "not an IDX file: 3 bytes"),
            ([1, 0, 8, 1, 0, 0, 0, 0], "not an IDX file: bad magic number"),
            ([0, 0, 0x0D, 1, 0, 0, 0, 0], "IDX element type 0x0d is not unsigned byte (0x08)"),
            ([0, 0, 8, 9], "IDX header has 9 dimensions (1…4 supported)"),
            ([0, 0, 8, 2, 0, 0, 0, 1], "IDX header truncated: 2 dimensions need 12 bytes, the file has 8"),
            (idx([2, 2], [1, 2, 3]), "IDX dimensions [2, 2] need 4 bytes but the file has 3"),
            (idx([2, 2], [1, 2, 3, 4, 5]), "IDX dimensions [2, 2] need 4 bytes but the file has 5"),
            (Array(good.prefix(good.count - 9)), "truncated gzip data"),
            (good + [0x41], "1 bytes of trailing data after the gzip stream"),
            (good + [0x1F, 0x8B, 0x41, 0, 0, 0, 0, 0, 0, 3], "corrupt gzip data (unknown compression method)"),
            ([0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3, 0xFF, 0xFF], "corrupt gzip data (invalid block type)"),
        ]
        for (bytes, problem) in cases {
            XCTAssertThrowsError(try IDX.parse(bytes, path: "f.gz"), problem) { e in XCTAssertEqual(message(e), "f.gz: " + problem) }
        }
        XCTAssertEqual(try IDX.parse(good + [0, 0, 0], path: "f.gz").shape, [3, 10], "zero padding after the stream is accepted")
        XCTAssertThrowsError(try IDX.read(path: dir + "/missing.gz")) { e in XCTAssertEqual(message(e), dir + "/missing.gz: no such file") }
        XCTAssertThrowsError(try IDX.read(path: dir)) { e in XCTAssertEqual(message(e), dir + ": is a directory, not an IDX file") }
    }

    /// 0×0 (or 0-wide) images and absurdly large ones are refused at load, plain or gzip (a 0×0 image used to reach
    /// the convolution and divide by zero there).
    func testZeroSizedAndOversizedImagesAreRefused() throws {
        for (shape, problem) in [([3, 0, 0], "IDX dimension 1 is 0"), ([3, 28, 0], "IDX dimension 2 is 0"),
                                 ([1, 2048, 1], "IDX images of 2048 pixels a side are larger than 1024")] {
            let bytes = idx(shape.map(UInt32.init), [UInt8](repeating: 0, count: shape.reduce(1, *)))
            let plain = dir + "/z.idx"
            FileManager.default.createFile(atPath: plain, contents: Data(bytes))
            XCTAssertThrowsError(try IDX.read(path: plain)) { XCTAssertTrue(message($0).hasPrefix(plain + ": " + problem), message($0)) }
            let gz = try gzip(bytes, name: "z\(shape[2]).idx")
            XCTAssertThrowsError(try IDX.read(path: gz)) { XCTAssertTrue(message($0).hasPrefix(gz + ": " + problem), message($0)) }
        }
        // Zero entries of a valid size stay readable (the caller decides whether an empty set is acceptable).
        let empty = dir + "/empty.idx"
        FileManager.default.createFile(atPath: empty, contents: Data(idx([0, 28, 28], [])))
        XCTAssertEqual(try IDX.read(path: empty).shape, [0, 28, 28])
    }

    /// With an expected count (the labels'), a gzip whose header claims another count is refused from its header
    /// alone: here the stream is cut in half, so reading any further would fail as "truncated" instead.
    func testHeaderCountIsCheckedBeforeThePayloadIsInflated() throws {
        var rng = SplitMix64(seed: 9)
        let payload = (0..<(1000 * 28 * 28)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let gz = try gzip(idx([1000, 28, 28], payload), name: "imgs.idx")
        let cut = dir + "/cut.idx.gz"
        let whole = try Data(contentsOf: URL(fileURLWithPath: gz))
        FileManager.default.createFile(atPath: cut, contents: whole.prefix(whole.count / 2))
        XCTAssertThrowsError(try IDX.read(path: cut, expectedCount: 10)) {
            XCTAssertEqual(message($0), cut + ": IDX header claims 1000 entries where 10 are expected")
        }
        XCTAssertThrowsError(try IDX.read(path: cut)) { XCTAssertTrue(message($0).contains("truncated"), message($0)) }
        XCTAssertEqual(try IDX.read(path: gz, expectedCount: 1000).bytes, payload)
    }
}

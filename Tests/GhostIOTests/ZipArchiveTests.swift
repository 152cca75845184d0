import Foundation
import GhostIO
import GhostTestSupport
import XCTest

final class ZipArchiveTests: XCTestCase {
    func testReadsTorchArchive() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("pth/r18.zip.pth")))
        let zip = try ZipArchive(data: data, name: "r18.zip.pth")
        let pkl = try XCTUnwrap(zip.entry("r18.zip/data.pkl"))
        XCTAssertEqual(pkl.method, 0)
        XCTAssertEqual(try zip.contents(of: pkl).prefix(2), Data([0x80, 0x02]))
        XCTAssertEqual(zip.entries.filter { $0.name.hasPrefix("r18.zip/data/") }.count, 122)
        XCTAssertEqual(String(decoding: try zip.contents(of: try XCTUnwrap(zip.entry("r18.zip/version"))), as: UTF8.self), "3\n")
    }

    /// DEFLATE entries (a torch file re-zipped by another tool), and zip64 records, read like stored ones.
    func testDeflateAndZip64() throws {
        let zip = try ZipArchive(data: try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("pth/r18.deflated.pth"))), name: "d")
        let stored = try ZipArchive(data: try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("pth/r18.zip.pth"))), name: "s")
        XCTAssertTrue(zip.entries.contains { $0.method == 8 })
        for e in stored.entries {
            let d = try XCTUnwrap(zip.entry(e.name), e.name)
            XCTAssertEqual(try zip.contents(of: d), try stored.contents(of: e), e.name)
        }
        let z64 = try ZipArchive(data: try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("pth/zip64.zip"))), name: "z64")
        XCTAssertEqual(z64.entries.map(\.name), ["a.txt", "b.txt"])
        XCTAssertEqual(String(decoding: try z64.contents(of: z64.entries[1]), as: UTF8.self), "second entry\n")
    }

    func testDamagedArchivesAreRefused() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("pth/r18.zip.pth")))
        XCTAssertThrowsError(try ZipArchive(data: data.prefix(data.count - 300), name: "t.pth")) { e in
            XCTAssertTrue("\(e)".hasPrefix("t.pth: zip: "), "\(e)")
        }
        XCTAssertThrowsError(try ZipArchive(data: Data([0x50, 0x4B, 3, 4]), name: "short")) { e in XCTAssertTrue("\(e)".contains("too short"), "\(e)") }
        // A flipped byte in stored data fails the CRC check.
        var bytes = [UInt8](data)
        let zip = try ZipArchive(data: data, name: "x")
        let e = try XCTUnwrap(zip.entry("r18.zip/data/0"))
        bytes[e.dataOffset + 5] ^= 0xFF
        let bad = try ZipArchive(data: Data(bytes), name: "x")
        XCTAssertThrowsError(try bad.contents(of: try XCTUnwrap(bad.entry("r18.zip/data/0")))) { e in XCTAssertTrue("\(e)".contains("CRC-32"), "\(e)") }
        // Random corruption of the directory never traps.
        let cd = data.count - 3000
        for i in 0..<1500 {
            var b = [UInt8](data)
            b[cd + (i * 7919) % 3000] = UInt8(truncatingIfNeeded: i * 31 + 7)
            b[cd + (i * 104_729) % 3000] = 0xFF
            if let z = try? ZipArchive(data: Data(b), name: "c") { for e in z.entries { _ = try? z.contents(of: e) } }
        }
    }
}

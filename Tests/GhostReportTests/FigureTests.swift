import Foundation
import GhostIO
import GhostReport
import GhostTensor
import GhostTestSupport
import XCTest

final class PNGTests: XCTestCase {
    /// A cairo figure written as PNG decodes at its pixel size with the colours drawn where they were drawn.
    func testFigureRoundTripsThroughPNG() throws {
        let dir = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fig = Figure(width: 40, height: 20, title: "t") { c in
            c.fill(Rect(x: 0, y: 0, width: 10, height: 10), color: .red)
            c.line(0, 18, 40, 18, width: 2, color: .blue)
            c.text("Ag", x: 20, y: 2, size: 10, baseline: .top)
        }
        let paths = try fig.write(to: dir + "/a.png")
        XCTAssertEqual(paths, ["png", "svg", "pdf"].map { dir + "/a." + $0 })
        let rgb = try PNGFile.read(path: dir + "/a.png", channels: 3)
        XCTAssertEqual(rgb.shape, [3, 40, 80])  // 2 pixels per point
        XCTAssertEqual(rgb[0, 10, 10], 220.0 / 255, accuracy: 1e-6)  // red square
        XCTAssertEqual(rgb[2, 36, 60], 220.0 / 255, accuracy: 1e-6)  // blue line (y 17…19 pt)
        XCTAssertEqual(rgb[1, 0, 79], 1)  // white background
        let text = (0..<40).flatMap { y in (40..<80).map { x in rgb[1, y, x] } }.filter { $0 < 0.5 }.count
        XCTAssertGreaterThan(text, 20, "the glyphs were drawn")
        try assertFigure(dir + "/a", size: (80, 40), labels: ["Ag"])
    }

    /// A figure cannot be written into a missing folder: the error names the path, nothing is left behind.
    func testWriteIntoMissingFolderNamesThePath() {
        let fig = Figure(width: 10, height: 10, title: "t") { _ in }
        XCTAssertThrowsError(try fig.write(to: "/nonexistent-dir/x.png")) { e in
            XCTAssertTrue("\(e)".contains("/nonexistent-dir/x.png"), "\(e)")
        }
    }

    func testBadPNGsAreRefusedWithThePath() throws {
        let dir = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let good = try PNGFile.encode(width: 30, height: 30, rgb: [UInt8](repeating: 255, count: 30 * 30 * 3))
        for (name, bytes) in [
            ("text.png", Data("not a png".utf8)), ("cut.png", good.prefix(good.count / 2)), ("empty.png", Data()),
        ] {
            let p = dir + "/" + name
            FileManager.default.createFile(atPath: p, contents: bytes)
            XCTAssertThrowsError(try PNGFile.read(path: p, channels: 1)) { e in
                XCTAssertTrue("\(e)".hasPrefix(p + ":"), "\(e)")
            }
        }
        XCTAssertThrowsError(try PNGFile.read(path: dir + "/none.png", channels: 3))
    }

    /// A small PNG whose header claims 16000×16000 pixels is refused before a 768 MB buffer is allocated.
    func testTinyPNGClaimingHugeDimensionsIsRefusedInstantly() throws {
        var bytes = [UInt8](try PNGFile.encode(width: 2, height: 2, rgb: [UInt8](repeating: 0, count: 12)))
        // IHDR data starts at byte 16 (8 signature + 4 length + 4 type); its CRC covers type + data (17 bytes).
        for (offset, value) in [(16, UInt32(16000)), (20, UInt32(16000))] {
            for k in 0..<4 { bytes[offset + k] = UInt8(truncatingIfNeeded: value >> (24 - 8 * UInt32(k))) }
        }
        let crc = Self.crc32(bytes[12..<29])
        for k in 0..<4 { bytes[29 + k] = UInt8(truncatingIfNeeded: crc >> (24 - 8 * UInt32(k))) }
        let start = Date()
        XCTAssertThrowsError(try PNGFile.decode(Data(bytes), path: "big.png", channels: 3)) { e in
            XCTAssertEqual(
                (e as? GhostError)?.message,
                "big.png: PNG claims 16000×16000 pixels, more than its \(bytes.count) bytes can hold")
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 0.5)
    }

    /// CRC-32 (ISO 3309, as PNG chunks use).
    static func crc32<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            c ^= UInt32(b)
            for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        }
        return c ^ 0xFFFF_FFFF
    }
}

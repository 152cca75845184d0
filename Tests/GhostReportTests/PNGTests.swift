import Foundation
import GhostIO
import GhostReport
import GhostTensor
import GhostTestSupport
import XCTest

final class PNGTests: XCTestCase {
    func testRoundTripAndDrawing() throws {
        let dir = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var img = RGBImage(width: 40, height: 20)
        img.fill(x: 0, y: 0, w: 10, h: 10, .red)
        img.line(0, 19, 39, 19, .blue)
        img.text("Ag", x: 20, y: 2)
        let path = dir + "/a.png"
        try PNGFile.write(img, to: path)
        let rgb = try PNGFile.read(path: path, channels: 3)
        XCTAssertEqual(rgb.shape, [3, 20, 40])
        XCTAssertEqual(rgb[0, 5, 5], 220.0 / 255, accuracy: 1e-6)   // red square
        XCTAssertEqual(rgb[2, 19, 30], 220.0 / 255, accuracy: 1e-6)  // blue line
        XCTAssertEqual(rgb[1, 0, 39], 1)                             // white background
        // The 'A' glyph's top pixel (column 2, row 0) is set; the space right of 'g' is not.
        XCTAssertEqual(img.get(22, 2), .black)
        XCTAssertEqual(img.get(31, 2), .white)
        let gray = try PNGFile.read(path: path, channels: 1)
        XCTAssertEqual(gray.shape, [1, 20, 40])
    }

    func testBadPNGsAreRefusedWithThePath() throws {
        let dir = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let good = try PNGFile.encode(RGBImage(width: 30, height: 30))
        for (name, bytes) in [("text.png", Data("not a png".utf8)), ("cut.png", good.prefix(good.count / 2)), ("empty.png", Data())] {
            let p = dir + "/" + name
            FileManager.default.createFile(atPath: p, contents: bytes)
            XCTAssertThrowsError(try PNGFile.read(path: p, channels: 1)) { e in XCTAssertTrue("\(e)".hasPrefix(p + ":"), "\(e)") }
        }
        XCTAssertThrowsError(try PNGFile.read(path: dir + "/none.png", channels: 3))
    }

    /// A small PNG whose header claims 16000×16000 pixels is refused before a 768 MB buffer is allocated.
    func testTinyPNGClaimingHugeDimensionsIsRefusedInstantly() throws {
        var bytes = [UInt8](try PNGFile.encode(RGBImage(width: 2, height: 2)))
        // IHDR data starts at byte 16 (8 signature + 4 length + 4 type); its CRC covers type + data (17 bytes).
        for (offset, value) in [(16, UInt32(16000)), (20, UInt32(16000))] {
            for k in 0..<4 { bytes[offset + k] = UInt8(truncatingIfNeeded: value >> (24 - 8 * UInt32(k))) }
        }
        let crc = Self.crc32(bytes[12..<29])
        for k in 0..<4 { bytes[29 + k] = UInt8(truncatingIfNeeded: crc >> (24 - 8 * UInt32(k))) }
        let start = Date()
        XCTAssertThrowsError(try PNGFile.decode(Data(bytes), path: "big.png", channels: 3)) { e in
            XCTAssertEqual((e as? GhostError)?.message, "big.png: PNG claims 16000×16000 pixels, more than its \(bytes.count) bytes can hold")
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

    func testPlotRendersAxesAndSeries() throws {
        var plot = LinePlot(title: "MSE vs d", xLabel: "d", yLabel: "MSE",
                            series: [.init(name: "red", points: [(1, 4.0), (3, 3.3), (5, 3.3), (7, 3.2)], color: .red)])
        plot.integerX = true
        let img = plot.render(width: 600, height: 400)
        let reds = stride(from: 0, to: img.pixels.count, by: 3).filter { img.pixels[$0] == 220 && img.pixels[$0 + 1] == 30 }.count
        XCTAssertGreaterThan(reds, 500)  // the line and its markers are drawn
        let ticks = LinePlot.ticks(0, 1)
        XCTAssertEqual(ticks.count, 6)
        for (t, e) in zip(ticks, [0, 0.2, 0.4, 0.6, 0.8, 1.0]) { XCTAssertEqual(t, e, accuracy: 1e-9) }
    }
}

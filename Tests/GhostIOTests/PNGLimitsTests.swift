import Foundation
import GhostIO
import GhostTestSupport
import XCTest

/// PNG headers are checked before any pixel buffer exists: empty, more pixels than the bytes can hold, and more
/// than JPEG's documented limit (PIL's MAX_IMAGE_PIXELS, 89 478 485) are one-line errors; 8-bit decoding gives
/// the bytes PIL gives.
final class PNGLimitsTests: XCTestCase {
    /// A PNG of `width`×`height` 8-bit gray pixels whose IHDR is followed by a `padding`-byte tEXt chunk (so the
    /// file is large enough to claim many pixels) and one row's filter byte of pixel data (a stored zlib block).
    static func header(width: UInt32, height: UInt32, padding: Int) -> Data {
        func be(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (24 - 8 * UInt32($0))) } }
        func chunk(_ type: String, _ body: [UInt8]) -> [UInt8] {
            let typed = Array(type.utf8) + body
            return be(UInt32(body.count)) + typed + be(crc32(typed))
        }
        let ihdr = be(width) + be(height) + [8, 0, 0, 0, 0]
        let text = Array("Comment".utf8) + [0] + [UInt8](repeating: 0x41, count: padding)
        let idat: [UInt8] = [0x78, 0x01, 0x01, 0x01, 0x00, 0xFE, 0xFF, 0x00, 0x00, 0x01, 0x00, 0x01]
        return Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", ihdr) + chunk("tEXt", text)
                    + chunk("IDAT", idat) + chunk("IEND", []))
    }

    /// CRC-32 (ISO 3309) as PNG chunks use.
    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            c ^= UInt32(b)
            for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        }
        return ~c
    }

    /// 16384² (268 M pixels; its 40 KB could hold them) is refused by the pixel limit at once, in both decoders.
    func testPixelLimitIsCheckedFromTheHeader() throws {
        let data = Self.header(width: 16384, height: 16384, padding: 40_000)
        let start = Date()
        for decode in [{ _ = try PNGFile.decode(data, path: "huge.png", channels: 3) },
                       { _ = try PNGFile.decode8(data, path: "huge.png", channels: 3) }] {
            XCTAssertThrowsError(try decode()) { e in
                XCTAssertEqual("\(e)", "huge.png: PNG of 16384×16384 pixels is larger than 89478485 pixels "
                               + "(PIL's MAX_IMAGE_PIXELS)")
            }
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 0.5)
        // Just under the limit passes the header checks (and then fails for want of pixel data, not size).
        let ok = Self.header(width: 9459, height: 9459, padding: 40_000)
        XCTAssertThrowsError(try PNGFile.decode8(ok, path: "cut.png", channels: 1)) { e in
            XCTAssertTrue("\(e)".hasPrefix("cut.png: corrupt or truncated PNG"), "\(e)")
        }
    }

    /// A 16-bit RGB file keeps each sample's high byte, as PIL's RGB;16B unpacker (and so torchvision) does; an
    /// 8-bit one its bytes.
    func testEightBitDecodingMatchesPIL() throws {
        let path = Fixtures.path("pth/images/b_rgba16.png")
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let eight = try PNGFile.decode8(data, path: path, channels: 3)
        let wide = try PNGFile.decode(data, path: path, channels: 3)
        XCTAssertEqual([eight.width, eight.height], [48, 40])
        let plane = 48 * 40
        for i in stride(from: 0, to: plane, by: 97) {
            for c in 0..<3 {
                let v = Int((wide.readPointer[c * plane + i] * 65535).rounded())
                XCTAssertEqual(Int(eight.pixels[i * 3 + c]), v >> 8, "pixel \(i) channel \(c)")
            }
        }
        let rgb = Fixtures.path("pth/images/a_rgb8.png")
        let a = try PNGFile.decode8(try Data(contentsOf: URL(fileURLWithPath: rgb)), path: rgb, channels: 3)
        let f = try PNGFile.read(path: rgb, channels: 3)
        XCTAssertEqual(a.pixels[5 * 3 + 1], UInt8((f.readPointer[32 * 32 + 5] * 255).rounded()))
    }
}

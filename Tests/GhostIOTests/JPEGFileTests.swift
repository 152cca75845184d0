import Foundation
import GhostIO
import GhostTensor
import GhostTestSupport
import XCTest

/// JPEG decoding through libjpeg-turbo gives PIL's pixels (tools/make_image_fixtures.py); bad files are refused.
final class JPEGFileTests: XCTestCase {
    struct Expected: Decodable {
        let mode: String
        let size: [Int]
        let decoded: String
        let resized: String
        let resized_size: [Int]
        let p224: [Double]
        let p32: [Double]
    }

    static func expected() throws -> [String: Expected] {
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("images/expected.json")))
        return try JSONDecoder().decode([String: Expected].self, from: data)
    }

    func testDecodedPixelsEqualPIL() throws {
        for (name, e) in try Self.expected() {
            let img = try ImageFile.read8(path: Fixtures.path("images/photos/" + name), channels: e.mode == "L" ? 1 : 3)
            XCTAssertEqual([img.width, img.height], e.size, name)
            XCTAssertEqual(SHA256.hex(Data(img.pixels)), e.decoded, name)
        }
    }

    /// A gray file read as RGB repeats its gray value; an RGB file read as 1 channel is its luma.
    func testChannelConversion() throws {
        let grayFile = URL(fileURLWithPath: Fixtures.path("images/photos/b_gray_180x260.jpg"))
        let gray = try JPEGFile.decode(try Data(contentsOf: grayFile), path: "g", channels: 1)
        let rgb = try ImageFile.read8(path: Fixtures.path("images/photos/b_gray_180x260.jpg"), channels: 3)
        XCTAssertEqual(rgb.pixels.enumerated().filter { $0.offset % 3 == 0 }.map(\.element), gray.pixels)
        XCTAssertEqual(rgb.pixels.enumerated().filter { $0.offset % 3 == 2 }.map(\.element), gray.pixels)
        let luma = try ImageFile.read8(path: Fixtures.path("images/photos/a_rgb_300x200.jpg"), channels: 1)
        let colour = try ImageFile.read8(path: Fixtures.path("images/photos/a_rgb_300x200.jpg"), channels: 3)
        var worst = 0
        for i in 0..<luma.pixels.count {
            let p = colour.pixels
            let (r, g, b) = (Double(p[3 * i]), Double(p[3 * i + 1]), Double(p[3 * i + 2]))
            worst = max(worst, abs(Int(luma.pixels[i]) - Int((0.299 * r + 0.587 * g + 0.114 * b).rounded())))
        }
        XCTAssertLessThanOrEqual(worst, 3, "luma vs ITU-R 601 of the decoded RGB")
    }

    func testBadFilesAreRefused() throws {
        let dir = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // A header claiming 20000×20000 pixels: refused before any allocation.
        var huge = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("images/photos/a_rgb_300x200.jpg")))
        let sof = try XCTUnwrap((0..<huge.count - 8).first { huge[$0] == 0xFF && huge[$0 + 1] == 0xC0 })
        huge.replaceSubrange(sof + 5..<sof + 9, with: [0x4E, 0x20, 0x4E, 0x20])
        FileManager.default.createFile(atPath: dir + "/huge.jpg", contents: huge)
        FileManager.default.createFile(atPath: dir + "/text.jpg", contents: Data("hello".utf8))
        let zeros = Data([0xFF, 0xD8, 0xFF] + [UInt8](repeating: 0, count: 64))  // a start-of-image marker, then 0s
        FileManager.default.createFile(atPath: dir + "/zeros.jpg", contents: zeros)
        let cases: [(String, String)] = [
            (Fixtures.path("images/bad/cmyk.jpg"), "is a CMYK JPEG"),
            (Fixtures.path("images/bad/truncated.jpg"), "truncated JPEG"),
            (dir + "/huge.jpg", "larger than 89478485 pixels"),
            (dir + "/text.jpg", "neither a PNG nor a JPEG"),
            (dir + "/zeros.jpg", "corrupt or truncated JPEG: no frame header (SOF marker) before the data ends"),
            (dir + "/none.jpg", "no such file"),
        ]
        for (path, message) in cases {
            XCTAssertThrowsError(try ImageFile.read8(path: path, channels: 3), path) { e in
                XCTAssertTrue("\(e)".contains(message), "\(e)")
                XCTAssertTrue("\(e)".contains(path), "\(e)")
            }
        }
        XCTAssertThrowsError(try JPEGFile.read(path: Fixtures.path("images/photos/a_rgb_300x200.jpg"), channels: 4))
    }

    /// A progressive file whose last scan is repeated 2000 times (each scan re-decodes the image: a small file
    /// that would keep the decoder busy) is refused by libjpeg-turbo's 500-scan limit (TJFLAG_LIMITSCANS).
    func testProgressiveFilesOfThousandsOfScansAreRefused() throws {
        let path = Fixtures.path("images/photos/d_rgb_progressive_320x240.jpg")
        let file = try Data(contentsOf: URL(fileURLWithPath: path))
        let bytes = [UInt8](file)
        let sos = try XCTUnwrap((0..<bytes.count - 1).last { bytes[$0] == 0xFF && bytes[$0 + 1] == 0xDA })
        let eoi = try XCTUnwrap((0..<bytes.count - 1).last { bytes[$0] == 0xFF && bytes[$0 + 1] == 0xD9 })
        var many = Array(bytes[..<eoi])
        for _ in 0..<2000 { many += bytes[sos..<eoi] }
        many += [0xFF, 0xD9]
        XCTAssertNoThrow(try JPEGFile.decode(file, path: "ok.jpg", channels: 3))
        XCTAssertThrowsError(try JPEGFile.decode(Data(many), path: "scans.jpg", channels: 3)) { e in
            XCTAssertTrue("\(e)".hasPrefix("scans.jpg: corrupt or truncated JPEG: "), "\(e)")
            XCTAssertTrue("\(e)".contains("more than 500 scans"), "\(e)")
        }
    }
}

import Foundation
import GhostIO
import GhostTestSupport
import XCTest

/// PNGs with transparency decode as PIL's convert("RGB") / convert("L") give them (tools/make_image_fixtures.py):
/// the alpha channel is dropped, not composited, for RGBA, LA, palette + tRNS, and 16-bit RGBA / LA.
final class PNGAlphaTests: XCTestCase {
    struct Expected: Decodable {
        let mode: String
        let size: [Int]
        let rgb: String
        let l: String
    }

    func testTransparentPNGsDecodeAsPIL() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("images/alpha.json")))
        let expected = try JSONDecoder().decode([String: Expected].self, from: data)
        XCTAssertEqual(expected.count, 5)
        for (name, e) in expected {
            let path = Fixtures.path("images/alpha/" + name)
            let rgb = try ImageFile.read8(path: path, channels: 3), gray = try ImageFile.read8(path: path, channels: 1)
            XCTAssertEqual([rgb.width, rgb.height], e.size, name)
            XCTAssertEqual(SHA256.hex(Data(rgb.pixels)), e.rgb, "\(name) (\(e.mode)) as RGB")
            XCTAssertEqual(SHA256.hex(Data(gray.pixels)), e.l, "\(name) (\(e.mode)) as L")
        }
        // The float reader keeps a 16-bit file's precision and drops its alpha too.
        let wide = try ImageFile.read(path: Fixtures.path("images/alpha/j_rgba16_96x72.png"), channels: 3)
        let narrow = try ImageFile.read8(path: Fixtures.path("images/alpha/j_rgba16_96x72.png"), channels: 3)
        XCTAssertEqual(wide.shape, [3, 72, 96])
        let plane = 96 * 72
        var worst = 0
        for i in 0..<plane {
            for c in 0..<3 {
                let sample = Int((wide.readPointer[c * plane + i] * 65535).rounded())
                worst = max(worst, abs(sample >> 8 - Int(narrow.pixels[3 * i + c])))
            }
        }
        XCTAssertEqual(worst, 0, "the 16-bit samples' high bytes are the 8-bit pixels")
    }
}

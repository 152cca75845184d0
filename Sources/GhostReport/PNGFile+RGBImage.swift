import Foundation
import GhostIO

extension PNGFile {
    /// Writes a drawn image atomically as PNG.
    public static func write(_ image: RGBImage, to path: String) throws {
        try write(width: image.width, height: image.height, rgb: image.pixels, to: path)
    }

    /// PNG bytes of a drawn image.
    public static func encode(_ image: RGBImage, path: String = "<memory>") throws -> Data {
        try encode(width: image.width, height: image.height, rgb: image.pixels, path: path)
    }
}

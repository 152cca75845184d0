import Foundation
import GhostTensor

/// Image files by content: PNG (libpng) or JPEG (libjpeg-turbo), whatever the extension says.
public enum ImageFile {
    /// File extensions an image folder lists (lower case).
    public static let extensions: Set<String> = ["png", "jpg", "jpeg"]

    /// Whether `path` has one of `extensions`.
    public static func hasImageExtension(_ path: String) -> Bool {
        extensions.contains((path as NSString).pathExtension.lowercased())
    }

    /// Float32 [channels, height, width] in [0, 1] of a PNG (at its full 8- or 16-bit precision) or a JPEG.
    public static func read(path: String, channels: Int) throws -> Tensor {
        let data = try JPEGFile.contents(path)
        if JPEGFile.isJPEG(data) { return try JPEGFile.decode(data, path: path, channels: channels).tensor }
        return try PNGFile.decode(data, path: path, channels: channels)
    }

    /// 8-bit pixels of a PNG or JPEG with `channels` 1 or 3, as PIL decodes them: PNGs through `PNGFile.decode8`
    /// (alpha dropped; 16-bit samples keep their high byte), JPEGs through `JPEGFile.decode`.
    public static func read8(path: String, channels: Int) throws -> RasterImage {
        let data = try JPEGFile.contents(path)
        if JPEGFile.isJPEG(data) { return try JPEGFile.decode(data, path: path, channels: channels) }
        guard data.starts(with: [0x89, 0x50, 0x4E, 0x47]) else {
            throw GhostError.file(path, "is neither a PNG nor a JPEG (unknown leading bytes)")
        }
        return try PNGFile.decode8(data, path: path, channels: channels)
    }
}

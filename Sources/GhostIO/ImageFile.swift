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

    /// 8-bit pixels of a PNG or JPEG with `channels` 1 or 3. PNGs go through `PNGFile.decode` (alpha composited onto
    /// black; 16-bit samples rounded to 8 bits); JPEGs through `JPEGFile.decode`.
    public static func read8(path: String, channels: Int) throws -> RasterImage {
        let data = try JPEGFile.contents(path)
        if JPEGFile.isJPEG(data) { return try JPEGFile.decode(data, path: path, channels: channels) }
        guard data.starts(with: [0x89, 0x50, 0x4E, 0x47]) else {
            throw GhostError.file(path, "is neither a PNG nor a JPEG (unknown leading bytes)")
        }
        let t = try PNGFile.decode(data, path: path, channels: channels)
        let (c, h, w) = (t.shape[0], t.shape[1], t.shape[2])
        var bytes = [UInt8](repeating: 0, count: c * h * w)
        let plane = h * w
        bytes.withUnsafeMutableBufferPointer { dst in
            for i in 0..<plane { for ch in 0..<c {
                dst[i * c + ch] = UInt8(max(0, min(255, (t.pointer[ch * plane + i] * 255).rounded())))
            } }
        }
        return RasterImage(width: w, height: h, channels: c, pixels: bytes)
    }
}

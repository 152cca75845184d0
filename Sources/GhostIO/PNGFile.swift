import CPNG
import Foundation
import GhostTensor

/// PNG encoding and decoding through libpng's simplified API (errors come back as values, so a
/// corrupt file never longjmps through Swift).
public enum PNGFile {
    /// Writes 8-bit RGB pixels (row-major, 3 bytes per pixel) atomically.
    public static func write(width: Int, height: Int, rgb pixels: [UInt8], to path: String) throws {
        try AtomicFile.write(try encode(width: width, height: height, rgb: pixels, path: path), to: path)
    }

    /// PNG bytes of 8-bit RGB pixels (row-major, 3 bytes per pixel).
    public static func encode(width: Int, height: Int, rgb pixels: [UInt8], path: String = "<memory>") throws -> Data {
        let image = (width: width, height: height, pixels: pixels)
        precondition(pixels.count == width * height * 3, "RGB pixel count does not match \(width)×\(height)")
        var png = png_image()
        png.version = UInt32(PNG_IMAGE_VERSION)
        png.width = UInt32(image.width)
        png.height = UInt32(image.height)
        png.format = UInt32(PNG_FORMAT_RGB)
        var size: png_alloc_size_t = 0
        let stride = Int32(image.width * 3)
        let ok = image.pixels.withUnsafeBytes { png_image_write_to_memory(&png, nil, &size, 0, $0.baseAddress, stride, nil) }
        guard ok != 0, size > 0 else { throw GhostError.file(path, "cannot encode PNG: \(message(&png))") }
        var out = Data(count: Int(size))
        let ok2 = out.withUnsafeMutableBytes { dst in
            image.pixels.withUnsafeBytes { png_image_write_to_memory(&png, dst.baseAddress, &size, 0, $0.baseAddress, stride, nil) }
        }
        png_image_free(&png)
        guard ok2 != 0 else { throw GhostError.file(path, "cannot encode PNG: \(message(&png))") }
        return out.prefix(Int(size))
    }

    /// Reads any PNG (8/16-bit, gray/RGB/RGBA/palette) as Float32 [channels, height, width] in [0, 1],
    /// with `channels` 1 (luminance) or 3 (RGB). 16-bit files keep their 16-bit precision (read as linear
    /// 16-bit, which libpng passes through unchanged); alpha is composited by libpng onto black.
    public static func read(path: String, channels: Int) throws -> Tensor {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw GhostError.file(path, FileManager.default.fileExists(atPath: path) ? "cannot read" : "no such file")
        }
        return try decode(data, path: path, channels: channels)
    }

    /// Decodes PNG bytes as `read(path:channels:)` does; `path` only names the source in errors.
    /// The claimed size is checked against the data before the pixel buffer is allocated: deflate expands
    /// at most 1032:1 and a pixel takes at least 1 bit, so n bytes of PNG hold at most 8 · 1032 · n pixels.
    public static func decode(_ data: Data, path: String, channels: Int) throws -> Tensor {
        guard channels == 1 || channels == 3 else {
            throw GhostError.file(path, "cannot convert a PNG to \(channels) channels (only 1 or 3)")
        }
        var png = png_image()
        png.version = UInt32(PNG_IMAGE_VERSION)
        let began = data.withUnsafeBytes { png_image_begin_read_from_memory(&png, $0.baseAddress, $0.count) }
        guard began != 0 else { throw GhostError.file(path, "not a readable PNG: \(message(&png))") }
        let pixels = UInt64(png.width) * UInt64(png.height)
        guard png.width > 0, png.height > 0, pixels <= 1 << 28 else {
            png_image_free(&png)
            throw GhostError.file(path, "PNG of \(png.width)×\(png.height) pixels is empty or too large")
        }
        guard pixels <= 8 * 1032 * UInt64(data.count) else {
            png_image_free(&png)
            throw GhostError.file(path, "PNG claims \(png.width)×\(png.height) pixels, more than its \(data.count) bytes can hold")
        }
        let sixteen = png.format & UInt32(PNG_FORMAT_FLAG_LINEAR) != 0
        png.format = (channels == 1 ? UInt32(PNG_FORMAT_GRAY) : UInt32(PNG_FORMAT_RGB)) | (sixteen ? UInt32(PNG_FORMAT_FLAG_LINEAR) : 0)
        let (w, h) = (Int(png.width), Int(png.height))
        let t = Tensor(uninitialized: [channels, h, w])
        func finish(_ buffer: UnsafeMutableRawPointer) -> Int32 {
            data.withUnsafeBytes { _ in png_image_finish_read(&png, nil, buffer, Int32(w * channels), nil) }
        }
        let ok: Int32
        if sixteen {
            var buffer = [UInt16](repeating: 0, count: w * h * channels)
            ok = buffer.withUnsafeMutableBytes { finish($0.baseAddress!) }
            for y in 0..<h { for x in 0..<w { for c in 0..<channels {
                t.pointer[(c * h + y) * w + x] = Float(buffer[(y * w + x) * channels + c]) / 65535
            } } }
        } else {
            var buffer = [UInt8](repeating: 0, count: w * h * channels)
            ok = buffer.withUnsafeMutableBytes { finish($0.baseAddress!) }
            for y in 0..<h { for x in 0..<w { for c in 0..<channels {
                t.pointer[(c * h + y) * w + x] = Float(buffer[(y * w + x) * channels + c]) / 255
            } } }
        }
        guard ok != 0 else {
            let m = message(&png)
            png_image_free(&png)
            throw GhostError.file(path, "corrupt or truncated PNG: \(m)")
        }
        return t
    }

    private static func message(_ png: inout png_image) -> String {
        withUnsafeBytes(of: &png.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}

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
        let ok = image.pixels.withUnsafeBytes {
            png_image_write_to_memory(&png, nil, &size, 0, $0.baseAddress, stride, nil)
        }
        guard ok != 0, size > 0 else { throw GhostError.file(path, "cannot encode PNG: \(message(&png))") }
        var out = Data(count: Int(size))
        let ok2 = out.withUnsafeMutableBytes { dst in
            image.pixels.withUnsafeBytes {
                png_image_write_to_memory(&png, dst.baseAddress, &size, 0, $0.baseAddress, stride, nil)
            }
        }
        png_image_free(&png)
        guard ok2 != 0 else { throw GhostError.file(path, "cannot encode PNG: \(message(&png))") }
        return out.prefix(Int(size))
    }

    /// Reads any PNG (8/16-bit, gray/RGB/RGBA/palette) as Float32 [channels, height, width] in [0, 1],
    /// with `channels` 1 (luminance) or 3 (RGB). 16-bit files keep their 16-bit precision (read as linear
    /// 16-bit, which libpng passes through unchanged); alpha is dropped, as PIL's convert("RGB") does (`PNGAlpha`).
    public static func read(path: String, channels: Int) throws -> Tensor {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw GhostError.file(path, FileManager.default.fileExists(atPath: path) ? "cannot read" : "no such file")
        }
        return try decode(data, path: path, channels: channels)
    }

    /// Decodes PNG bytes as `read(path:channels:)` does; `path` only names the source in errors.
    public static func decode(_ data: Data, path: String, channels: Int) throws -> Tensor {
        let (w, h, samples) = try decodeSamples(data, path: path, channels: channels)
        let t = Tensor(uninitialized: [channels, h, w])
        func planar<S>(_ b: [S], _ scale: Float, _ value: (S) -> Float) {
            b.withUnsafeBufferPointer { src in
                for i in 0..<(w * h) {
                    for c in 0..<channels {
                        t.uncheckedMutablePointer[c * w * h + i] = value(src[i * channels + c]) / scale
                    }
                }
            }
        }
        switch samples {
        case .eight(let b): planar(b, 255) { Float($0) }
        case .sixteen(let b): planar(b, 65535) { Float($0) }
        }
        return t
    }

    /// 8-bit pixels (interleaved) with `channels` 1 or 3, as PIL's `convert("L"|"RGB")` gives them for 8-bit
    /// files; 16-bit samples keep their high byte, as PIL's "RGB;16B" unpacker does. No float image is made.
    public static func decode8(_ data: Data, path: String, channels: Int) throws -> RasterImage {
        let (w, h, samples) = try decodeSamples(data, path: path, channels: channels)
        switch samples {
        case .eight(let b): return RasterImage(width: w, height: h, channels: channels, pixels: b)
        case .sixteen(let b):
            return RasterImage(
                width: w, height: h, channels: channels,
                pixels: b.map { UInt8(truncatingIfNeeded: $0 >> 8) })
        }
    }

    /// Interleaved decoded samples: 8-bit, or 16-bit linear (passed through unchanged by libpng).
    enum Samples {
        case eight([UInt8])
        case sixteen([UInt16])
    }

    /// The shared decoder. The header's size is checked before any pixel buffer is allocated: not empty, no more
    /// than the data can hold (deflate expands at most 1032:1 and a pixel takes at least 1 bit: n bytes hold at
    /// most 8 · 1032 · n pixels), and at most `JPEGFile.maxPixels` (PIL's MAX_IMAGE_PIXELS, as for JPEG).
    static func decodeSamples(_ data: Data, path: String, channels: Int) throws -> (Int, Int, Samples) {
        guard channels == 1 || channels == 3 else {
            throw GhostError.file(path, "cannot convert a PNG to \(channels) channels (only 1 or 3)")
        }
        var png = png_image()
        png.version = UInt32(PNG_IMAGE_VERSION)
        let began = data.withUnsafeBytes { png_image_begin_read_from_memory(&png, $0.baseAddress, $0.count) }
        guard began != 0 else { throw GhostError.file(path, "not a readable PNG: \(message(&png))") }
        let (pw, ph) = (png.width, png.height)
        let pixels = UInt64(pw) * UInt64(ph)
        let problem: String?
        if pw == 0 || ph == 0 {
            problem = "PNG of \(pw)×\(ph) pixels is empty"
        } else if pixels > 8 * 1032 * UInt64(data.count) {
            problem = "PNG claims \(pw)×\(ph) pixels, more than its \(data.count) bytes can hold"
        } else if pixels > UInt64(JPEGFile.maxPixels) {
            problem = "PNG of \(pw)×\(ph) pixels is larger than \(JPEGFile.maxPixels) pixels (PIL's MAX_IMAGE_PIXELS)"
        } else {
            problem = nil
        }
        if let problem {
            png_image_free(&png)
            throw GhostError.file(path, problem)
        }
        let isSixteen = png.format & UInt32(PNG_FORMAT_FLAG_LINEAR) != 0
        if png.format & UInt32(PNG_FORMAT_FLAG_ALPHA) != 0 {  // an alpha channel or tRNS: dropped, as PIL does
            png_image_free(&png)
            return (Int(pw), Int(ph), try PNGAlpha.decode(data, path: path, channels: channels, sixteen: isSixteen))
        }
        png.format =
            (channels == 1 ? UInt32(PNG_FORMAT_GRAY) : UInt32(PNG_FORMAT_RGB))
            | (isSixteen ? UInt32(PNG_FORMAT_FLAG_LINEAR) : 0)
        let (w, h) = (Int(pw), Int(ph))
        func finish(_ buffer: UnsafeMutableRawPointer) -> Int32 {
            data.withUnsafeBytes { _ in png_image_finish_read(&png, nil, buffer, Int32(w * channels), nil) }
        }
        let ok: Int32
        let samples: Samples
        if isSixteen {
            var buffer = [UInt16](repeating: 0, count: w * h * channels)
            ok = buffer.withUnsafeMutableBytes { finish($0.baseAddress!) }
            samples = .sixteen(buffer)
        } else {
            var buffer = [UInt8](repeating: 0, count: w * h * channels)
            ok = buffer.withUnsafeMutableBytes { finish($0.baseAddress!) }
            samples = .eight(buffer)
        }
        guard ok != 0 else {
            let m = message(&png)
            png_image_free(&png)
            throw GhostError.file(path, "corrupt or truncated PNG: \(m)")
        }
        return (w, h, samples)
    }

    private static func message(_ png: inout png_image) -> String {
        withUnsafeBytes(of: &png.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}

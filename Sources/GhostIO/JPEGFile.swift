import CTurboJPEG
import Foundation
import GhostTensor

/// 8-bit pixels, row-major and interleaved (channels per pixel: 1 gray or 3 RGB), as decoded from a file.
public struct RasterImage: Equatable {
    public let width: Int
    public let height: Int
    public let channels: Int
    /// width · height · channels bytes.
    public let pixels: [UInt8]

    /// Wraps decoded pixels; the count must be width · height · channels.
    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height * channels,
                     "pixel count does not match \(width)×\(height)×\(channels)")
        (self.width, self.height, self.channels, self.pixels) = (width, height, channels, pixels)
    }

    /// Float32 [channels, height, width] in [0, 1].
    public var tensor: Tensor {
        let t = Tensor(uninitialized: [channels, height, width])
        let plane = width * height
        pixels.withUnsafeBufferPointer { src in
            for i in 0..<plane {
                for c in 0..<channels { t.uncheckedMutablePointer[c * plane + i] = Float(src[i * channels + c]) / 255 }
            }
        }
        return t
    }
}

/// JPEG decoding through libjpeg-turbo's TurboJPEG API (errors come back as return codes, never a longjmp
/// through Swift). Baseline and progressive, any chroma subsampling; gray and YCbCr/RGB files decode to 1 or 3
/// channels (a gray file is replicated to RGB, a colour file read as 1 channel gives its luma Y); CMYK/YCCK files
/// are refused, and so are progressive files of more than 500 scans. EXIF orientation is ignored, as
/// torchvision's PIL loader ignores it. The IDCT is libjpeg's default accurate integer one with fancy upsampling,
/// as PIL decodes, so the pixels equal PIL's for the same libjpeg-turbo.
public enum JPEGFile {
    /// Largest image decoded: PIL's `Image.MAX_IMAGE_PIXELS` (89 478 485 pixels, about 9459²); larger headers are
    /// refused before any pixel buffer is allocated.
    public static let maxPixels = 89_478_485

    /// TJFLAG_LIMITSCANS: a progressive file of more than 500 scans is refused (each scan re-decodes the whole
    /// image, so a small file of thousands of scans would keep the decoder busy for minutes).
    static let scanLimit = Int32(TJFLAG_LIMITSCANS)

    /// Whether `data` starts with the JPEG SOI marker (FF D8 FF).
    public static func isJPEG(_ data: Data) -> Bool {
        data.count >= 3 && data[data.startIndex] == 0xFF && data[data.startIndex + 1] == 0xD8
            && data[data.startIndex + 2] == 0xFF
    }

    /// Reads a JPEG file as Float32 [channels, height, width] in [0, 1]; `channels` 1 (luma) or 3 (RGB).
    public static func read(path: String, channels: Int) throws -> Tensor {
        try decode(try contents(path), path: path, channels: channels).tensor
    }

    /// The file's bytes, or an error naming it.
    static func contents(_ path: String) throws -> Data {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw GhostError.file(path, FileManager.default.fileExists(atPath: path) ? "cannot read" : "no such file")
        }
        return data
    }

    /// Decodes JPEG bytes to 8-bit pixels with `channels` 1 or 3; `path` only names the source in errors. The
    /// header's dimensions and colour space are checked before the pixel buffer is allocated.
    public static func decode(_ data: Data, path: String, channels: Int) throws -> RasterImage {
        guard channels == 1 || channels == 3 else {
            throw GhostError.file(path, "cannot convert a JPEG to \(channels) channels (only 1 or 3)")
        }
        guard isJPEG(data) else { throw GhostError.file(path, "not a JPEG (no FF D8 FF start-of-image marker)") }
        guard let handle = tjInitDecompress() else { throw GhostError.file(path, "cannot start the JPEG decoder") }
        defer { tjDestroy(handle) }
        return try data.withUnsafeBytes { raw -> RasterImage in
            let src = raw.bindMemory(to: UInt8.self).baseAddress!
            let size = UInt(raw.count)
            var w: Int32 = 0, h: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
            guard tjDecompressHeader3(handle, src, size, &w, &h, &subsampling, &colorspace) == 0 else {
                throw GhostError.file(path, "not a readable JPEG: \(message(handle))")
            }
            if colorspace == Int32(TJCS_CMYK.rawValue) || colorspace == Int32(TJCS_YCCK.rawValue) {
                throw GhostError.file(path, "is a CMYK JPEG; convert it to RGB first "
                                      + "(e.g. `convert in.jpg -colorspace sRGB out.jpg`)")
            }
            // libjpeg-turbo reads a stream that ends before any frame header (SOF) as "tables only", 0×0.
            guard w > 0, h > 0 else {
                throw GhostError.file(
                    path,
                    w == 0 && h == 0
                        ? "corrupt or truncated JPEG: no frame header (SOF marker) before the data ends"
                        : "corrupt JPEG: its frame header claims \(w)×\(h) pixels")
            }
            guard Int(w) * Int(h) <= maxPixels else {
                throw GhostError.file(path, "JPEG of \(w)×\(h) pixels is larger than \(maxPixels) pixels")
            }
            let (width, height) = (Int(w), Int(h))
            var pixels = [UInt8](repeating: 0, count: width * height * channels)
            let format = channels == 1 ? TJPF_GRAY : TJPF_RGB
            let status = pixels.withUnsafeMutableBufferPointer { dst in
                tjDecompress2(handle, src, size, dst.baseAddress, w, 0, h, Int32(format.rawValue), scanLimit)
            }
            if status != 0 {
                let text = message(handle)
                // A warning means libjpeg made up the rest of the image: refuse truncated data as PIL does.
                if tjGetErrorCode(handle) == Int32(TJERR_FATAL.rawValue) || text.contains("Premature end") {
                    throw GhostError.file(path, "corrupt or truncated JPEG: \(text)")
                }
            }
            return RasterImage(width: width, height: height, channels: channels, pixels: pixels)
        }
    }

    private static func message(_ handle: tjhandle) -> String {
        tjGetErrorStr2(handle).map { String(cString: $0) } ?? "unknown error"
    }
}

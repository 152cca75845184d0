import CSPNG
import Foundation

/// PNGs with an alpha channel or a tRNS chunk (RGBA, gray + alpha, palette + transparency, 8 or 16 bits), decoded as
/// PIL's `Image.convert("RGB")` (what torchvision's loader calls) gives them: the alpha channel is dropped, never
/// composited, so a transparent pixel keeps its stored colour. libpng's simplified reader would premultiply 16-bit
/// samples by alpha, so these files go through libspng, which hands back straight (non-premultiplied) RGBA at the
/// file's depth and, as PIL, ignores gAMA/cHRM. The caller has checked the header's size.
enum PNGAlpha {
    /// Interleaved samples with `channels` 3 (RGB: 8-bit, or 16-bit when `sixteen`) or 1 (PIL's "L" of the 8-bit
    /// RGB: (19595 R + 38470 G + 7471 B + 2¹⁵) >> 16, on the high bytes of a 16-bit file, as PIL reads it as RGBA).
    static func decode(_ data: Data, path: String, channels: Int, sixteen: Bool) throws -> PNGFile.Samples {
        guard let ctx = spng_ctx_new(0) else { throw GhostError.file(path, "cannot decode PNG: out of memory") }
        defer { spng_ctx_free(ctx) }
        let wide = sixteen && channels == 3
        let format = Int32(wide ? SPNG_FMT_RGBA16.rawValue : SPNG_FMT_RGBA8.rawValue)
        // libspng reads the buffer during every call below: all of them run while `data`'s bytes are borrowed.
        func decode<S: FixedWidthInteger>(_: S.Type) throws -> (pixels: Int, rgba: [S]) {
            try data.withUnsafeBytes { raw in
                var header = spng_ihdr()
                var size = 0
                var e = spng_set_png_buffer(ctx, raw.baseAddress, raw.count)
                if e == 0 { e = spng_get_ihdr(ctx, &header) }
                if e == 0 { e = spng_decoded_image_size(ctx, format, &size) }
                guard e == 0 else { throw GhostError.file(path, "corrupt or truncated PNG: \(message(e))") }
                let pixels = Int(header.width) * Int(header.height)
                var rgba = [S](repeating: 0, count: pixels * 4)
                precondition(rgba.count * MemoryLayout<S>.stride == size, "libspng's size disagrees with its header")
                e = rgba.withUnsafeMutableBytes { spng_decode_image(ctx, $0.baseAddress, $0.count, format, 0) }
                guard e == 0 else { throw GhostError.file(path, "corrupt or truncated PNG: \(message(e))") }
                return (pixels, rgba)
            }
        }
        if wide {
            let (pixels, rgba) = try decode(UInt16.self)
            return .sixteen(dropAlpha(rgba, pixels: pixels))
        }
        let (pixels, rgba) = try decode(UInt8.self)
        guard channels == 1 else { return .eight(dropAlpha(rgba, pixels: pixels)) }
        var luma = [UInt8](repeating: 0, count: pixels)
        rgba.withUnsafeBufferPointer { src in
            luma.withUnsafeMutableBufferPointer { dst in
                for i in 0..<pixels {
                    let (r, g, b) = (UInt32(src[4 * i]), UInt32(src[4 * i + 1]), UInt32(src[4 * i + 2]))
                    dst[i] = UInt8((19595 * r + 38470 * g + 7471 * b + 0x8000) >> 16)
                }
            }
        }
        return .eight(luma)
    }

    /// RGB of interleaved RGBA.
    private static func dropAlpha<S: FixedWidthInteger>(_ rgba: [S], pixels: Int) -> [S] {
        var rgb = [S](repeating: 0, count: pixels * 3)
        rgba.withUnsafeBufferPointer { src in
            rgb.withUnsafeMutableBufferPointer { dst in
                for i in 0..<pixels { for c in 0..<3 { dst[3 * i + c] = src[4 * i + c] } }
            }
        }
        return rgb
    }

    private static func message(_ e: Int32) -> String { String(cString: spng_strerror(e)) }
}

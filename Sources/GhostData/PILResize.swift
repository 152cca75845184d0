import GhostIO

/// PIL's `Image.resize(size, BILINEAR)` on 8-bit images, to the bit: the separable triangle filter whose support
/// grows with the downscale factor (antialiasing), coefficients rounded to 22-bit fixed point, a horizontal pass
/// over the rows the vertical pass needs, rounded and clipped to 8 bits, then the vertical pass. An axis whose
/// size does not change is not resampled (PIL skips it too).
public enum PILResize {
    /// Fixed-point precision of the coefficients (PIL's PRECISION_BITS, 32 − 8 − 2).
    static let precisionBits = 22

    /// Filter taps of one axis: for each output index, the first input index and its integer weights.
    struct Taps {
        var first: [Int] = []
        var count: [Int] = []
        var weights: [Int32] = []
        var width = 0
    }

    /// Taps for resampling `inSize` samples to `outSize` with the triangle filter scaled by max(1, in/out).
    static func taps(inSize: Int, outSize: Int) -> Taps {
        let scale = Double(inSize) / Double(outSize)
        let filterScale = max(scale, 1)
        let support = filterScale   // bilinear support 1.0, scaled
        let width = Int(support.rounded(.up)) * 2 + 1
        var t = Taps()
        t.width = width
        t.weights = [Int32](repeating: 0, count: outSize * width)
        let inverse = 1 / filterScale
        var raw = [Double](repeating: 0, count: width)
        for o in 0..<outSize {
            let center = (Double(o) + 0.5) * scale
            let lo = max(0, Int(center - support + 0.5))
            let hi = min(inSize, Int(center + support + 0.5))
            let n = hi - lo
            var total = 0.0
            for i in 0..<n {
                let x = abs((Double(i + lo) - center + 0.5) * inverse)
                raw[i] = x < 1 ? 1 - x : 0
                total += raw[i]
            }
            for i in 0..<n {
                let k = total != 0 ? raw[i] / total : raw[i]
                let fixed = k * Double(1 << precisionBits)
                t.weights[o * width + i] = Int32(k < 0 ? fixed - 0.5 : fixed + 0.5)
            }
            t.first.append(lo)
            t.count.append(n)
        }
        return t
    }

    @inline(__always)
    static func clip8(_ s: Int) -> UInt8 { UInt8(truncatingIfNeeded: min(255, max(0, s >> precisionBits))) }

    /// `image` resized to `width`×`height` as PIL does it.
    public static func bilinear(_ image: RasterImage, width: Int, height: Int) -> RasterImage {
        let (w, h, c) = (image.width, image.height, image.channels)
        if w == width && h == height { return image }
        let vertical = taps(inSize: h, outSize: height)
        var rows = image.pixels, rowsFrom = 0, rowsCount = h
        if width != w {
            // Horizontal pass over only the rows the vertical pass reads.
            let firstRow = vertical.first[0]
            let lastRow = vertical.first[height - 1] + vertical.count[height - 1]
            let horizontal = taps(inSize: w, outSize: width)
            rowsFrom = firstRow
            rowsCount = lastRow - firstRow
            var out = [UInt8](repeating: 0, count: rowsCount * width * c)
            image.pixels.withUnsafeBufferPointer { src in
                out.withUnsafeMutableBufferPointer { dst in
                    horizontal.weights.withUnsafeBufferPointer { k in
                        for y in 0..<rowsCount {
                            let srcRow = src.baseAddress! + (y + firstRow) * w * c
                            let dstRow = dst.baseAddress! + y * width * c
                            for x in 0..<width {
                                let lo = horizontal.first[x], n = horizontal.count[x]
                                let kx = k.baseAddress! + x * horizontal.width
                                for ch in 0..<c {
                                    var s = 1 << (precisionBits - 1)
                                    for i in 0..<n { s += Int(srcRow[(lo + i) * c + ch]) * Int(kx[i]) }
                                    dstRow[x * c + ch] = clip8(s)
                                }
                            }
                        }
                    }
                }
            }
            rows = out
        }
        guard height != h else { return RasterImage(width: width, height: h, channels: c, pixels: rows) }
        let rowLength = width * c
        var out = [UInt8](repeating: 0, count: height * rowLength)
        rows.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                vertical.weights.withUnsafeBufferPointer { k in
                    for y in 0..<height {
                        let lo = vertical.first[y] - rowsFrom, n = vertical.count[y]
                        let ky = k.baseAddress! + y * vertical.width
                        precondition(lo >= 0 && lo + n <= rowsCount)
                        let dstRow = dst.baseAddress! + y * rowLength
                        for j in 0..<rowLength {
                            var s = 1 << (precisionBits - 1)
                            for i in 0..<n { s += Int(src[(lo + i) * rowLength + j]) * Int(ky[i]) }
                            dstRow[j] = clip8(s)
                        }
                    }
                }
            }
        }
        return RasterImage(width: width, height: height, channels: c, pixels: out)
    }
}

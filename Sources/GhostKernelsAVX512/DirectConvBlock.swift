/// The direct-convolution micro-kernel for CPUs with AVX-512 (this module is built for them; call it only where
/// the CPU has AVX-512F: `DirectConvKernel` in GhostTensor checks). One call computes 64 output channels of a run
/// of output rows, 7 pixels at a time: 7 pixels × 4 vectors of 16 channels are 28 zmm accumulators, and every
/// (input channel, tap) step loads 4 weight vectors and broadcasts 7 input pixels, 28 FMAs against 11 loads.

private typealias V16 = SIMD16<Float>

/// The 64 channel accumulators of one output pixel.
private struct PixelAccumulator {
    var v0 = V16(), v1 = V16(), v2 = V16(), v3 = V16()

    @inline(__always) mutating func add(_ x: Float, _ w0: V16, _ w1: V16, _ w2: V16, _ w3: V16) {
        let b = V16(repeating: x)
        v0 = v0.addingProduct(b, w0)
        v1 = v1.addingProduct(b, w1)
        v2 = v2.addingProduct(b, w2)
        v3 = v3.addingProduct(b, w3)
    }

    /// Channel c of the pixel to `y[c · ld]`.
    @inline(__always) func store(_ y: UnsafeMutablePointer<Float>, ld: Int) {
        for l in 0..<16 {
            y[l * ld] = v0[l]
            y[(16 + l) * ld] = v1[l]
            y[(32 + l) * ld] = v2[l]
            y[(48 + l) * ld] = v3[l]
        }
    }
}

@inline(__always) private func load(_ p: UnsafePointer<Float>) -> V16 {
    UnsafeRawPointer(p).loadUnaligned(as: V16.self)
}

/// Output rows oy0 ..< oy0 + rows (each `outWidth` pixels, a multiple of 7) of 64 output channels of a k×k
/// convolution with stride `stride`, into `tile` [64][ld] (pixel (oy, ox) at (oy − oy0)·outWidth + ox).
/// `x` is the input already padded: channel ci's plane at ci·`plane`, rows `rowStride` floats apart, so output
/// (oy, ox) reads rows oy·stride + ky, columns ox·stride + kx. `weight` is [inChannels][k·k][64].
public func directConvBlock64(
    x: UnsafePointer<Float>, plane: Int, rowStride: Int, inChannels: Int, kernel k: Int, stride s: Int,
    weight: UnsafePointer<Float>, oy0: Int, rows: Int, outWidth: Int,
    tile: UnsafeMutablePointer<Float>, ld: Int
) {
    for oy in oy0..<(oy0 + rows) {
        var ox0 = 0
        while ox0 < outWidth {
            var a0 = PixelAccumulator(), a1 = PixelAccumulator(), a2 = PixelAccumulator()
            var a3 = PixelAccumulator(), a4 = PixelAccumulator(), a5 = PixelAccumulator()
            var a6 = PixelAccumulator()
            var w = weight
            for ci in 0..<inChannels {
                let origin = x + ci * plane + oy * s * rowStride + ox0 * s
                for ky in 0..<k {
                    let row = origin + ky * rowStride
                    for kx in 0..<k {
                        let w0 = load(w), w1 = load(w + 16), w2 = load(w + 32), w3 = load(w + 48)
                        let q = row + kx
                        a0.add(q[0], w0, w1, w2, w3)
                        a1.add(q[s], w0, w1, w2, w3)
                        a2.add(q[2 * s], w0, w1, w2, w3)
                        a3.add(q[3 * s], w0, w1, w2, w3)
                        a4.add(q[4 * s], w0, w1, w2, w3)
                        a5.add(q[5 * s], w0, w1, w2, w3)
                        a6.add(q[6 * s], w0, w1, w2, w3)
                        w += 64
                    }
                }
            }
            let out = tile + (oy - oy0) * outWidth + ox0
            a0.store(out, ld: ld)
            a1.store(out + 1, ld: ld)
            a2.store(out + 2, ld: ld)
            a3.store(out + 3, ld: ld)
            a4.store(out + 4, ld: ld)
            a5.store(out + 5, ld: ld)
            a6.store(out + 6, ld: ld)
            ox0 += 7
        }
    }
}

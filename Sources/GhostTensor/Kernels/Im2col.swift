/// Patch extraction for GEMM convolution.
///
/// Writes rows (c, ki, kj) × columns (output pixels pStart ..< pStart+pCount of one image) of the
/// patch matrix into `dst` (row stride `ldDst`). Out-of-image taps are zeros.
@inline(__always)
func im2col(image: UnsafePointer<Float>, g: ConvGeometry, channel0: Int, channels: Int,
            pStart: Int, pCount: Int, dst: UnsafeMutablePointer<Float>, ldDst: Int) {
    let H = g.height, W = g.width, OW = g.outWidth
    let sh = g.strideH, sw = g.strideW, ph = g.padH, pw = g.padW
    var row = 0
    for c in channel0..<(channel0 + channels) {
        let plane = image + c * H * W
        for ki in 0..<g.kernelH {
            for kj in 0..<g.kernelW {
                let out = dst + row * ldDst
                row += 1
                // Valid ox range for this kj: 0 <= ox*sw - pw + kj < W.
                let valid = g.validColumns(kj: kj)
                let oxLo = valid.lowerBound, oxHi = valid.upperBound
                var p = pStart
                var j = 0
                while j < pCount {
                    let oy = p / OW, ox0 = p - oy * OW
                    let run = min(OW - ox0, pCount - j)  // pixels left in this output row
                    let iy = oy * sh - ph + ki
                    let o = out + j
                    if iy < 0 || iy >= H || oxHi <= oxLo {
                        o.update(repeating: 0, count: run)
                    } else {
                        let src = plane + iy * W - pw + kj
                        let a = min(max(oxLo, ox0), ox0 + run), b = max(min(oxHi, ox0 + run), a)
                        if a > ox0 { (o).update(repeating: 0, count: a - ox0) }
                        if sw == 1 {
                            (o + (a - ox0)).update(from: src + a, count: b - a)
                        } else {
                            var ox = a
                            while ox < b { o[ox - ox0] = src[ox * sw]; ox += 1 }
                        }
                        if ox0 + run > b { (o + (b - ox0)).update(repeating: 0, count: ox0 + run - b) }
                    }
                    j += run
                    p += run
                }
            }
        }
    }
}

/// Adjoint of `im2col`: scatters-adds patch-matrix gradients (rows (c, ki, kj) × pixels
/// pStart ..< pStart+pCount) back into the image gradient `dImage`.
@inline(__always)
func col2im(_ src: UnsafePointer<Float>, ldSrc: Int, g: ConvGeometry, channel0: Int, channels: Int,
            pStart: Int, pCount: Int, dImage: UnsafeMutablePointer<Float>) {
    let H = g.height, W = g.width, OW = g.outWidth
    let sh = g.strideH, sw = g.strideW, ph = g.padH, pw = g.padW
    var row = 0
    for c in channel0..<(channel0 + channels) {
        let plane = dImage + c * H * W
        for ki in 0..<g.kernelH {
            for kj in 0..<g.kernelW {
                let s = src + row * ldSrc
                row += 1
                let valid = g.validColumns(kj: kj)
                let oxLo = valid.lowerBound, oxHi = valid.upperBound
                var p = pStart
                var j = 0
                while j < pCount {
                    let oy = p / OW, ox0 = p - oy * OW
                    let run = min(OW - ox0, pCount - j)
                    let iy = oy * sh - ph + ki
                    if iy >= 0 && iy < H && oxHi > oxLo {
                        let dst = plane + iy * W - pw + kj
                        let a = min(max(oxLo, ox0), ox0 + run), b = max(min(oxHi, ox0 + run), a)
                        let sj = s + j - ox0
                        if sw == 1 { for ox in a..<b { dst[ox] += sj[ox] } }
                        else { for ox in a..<b { dst[ox * sw] += sj[ox] } }
                    }
                    j += run
                    p += run
                }
            }
        }
    }
}

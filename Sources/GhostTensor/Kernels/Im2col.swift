/// Walks the patch matrix of `im2col`/`col2im`: rows (c, ki, kj) × columns (output pixels pStart ..< pStart+pCount
/// of one image), one output-row run at a time. `body(row, j, ox0, run, tap)` gets the patch row, the first column
/// j of the run, its first output column ox0 and length run, and `tap`: nil when the whole run reads padding,
/// else the image offset of output column 0's tap (offset + ox * strideW is column ox's) and the valid
/// output columns a ..< b (ox0 ≤ a ≤ b ≤ ox0 + run); the columns outside a ..< b read padding.
@inline(__always)
func forEachPatchRun(g: ConvGeometry, channel0: Int, channels: Int, pStart: Int, pCount: Int,
                     _ body: (_ row: Int, _ j: Int, _ ox0: Int, _ run: Int,
                              _ tap: (offset: Int, a: Int, b: Int)?) -> Void) {
    let H = g.height, W = g.width, OW = g.outWidth
    let sh = g.strideH, ph = g.padH, pw = g.padW
    var row = 0
    for c in channel0..<(channel0 + channels) {
        for ki in 0..<g.kernelH {
            for kj in 0..<g.kernelW {
                // Valid ox range for this kj: 0 <= ox*sw - pw + kj < W.
                let valid = g.validColumns(kj: kj)
                let oxLo = valid.lowerBound, oxHi = valid.upperBound
                // The run's output row and first column, stepped per run (no division in the loop).
                var oy = pStart / OW, ox0 = pStart - oy * OW
                var j = 0
                while j < pCount {
                    let run = min(OW - ox0, pCount - j)  // pixels left in this output row
                    let iy = oy * sh - ph + ki
                    if iy < 0 || iy >= H || oxHi <= oxLo {
                        body(row, j, ox0, run, nil)
                    } else {
                        let a = min(max(oxLo, ox0), ox0 + run), b = max(min(oxHi, ox0 + run), a)
                        body(row, j, ox0, run, ((c * H + iy) * W - pw + kj, a, b))
                    }
                    j += run
                    ox0 += run
                    if ox0 == OW { ox0 = 0; oy += 1 }
                }
                row += 1
            }
        }
    }
}

/// Patch extraction for GEMM convolution.
///
/// Writes rows (c, ki, kj) × columns (output pixels pStart ..< pStart+pCount of one image) of the
/// patch matrix into `dst` (row stride `ldDst`). Out-of-image taps are zeros.
@inline(__always)
func im2col(image: UnsafePointer<Float>, g: ConvGeometry, channel0: Int, channels: Int,
            pStart: Int, pCount: Int, dst: UnsafeMutablePointer<Float>, ldDst: Int) {
    let sw = g.strideW
    forEachPatchRun(g: g, channel0: channel0, channels: channels, pStart: pStart, pCount: pCount) {
        row, j, ox0, run, tap in
        let o = dst + row * ldDst + j
        guard let (offset, a, b) = tap else { o.update(repeating: 0, count: run); return }
        let src = image + offset
        if a > ox0 { o.update(repeating: 0, count: a - ox0) }
        if sw == 1 {
            (o + (a - ox0)).update(from: src + a, count: b - a)
        } else if sw == 2 {
            copyEvery2nd(from: src + 2 * a, to: o + (a - ox0), count: b - a)
        } else {
            var ox = a
            while ox < b { o[ox - ox0] = src[ox * sw]; ox += 1 }
        }
        if ox0 + run > b { (o + (b - ox0)).update(repeating: 0, count: ox0 + run - b) }
    }
}

/// dst[i] = src[2i] for i in 0 ..< count (a stride-2 patch row). A plain loop: LLVM vectorizes the stride-2 read
/// itself (wide loads and shuffles), where SIMD8 values built lane by lane went through the stack and an out-of-line
/// `loadUnaligned`.
@inline(__always)
func copyEvery2nd(from src: UnsafePointer<Float>, to dst: UnsafeMutablePointer<Float>, count: Int) {
    for i in 0..<count { dst[i] = src[2 * i] }
}

/// Adjoint of `im2col`: scatters-adds patch-matrix gradients (rows (c, ki, kj) × pixels
/// pStart ..< pStart+pCount) back into the image gradient `dImage`.
@inline(__always)
func col2im(_ src: UnsafePointer<Float>, ldSrc: Int, g: ConvGeometry, channel0: Int, channels: Int,
            pStart: Int, pCount: Int, dImage: UnsafeMutablePointer<Float>) {
    let sw = g.strideW
    forEachPatchRun(g: g, channel0: channel0, channels: channels, pStart: pStart, pCount: pCount) {
        row, j, ox0, _, tap in
        guard let (offset, a, b) = tap else { return }
        let dst = dImage + offset
        let sj = src + row * ldSrc + j - ox0
        if sw == 1 { for ox in a..<b { dst[ox] += sj[ox] } }
        else { for ox in a..<b { dst[ox * sw] += sj[ox] } }
    }
}

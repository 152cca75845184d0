/// Direct depthwise convolution (groups == input channels, any channel multiplier):
/// each output plane is a sum of kh·kw shifted, scaled copies of one input plane.
enum DepthwiseKernel {
    static func forward(x: UnsafePointer<Float>, weight: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
                        g: ConvGeometry, epilogue: Epilogue) {
        let H = g.height, W = g.width, OH = g.outHeight, OW = g.outWidth
        let kh = g.kernelH, kw = g.kernelW, sh = g.strideH, sw = g.strideW, ph = g.padH, pw = g.padW
        let mult = g.outChannels / g.inChannels
        let planes = g.batch * g.outChannels
        Engine.parallelChunks(planes, minChunk: 4) { range in
            for plane in range {
                let n = plane / g.outChannels, co = plane % g.outChannels, ci = co / mult
                let src = x + (n * g.inChannels + ci) * H * W
                let dst = y + plane * OH * OW
                let wk = weight + co * kh * kw
                dst.update(repeating: 0, count: OH * OW)
                if kw == 3 && sw == 1 && pw == 1 && OW == W && W >= 2 {
                    // The common 3×3 / stride-1 / same-padding case: the three taps of a kernel row in one
                    // pass over the output row (one load and store of the row instead of three).
                    for ki in 0..<kh {
                        let w0 = wk[ki * 3], w1 = wk[ki * 3 + 1], w2 = wk[ki * 3 + 2]
                        for oy in 0..<OH {
                            let iy = oy * sh - ph + ki
                            if iy < 0 || iy >= H { continue }
                            let s = src + iy * W, d = dst + oy * OW
                            d[0] += w1 * s[0] + w2 * s[1]
                            for ox in 1..<(W - 1) { d[ox] += w0 * s[ox - 1] + w1 * s[ox] + w2 * s[ox + 1] }
                            d[W - 1] += w0 * s[W - 2] + w1 * s[W - 1]
                        }
                    }
                    epilogue.apply(dst, rows: 1, cols: OH * OW, ld: OH * OW, channel0: co, residualOffset: plane * OH * OW)
                    continue
                }
                for kj in 0..<kw {
                    let valid = g.validColumns(kj: kj)
                    let oxLo = valid.lowerBound, oxHi = valid.upperBound
                    if oxHi <= oxLo { continue }
                    for ki in 0..<kh {
                        let wv = wk[ki * kw + kj]
                        for oy in 0..<OH {
                            let iy = oy * sh - ph + ki
                            if iy < 0 || iy >= H { continue }
                            let srow = src + iy * W - pw + kj
                            let drow = dst + oy * OW
                            if sw == 1 {
                                for ox in oxLo..<oxHi { drow[ox] += wv * srow[ox] }
                            } else {
                                for ox in oxLo..<oxHi { drow[ox] += wv * srow[ox * sw] }
                            }
                        }
                    }
                }
                epilogue.apply(dst, rows: 1, cols: OH * OW, ld: OH * OW, channel0: co,
                               residualOffset: plane * OH * OW)
            }
        }
    }
}

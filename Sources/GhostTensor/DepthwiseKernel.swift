/// Direct depthwise convolution (groups == input channels, any channel multiplier):
/// each output plane is a sum of kh·kw shifted, scaled copies of one input plane.
enum DepthwiseKernel {
    /// `x` holds `xChannels` channels per image (default: the conv's input channels); input channel ci is plane
    /// `inputMap[ci]` of an image (nil: ci). `y` holds `yChannels` per image; output channel co goes to plane
    /// `outputMap[co]` (nil: co; −1: not computed). The epilogue's residual has `y`'s layout.
    static func forward(x: UnsafePointer<Float>, weight: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
                        g: ConvGeometry, epilogue: Epilogue, xChannels: Int? = nil, inputMap: UnsafePointer<Int>? = nil,
                        yChannels: Int? = nil, outputMap: UnsafePointer<Int>? = nil) {
        let H = g.height, W = g.width, OH = g.outHeight, OW = g.outWidth
        let kh = g.kernelH, kw = g.kernelW
        let mult = g.outChannels / g.inChannels
        let xC = xChannels ?? g.inChannels, yC = yChannels ?? g.outChannels
        let planes = g.batch * g.outChannels
        let same3x3 = kh == 3 && kw == 3 && g.strideH == 1 && g.strideW == 1 && g.padH == 1 && g.padW == 1 && W >= 2
        Engine.parallelChunks(planes, minChunk: max(1, 4096 / max(OH * OW, 1))) { range in
            for plane in range {
                let n = plane / g.outChannels, co = plane % g.outChannels, ci = co / mult
                let yPlane = outputMap?[co] ?? co
                if yPlane < 0 { continue }
                let src = x + (n * xC + (inputMap?[ci] ?? ci)) * H * W
                let offset = (n * yC + yPlane) * OH * OW
                let dst = y + offset
                let wk = weight + co * kh * kw
                if same3x3 {
                    same3x3Plane(src, wk, dst, height: H, width: W)
                } else {
                    generalPlane(src, wk, dst, g)
                }
                epilogue.applyRow(from: dst, to: dst, count: OH * OW, channel: co, residual: epilogue.residual.map { $0 + offset })
            }
        }
    }

    /// 3×3, stride 1, padding 1: each output row is written once from its three input rows (nine taps per pixel;
    /// a missing row above or below contributes zero weights).
    @inline(__always)
    private static func same3x3Plane(_ src: UnsafePointer<Float>, _ wk: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>,
                                     height H: Int, width W: Int) {
        for oy in 0..<H {
            let hasUp = oy > 0, hasDown = oy < H - 1
            let u = hasUp ? src + (oy - 1) * W : src, m = src + oy * W, l = hasDown ? src + (oy + 1) * W : src
            let a0 = hasUp ? wk[0] : 0, a1 = hasUp ? wk[1] : 0, a2 = hasUp ? wk[2] : 0
            let b0 = wk[3], b1 = wk[4], b2 = wk[5]
            let c0 = hasDown ? wk[6] : 0, c1 = hasDown ? wk[7] : 0, c2 = hasDown ? wk[8] : 0
            let d = dst + oy * W
            d[0] = a1 * u[0] + a2 * u[1] + b1 * m[0] + b2 * m[1] + c1 * l[0] + c2 * l[1]
            for ox in 1..<(W - 1) {  // fused multiply-adds (the release build targets a CPU with FMA)
                var s = (a0 * u[ox - 1]).addingProduct(a1, u[ox]).addingProduct(a2, u[ox + 1])
                s = s.addingProduct(b0, m[ox - 1]).addingProduct(b1, m[ox]).addingProduct(b2, m[ox + 1])
                d[ox] = s.addingProduct(c0, l[ox - 1]).addingProduct(c1, l[ox]).addingProduct(c2, l[ox + 1])
            }
            d[W - 1] = a0 * u[W - 2] + a1 * u[W - 1] + b0 * m[W - 2] + b1 * m[W - 1] + c0 * l[W - 2] + c1 * l[W - 1]
        }
    }

    /// Any kernel, stride and padding: accumulate one tap at a time over the columns where it is valid.
    private static func generalPlane(_ src: UnsafePointer<Float>, _ wk: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>,
                                     _ g: ConvGeometry) {
        let W = g.width, OW = g.outWidth, kw = g.kernelW, sw = g.strideW, pw = g.padW
        dst.update(repeating: 0, count: g.outHeight * OW)
        g.forEachTapRow { ki, kj, oy, iy, columns in
            let wv = wk[ki * kw + kj]
            let srow = src + iy * W - pw + kj, drow = dst + oy * OW
            if sw == 1 {
                for ox in columns { drow[ox] += wv * srow[ox] }
            } else {
                for ox in columns { drow[ox] += wv * srow[ox * sw] }
            }
        }
    }
}

import CBLAS

/// Direct depthwise convolution (groups == input channels, any channel multiplier):
/// each output plane is a sum of kh·kw shifted, scaled copies of one input plane.
enum DepthwiseKernel {
    /// `x` holds `xChannels` channels per image (default: the conv's input channels); input channel ci is plane
    /// `inputMap[ci]` of an image (nil: ci). `y` holds `yChannels` per image; output channel co goes to plane
    /// `outputMap[co]` (nil: co; −1: not computed). The epilogue's residual has `y`'s layout.
    static func forward(
        x: UnsafePointer<Float>, weight: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
        g: ConvGeometry, epilogue: Epilogue, xChannels: Int? = nil, inputMap: UnsafePointer<Int>? = nil,
        yChannels: Int? = nil, outputMap: UnsafePointer<Int>? = nil
    ) {
        let H = g.height
        let W = g.width
        let OH = g.outHeight
        let OW = g.outWidth
        let kh = g.kernelH
        let kw = g.kernelW
        let mult = g.outChannels / g.inChannels
        let xC = xChannels ?? g.inChannels
        let yC = yChannels ?? g.outChannels
        let planes = g.batch * g.outChannels
        let minChunk = max(1, 4096 / max(OH * OW, 1))
        if isSame3x3(g) {
            Engine.parallelChunks(planes, minChunk: minChunk) { range in
                same3x3Planes(
                    range, x: x, weight: weight, y: y, g: g, epilogue: epilogue, xChannels: xC, inputMap: inputMap,
                    yChannels: yC, outputMap: outputMap)
            }
            return
        }
        Engine.parallelChunks(planes, minChunk: minChunk) { range in
            for plane in range {
                let n = plane / g.outChannels
                let co = plane % g.outChannels
                let ci = co / mult
                let yPlane = outputMap?[co] ?? co
                if yPlane < 0 { continue }
                let src = x + (n * xC + (inputMap?[ci] ?? ci)) * H * W
                let offset = (n * yC + yPlane) * OH * OW
                let dst = y + offset
                generalPlane(src, weight + co * kh * kw, dst, g)
                epilogue.applyRow(
                    from: dst, to: dst, count: OH * OW, channel: co, residual: epilogue.residual.map { $0 + offset })
            }
        }
    }

    /// Output planes `range` (plane = n·outChannels + co) of a 3×3 "same" depthwise convolution, same contract as
    /// `forward`. Each source plane is copied once into a padded buffer whose zero border is written once per call
    /// (not per plane), the nine-tap sums run over its flat layout, and the epilogue (over the flat sums when it has no
    /// residual) writes each row to `y`; plane indices advance without a division per plane.
    private static func same3x3Planes(
        _ range: Range<Int>, x: UnsafePointer<Float>, weight: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
        g: ConvGeometry, epilogue: Epilogue, xChannels xC: Int, inputMap: UnsafePointer<Int>?, yChannels yC: Int,
        outputMap: UnsafePointer<Int>?
    ) {
        let H = g.height
        let W = g.width
        let P = H * W
        let rowStride = W + 1
        let paddedCount = (H + 3) * rowStride
        let count = (H - 1) * rowStride + W
        let mult = g.outChannels / g.inChannels
        let buffer = Scratch(paddedCount + H * rowStride)
        let padded = buffer.pointer
        let sums = padded + paddedCount
        padded.update(repeating: 0, count: paddedCount)
        var (n, co) = range.lowerBound.quotientAndRemainder(dividingBy: g.outChannels)
        var paddedSource = -1
        for _ in range {
            defer {
                co += 1
                if co == g.outChannels { (n, co) = (n + 1, 0) }
            }
            let yPlane = outputMap?[co] ?? co
            if yPlane < 0 { continue }
            let ci = co / mult
            let source = n * xC + (inputMap?[ci] ?? ci)
            if source != paddedSource {
                copyInterior3x3(x + source * P, into: padded, height: H, width: W)
                paddedSource = source
            }
            same3x3Sums(padded, weight + co * 9, into: sums, count: count, rowStride: rowStride)
            let offset = (n * yC + yPlane) * P
            if epilogue.residual == nil {
                // The epilogue in one pass over the flat sums (short rows vectorise poorly), then the rows as they are.
                epilogue.applyRow(from: sums, to: sums, count: count, channel: co, residual: nil)
                for oy in 0..<H { (y + offset + oy * W).update(from: sums + oy * rowStride, count: W) }
                continue
            }
            for oy in 0..<H {
                epilogue.applyRow(
                    from: sums + oy * rowStride, to: y + offset + oy * W, count: W, channel: co,
                    residual: epilogue.residual.map { $0 + offset + oy * W })
            }
        }
    }

    /// Copies an H×W plane into the data columns of a `pad3x3` buffer whose zeros are already in place.
    @inline(__always)
    private static func copyInterior3x3(
        _ src: UnsafePointer<Float>, into padded: UnsafeMutablePointer<Float>, height H: Int, width W: Int
    ) {
        let rowStride = W + 1
        for iy in 0..<H {
            let s = src + iy * W
            let d = padded + (iy + 1) * rowStride + 1
            d.update(from: s, count: W)
        }
    }

    /// 3×3, stride 1, padding 1: the cheap operation of a Ghost module with d = 3 (the padded-plane kernels).
    static func isSame3x3(_ g: ConvGeometry) -> Bool {
        g.kernelH == 3 && g.kernelW == 3 && g.strideH == 1 && g.strideW == 1 && g.padH == 1 && g.padW == 1
    }

    /// Copies an H×W plane into rows W + 1 floats apart, each led by a zero (also the right padding of the row above),
    /// with a zero row above and two below (the last read only past the final row's end): (H + 3)·(W + 1) floats.
    @inline(__always)
    static func pad3x3(_ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>, height H: Int, width W: Int)
    {
        let plane = ConvGeometry(
            batch: 1, inChannels: 1, height: H, width: W, outChannels: 1, kernel: (3, 3), padding: (1, 1))
        plane.copyPaddedRows(of: src, from: -1, count: H + 3, into: dst, plane: (H + 3) * (W + 1))
    }

    /// 3×3, stride 1, padding 1 over a `pad3x3` plane: column q = oy·(W + 1) + ox of `sums` is output pixel (oy, ox)
    /// (ox = W is junk), every column the same nine-tap sum with no border case (one flat loop the compiler vectorises;
    /// three partial sums keep the dependency chains short).
    @inline(__always)
    static func same3x3Sums(
        _ padded: UnsafePointer<Float>, _ wk: UnsafePointer<Float>,
        into sums: UnsafeMutablePointer<Float>, count: Int, rowStride: Int
    ) {
        let p0 = padded
        let p1 = padded + 1
        let p2 = padded + 2
        let p3 = p0 + rowStride
        let p4 = p1 + rowStride
        let p5 = p2 + rowStride
        let p6 = p3 + rowStride
        let p7 = p4 + rowStride
        let p8 = p5 + rowStride
        let w0 = wk[0]
        let w1 = wk[1]
        let w2 = wk[2]
        let w3 = wk[3]
        let w4 = wk[4]
        let w5 = wk[5]
        let w6 = wk[6]
        let w7 = wk[7]
        let w8 = wk[8]
        for q in 0..<count {
            let a = (p0[q] * w0).addingProduct(w1, p1[q]).addingProduct(w2, p2[q])
            let b = (p3[q] * w3).addingProduct(w4, p4[q]).addingProduct(w5, p5[q])
            let c = (p6[q] * w6).addingProduct(w7, p7[q]).addingProduct(w8, p8[q])
            sums[q] = a + b + c
        }
    }

    /// Backward of a 3×3, stride-1, padding-1 depthwise convolution over `pad3x3` planes: dW_t is the dot product of
    /// dY (as columns, the junk one zero) with the padded input shifted by tap t, and dX is the same 3×3 sum run on
    /// the padded dY with the kernel turned by 180°. Adds into `gx` (nil: not needed) and `gw`; planes are split
    /// over workers by input channel, each with its own dW.
    static func backward3x3(
        x: UnsafePointer<Float>, w: UnsafePointer<Float>, gy: UnsafePointer<Float>,
        gx: UnsafeMutablePointer<Float>?, gw: UnsafeMutablePointer<Float>, g: ConvGeometry
    ) {
        let H = g.height
        let W = g.width
        let P = H * W
        let rowStride = W + 1
        let mult = g.outChannels / g.inChannels
        let planes = g.batch * g.inChannels
        let count = (H - 1) * rowStride + W
        let paddedCount = (H + 3) * rowStride
        let workers = max(1, min(Engine.threads, planes))
        let per = (planes + workers - 1) / workers
        Engine.parallelPartialSums(workers, count: g.outChannels * 9, into: gw) { wk, gwLocal in
            let xPadded = Scratch(paddedCount)
            let dyPadded = Scratch(paddedCount)
            let sums = Scratch(H * rowStride)
            var turned = [Float](repeating: 0, count: 9)
            for plane in (wk * per)..<min(planes, (wk + 1) * per) {
                let n = plane / g.inChannels
                let ci = plane % g.inChannels
                pad3x3(x + plane * P, into: xPadded.pointer, height: H, width: W)
                for m in 0..<mult {
                    let co = ci * mult + m
                    pad3x3(gy + (n * g.outChannels + co) * P, into: dyPadded.pointer, height: H, width: W)
                    // dY as columns q = oy·(W + 1) + ox starts one padded row and one column in; its junk column is
                    // the next padded row's leading zero.
                    let columns = UnsafePointer(dyPadded.pointer + rowStride + 1)
                    for t in 0..<9 {
                        gwLocal[co * 9 + t] += cblas_sdot(
                            blasint(count), columns, 1,
                            xPadded.pointer + (t / 3) * rowStride + t % 3, 1)
                    }
                    guard let gx else { continue }
                    for t in 0..<9 { turned[t] = w[co * 9 + 8 - t] }
                    turned.withUnsafeBufferPointer {
                        same3x3Sums(
                            dyPadded.pointer, $0.baseAddress!, into: sums.pointer, count: count, rowStride: rowStride)
                    }
                    let dst = gx + plane * P
                    for iy in 0..<H {
                        let s = sums.pointer + iy * rowStride
                        let d = dst + iy * W
                        for ix in 0..<W { d[ix] += s[ix] }
                    }
                }
            }
        }
    }

    /// Any kernel, stride and padding: accumulate one tap at a time over the columns where it is valid.
    private static func generalPlane(
        _ src: UnsafePointer<Float>, _ wk: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>,
        _ g: ConvGeometry
    ) {
        let W = g.width
        let OW = g.outWidth
        let kw = g.kernelW
        let sw = g.strideW
        let pw = g.padW
        dst.update(repeating: 0, count: g.outHeight * OW)
        g.forEachTapRow { ki, kj, oy, iy, columns in
            let wv = wk[ki * kw + kj]
            let srow = src + iy * W - pw + kj
            let drow = dst + oy * OW
            if sw == 1 {
                for ox in columns { drow[ox] += wv * srow[ox] }
            } else {
                for ox in columns { drow[ox] += wv * srow[ox * sw] }
            }
        }
    }
}

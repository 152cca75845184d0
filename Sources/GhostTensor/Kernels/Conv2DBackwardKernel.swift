/// Backward convolution: gradients with respect to the weight (and bias) and to the input.
/// Dense/grouped convolutions use the forward's tiling with sgemm (stride-1 "same" ones TapGEMMKernel's padded
/// layout, no im2col/col2im; the input gradient of stride-1 3×3 ones WinogradBackwardData where the dispatch picks
/// Winograd, and then their weight gradient WinogradBackwardWeight); depthwise ones a direct loop (3×3/1 ones over
/// padded planes, see DepthwiseKernel).
public enum Conv2DBackwardKernel {
    /// Returns (dX or nil, dW, dB) for y = conv(x, w) given dY. `needInput` = false skips dX
    /// (first layer of a network).
    public static func backward(
        x: Tensor, weight: Tensor, gradOutput gy: Tensor, stride: (Int, Int), padding: (Int, Int),
        groups: Int, needInput: Bool
    ) -> (gradInput: Tensor?, gradWeight: Tensor, gradBias: Tensor) {
        let g = ConvGeometry(
            batch: x.shape[0], inChannels: x.shape[1], height: x.shape[2], width: x.shape[3],
            outChannels: weight.shape[0], kernel: (weight.shape[2], weight.shape[3]),
            stride: stride, padding: padding, groups: groups)
        precondition(gy.shape == g.outputShape, "conv backward: gradient \(gy.shape) vs output \(g.outputShape)")
        // Stride-1 3×3 "same" convolutions take dX on Winograd where the dispatch picks it (WinogradBackwardData);
        // the kernels below then compute dW only.
        let winogradInput = needInput ? WinogradBackwardData.variant(for: g) : nil
        let gx = needInput && winogradInput == nil ? Tensor(zeros: x.shape) : nil
        let gw = Tensor(zeros: weight.shape)
        let gb = biasGradient(gy)
        // dW on Winograd too where dX needs no other kernel (TapGEMM and im2col compute both at once).
        if gx == nil, let variant = WinogradBackwardWeight.variant(for: g) {
            WinogradBackwardWeight.gradWeight(
                x: x.pointer, gradOutput: gy.pointer, gw: gw.pointer, g: g, variant: variant)
        } else if g.isDepthwise && DepthwiseKernel.isSame3x3(g) {
            DepthwiseKernel.backward3x3(
                x: x.pointer, w: weight.pointer, gy: gy.pointer, gx: gx?.pointer, gw: gw.pointer, g: g)
        } else if g.isDepthwise {
            depthwise(x: x.pointer, w: weight.pointer, gy: gy.pointer, gx: gx?.pointer, gw: gw.pointer, g: g)
        } else if TapGEMMKernel.applies(to: g) {
            TapGEMMKernel.backward(
                x: x.pointer, weight: weight.pointer, gy: gy.pointer, gx: gx?.pointer, gw: gw.pointer, g: g)
        } else {
            gemmBackward(x: x.pointer, w: weight.pointer, gy: gy.pointer, gx: gx?.pointer, gw: gw.pointer, g: g)
        }
        if let variant = winogradInput {
            return (WinogradBackwardData.gradInput(gradOutput: gy, weight: weight, variant: variant), gw, gb)
        }
        return (gx, gw, gb)
    }

    /// Σ over batch and pixels of dY per channel.
    static func biasGradient(_ gy: Tensor) -> Tensor {
        let N = gy.shape[0]
        let C = gy.shape[1]
        let P = gy.count / max(N * C, 1)
        let gb = Tensor(zeros: [C])
        for n in 0..<N {
            for c in 0..<C { gb.pointer[c] += Reduction.sum(gy.pointer + (n * C + c) * P, count: P) }
        }
        return gb
    }

    static func gemmBackward(
        x: UnsafePointer<Float>, w: UnsafePointer<Float>, gy: UnsafePointer<Float>,
        gx: UnsafeMutablePointer<Float>?, gw: UnsafeMutablePointer<Float>, g: ConvGeometry
    ) {
        let (tiles, width) = Conv2DKernel.tiles(g)
        guard !tiles.isEmpty else { return }  // zero-sized maps: the gradients stay zero
        let (P, K, G, cinG, coutG, inImage) = g.groupGEMMSizes
        let outImage = g.outChannels * P
        let workers = min(Engine.threads, tiles.count)
        let whole = tiles.first!.wholeImages
        // Tiles of one image must stay on one worker (they add into the same dX image).
        var owner = [Int](repeating: 0, count: tiles.count)
        var next = 0
        for t in tiles.indices {
            if t > 0 && !whole && tiles[t].n == tiles[t - 1].n {
                owner[t] = owner[t - 1]
            } else {
                owner[t] = next % workers
                next += 1
            }
        }
        Engine.parallelPartialSums(workers, count: g.outChannels * K, into: gw) { wk, gwLocal in
            let cols = Scratch(K * width)
            let dy = Scratch(whole ? g.outChannels * width : 0)
            for t in tiles.indices where owner[t] == wk {
                let tile = tiles[t]
                // B operand for dW and A operand layout for dX: dY block [Cout × len] with stride ldy.
                let dyBase: UnsafePointer<Float>
                let ldy: Int
                let len: Int
                if whole {
                    len = tile.count * P
                    for i in 0..<tile.count {
                        let src = gy + (tile.n + i) * outImage
                        for c in 0..<g.outChannels {
                            (dy.pointer + c * len + i * P).update(from: src + c * P, count: P)
                        }
                    }
                    dyBase = UnsafePointer(dy.pointer)
                    ldy = len
                } else {
                    len = tile.count
                    dyBase = gy + tile.n * outImage + tile.p0
                    ldy = P
                }
                for gi in 0..<G {
                    // dW_g += dY_g · colsᵀ
                    if whole {
                        for i in 0..<tile.count {
                            im2col(
                                image: x + (tile.n + i) * inImage, g: g, channel0: gi * cinG, channels: cinG,
                                pStart: 0, pCount: P, dst: cols.pointer + i * P, ldDst: len)
                        }
                    } else {
                        im2col(
                            image: x + tile.n * inImage, g: g, channel0: gi * cinG, channels: cinG,
                            pStart: tile.p0, pCount: len, dst: cols.pointer, ldDst: len)
                    }
                    GhostTensor.gemm(
                        transB: true, m: coutG, n: K, k: len, a: dyBase + gi * coutG * ldy, lda: ldy,
                        b: cols.pointer, ldb: len, beta: 1, c: gwLocal + gi * coutG * K, ldc: K)
                    guard let gx else { continue }
                    // dcols = W_gᵀ · dY_g, then scatter-add into dX.
                    GhostTensor.gemm(
                        transA: true, m: K, n: len, k: coutG, a: w + gi * coutG * K, lda: K,
                        b: dyBase + gi * coutG * ldy, ldb: ldy, c: cols.pointer, ldc: len)
                    if whole {
                        for i in 0..<tile.count {
                            col2im(
                                cols.pointer + i * P, ldSrc: len, g: g, channel0: gi * cinG, channels: cinG,
                                pStart: 0, pCount: P, dImage: gx + (tile.n + i) * inImage)
                        }
                    } else {
                        col2im(
                            cols.pointer, ldSrc: len, g: g, channel0: gi * cinG, channels: cinG,
                            pStart: tile.p0, pCount: len, dImage: gx + tile.n * inImage)
                    }
                }
            }
        }
    }

    static func depthwise(
        x: UnsafePointer<Float>, w: UnsafePointer<Float>, gy: UnsafePointer<Float>,
        gx: UnsafeMutablePointer<Float>?, gw: UnsafeMutablePointer<Float>, g: ConvGeometry
    ) {
        let (H, W, OH, OW) = (g.height, g.width, g.outHeight, g.outWidth)
        let (kh, kw, sw, pw) = (g.kernelH, g.kernelW, g.strideW, g.padW)
        let mult = g.outChannels / g.inChannels
        let planes = g.batch * g.inChannels
        let workers = max(1, min(Engine.threads, planes))
        let per = (planes + workers - 1) / workers
        Engine.parallelPartialSums(workers, count: g.outChannels * kh * kw, into: gw) { wk, gwLocal in
            for plane in (wk * per)..<min(planes, (wk + 1) * per) {
                let n = plane / g.inChannels
                let ci = plane % g.inChannels
                let src = x + plane * H * W
                let dsrc = gx.map { $0 + plane * H * W }
                for m in 0..<mult {
                    let co = ci * mult + m
                    let dout = gy + (n * g.outChannels + co) * OH * OW
                    let wk = w + co * kh * kw
                    let gwk = gwLocal + co * kh * kw
                    g.forEachTapRow { ki, kj, oy, iy, columns in
                        let wv = wk[ki * kw + kj]
                        let srow = src + iy * W - pw + kj
                        let drow = dout + oy * OW
                        var acc: Float = 0
                        for ox in columns { acc += drow[ox] * srow[ox * sw] }
                        gwk[ki * kw + kj] += acc
                        if let d = dsrc {
                            let dr = d + iy * W - pw + kj
                            for ox in columns { dr[ox * sw] += wv * drow[ox] }
                        }
                    }
                }
            }
        }
    }
}

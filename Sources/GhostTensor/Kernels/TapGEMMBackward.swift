extension TapGEMMKernel {
    /// GEMM columns a backward tile aims at (whole images, stacked).
    static let backwardTileColumns = 1024

    /// Backward of a convolution `applies(to:)` accepts, in the forward's padded layout: with dY laid out as GEMM
    /// columns (zero in the padding columns and rows), each tap t gives dW_t += dY · X_tᵀ and dX_t += W_tᵀ · dY over
    /// the same shifted views of the padded tile, so neither im2col nor col2im runs. Tiles hold whole images,
    /// so every dX image is written by one worker; `gw` [Cout][Cin][k][k] and `gx` (nil: not needed) come zeroed.
    static func backward(
        x: UnsafePointer<Float>, weight: UnsafePointer<Float>, gy: UnsafePointer<Float>,
        gx: UnsafeMutablePointer<Float>?, gw: UnsafeMutablePointer<Float>, g: ConvGeometry
    ) {
        let (H, W, p, k, cin, cout, N) = padded(g)
        let (taps, P, rowStride, imageRows) = (k * k, H * W, W + p, H + p)
        let tapWeights = regroupedByTap(weight, g)

        let workers = min(Engine.threads, N)
        let perTile = max(1, min(backwardTileColumns / (imageRows * rowStride), (N + workers - 1) / workers))
        let tiles = stride(from: 0, to: N, by: perTile).map { ($0, min(perTile, N - $0)) }
        let maxRows = perTile * imageRows - p
        let plane = (maxRows + 2 * p + 1) * rowStride
        let maxColumns = (maxRows - 1) * rowStride + W
        let gwSum = Scratch(taps * cout * cin)
        gwSum.pointer.update(repeating: 0, count: taps * cout * cin)
        Engine.parallelPartialSums(workers, count: taps * cout * cin, into: gwSum.pointer) { w, gwTaps in
            let padded = Scratch(cin * plane)
            let dy = Scratch(cout * maxColumns)
            let gxPadded = Scratch(gx == nil ? 0 : cin * plane)
            var t = w
            while t < tiles.count {
                let (n0, images) = tiles[t]
                t += workers
                let row0 = n0 * imageRows
                let rows = images * imageRows - p
                let columns = (rows - 1) * rowStride + W
                g.copyPaddedRows(of: x, from: row0 - p, count: rows + 2 * p + 1, into: padded.pointer, plane: plane)
                // dY as GEMM columns: row r = i·(H + p) + oy holds image n0 + i's output row oy, zeros elsewhere.
                for c in 0..<cout {
                    let dst = dy.pointer + c * columns
                    dst.update(repeating: 0, count: columns)
                    for i in 0..<images {
                        let src = gy + ((n0 + i) * cout + c) * P
                        for oy in 0..<H {
                            (dst + (i * imageRows + oy) * rowStride).update(from: src + oy * W, count: W)
                        }
                    }
                }
                for tap in 0..<taps {
                    let (ki, kj) = tap.quotientAndRemainder(dividingBy: k)
                    gemm(
                        transB: true, m: cout, n: cin, k: columns, a: dy.pointer, lda: columns,
                        b: padded.pointer + ki * rowStride + kj, ldb: plane, beta: 1,
                        c: gwTaps + tap * cout * cin, ldc: cin)
                }
                guard let gx else { continue }
                // dX, padded: every tap adds W_tᵀ · dY into its shifted view; the padding positions are dropped.
                gxPadded.pointer.update(repeating: 0, count: cin * plane)
                for tap in 0..<taps {
                    let (ki, kj) = tap.quotientAndRemainder(dividingBy: k)
                    gemm(
                        transA: true, m: cin, n: columns, k: cout, a: tapWeights.pointer + tap * cout * cin, lda: cin,
                        b: dy.pointer, ldb: columns, beta: 1, c: gxPadded.pointer + ki * rowStride + kj, ldc: plane)
                }
                for i in 0..<images {
                    for c in 0..<cin {
                        let src = gxPadded.pointer + c * plane + (i * imageRows + p) * rowStride + p
                        let dst = gx + ((n0 + i) * cin + c) * P
                        for iy in 0..<H { (dst + iy * W).update(from: src + iy * rowStride, count: W) }
                    }
                }
            }
        }
        for tap in 0..<taps {
            for co in 0..<cout {
                let src = gwSum.pointer + (tap * cout + co) * cin
                for ci in 0..<cin { gw[(co * cin + ci) * taps + tap] += src[ci] }
            }
        }
    }
}

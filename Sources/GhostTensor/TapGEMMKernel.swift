/// Stride-1 "same" convolutions (k×k, k odd, padding k/2, one group) without im2col.
///
/// Each tile's input rows are copied into a zero-padded layout in which every kernel tap (ki, kj) is a plain shift
/// of the same buffer, so the convolution is a sum of k² GEMMs [Cout × Cin] · [Cin × pixels] whose B operand is
/// the padded input itself: OpenBLAS packs it as it would pack an im2col matrix, but the k²-times larger patch
/// matrix is never written. Rows of a padded plane are W + p floats apart and start with their p zeros, which
/// are also the right padding of the row above; output pixel (oy, ox) is GEMM column oy·(W + p) + ox, so only p
/// columns per output row are wasted work. Worth it on maps of at least `minPixels` pixels (measured: on 14×14 and
/// 7×7 maps im2col is as fast); the weights are regrouped tap by tap on every call, little next to the GEMMs there.
public enum TapGEMMKernel {
    /// Smallest output map (pixels per image) this kernel is used for.
    public static let minPixels = 256
    /// GEMM columns of a tile (runs of whole output rows), unless the small-GEMM rule below applies.
    static let tileColumns = 1024
    /// Tiles whose GEMMs have M·N·K at most this take OpenBLAS's small-matrix kernel (no packing) where the
    /// kernel family has one (SKYLAKEX in 0.3.21); measured ~20 % faster for Cout·Cin ≤ 4096 (ResNet-18's and its
    /// Ghost version's 56×56 convs) as long as a tile keeps ≥ 4 rows; elsewhere the tile size hardly matters.
    static let smallGEMM = 1_000_000

    /// Whether `g` runs here: one group, stride 1, odd square kernel > 1 with "same" padding, a map of at least
    /// `minPixels` pixels.
    public static func applies(to g: ConvGeometry, minPixels: Int = minPixels) -> Bool {
        g.groups == 1 && g.strideH == 1 && g.strideW == 1 && g.kernelH == g.kernelW && g.kernelH > 1
            && g.kernelH % 2 == 1 && g.padH == g.kernelH / 2 && g.padW == g.padH && g.outPixels >= minPixels
    }

    /// Same contract as `Conv2DKernel.gemmForward`: `y` holds `yChannels` channels per image, output channel c
    /// goes to channel `outputMap[c]`, the residual has `y`'s layout offset by `residualBase` floats.
    static func forward(x: UnsafePointer<Float>, weight: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
                        g: ConvGeometry, epilogue: Epilogue, yChannels: Int? = nil, outputMap: UnsafePointer<Int>? = nil,
                        residualBase: Int = 0) {
        let H = g.height, W = g.width, p = g.padH, k = g.kernelH, taps = k * k
        let cin = g.inChannels, cout = g.outChannels, P = H * W, N = g.batch
        let rowStride = W + p, outImage = (yChannels ?? cout) * P

        // Weights regrouped by tap: [k·k][Cout][Cin].
        let tapWeights = Scratch(taps * cout * cin)
        for co in 0..<cout {
            for ci in 0..<cin {
                let src = weight + (co * cin + ci) * taps
                for t in 0..<taps { tapWeights.pointer[(t * cout + co) * cin + ci] = src[t] }
            }
        }

        // Tiles: runs of output rows of one image, at least one tile per worker.
        let workers = Engine.threads
        let small = smallGEMM / (cout * cin)
        let columns = small >= 4 * rowStride ? small : tileColumns
        let rowsPerTile = max(1, min(H, columns / rowStride, (N * H + workers - 1) / workers))
        var tiles: [(n: Int, row0: Int, rows: Int)] = []
        for n in 0..<N {
            var r = 0
            while r < H { tiles.append((n, r, min(rowsPerTile, H - r))); r += rowsPerTile }
        }
        // A tile's input, padded: per input channel its rows row0 − p ..< row0 + rows + p (zero outside the image),
        // each led by p zeros, and one more row that only taps running past the last row's end read.
        let plane = (rowsPerTile + 2 * p + 1) * rowStride
        Engine.parallelFor(min(workers, tiles.count)) { w in
            let padded = Scratch(cin * plane)
            let result = Scratch(cout * ((rowsPerTile - 1) * rowStride + W))
            var t = w
            while t < tiles.count {
                let tile = tiles[t]
                t += workers
                for c in 0..<cin {
                    let src = x + (tile.n * cin + c) * P, dst = padded.pointer + c * plane
                    for r in 0..<(tile.rows + 2 * p + 1) {
                        let iy = tile.row0 - p + r, row = dst + r * rowStride
                        if iy >= 0 && iy < H {
                            row.update(repeating: 0, count: p)
                            (row + p).update(from: src + iy * W, count: W)
                        } else {
                            row.update(repeating: 0, count: rowStride)
                        }
                    }
                }
                // GEMM column j = r·(W + p) + ox is output pixel (row0 + r, ox); ox ≥ W is padding, skipped.
                let columns = (tile.rows - 1) * rowStride + W
                for tap in 0..<taps {
                    let (ki, kj) = tap.quotientAndRemainder(dividingBy: k)
                    sgemm(m: cout, n: columns, k: cin, a: tapWeights.pointer + tap * cout * cin, lda: cin,
                          b: padded.pointer + ki * rowStride + kj, ldb: plane, beta: tap == 0 ? 0 : 1,
                          c: result.pointer, ldc: columns)
                }
                for c in 0..<cout {
                    let channel = tile.n * outImage + (outputMap?[c] ?? c) * P + tile.row0 * W
                    for r in 0..<tile.rows {
                        let offset = channel + r * W
                        epilogue.applyRow(from: result.pointer + c * columns + r * rowStride, to: y + offset, count: W,
                                          channel: c, residual: epilogue.residual.map { $0 + residualBase + offset })
                    }
                }
            }
        }
    }
}

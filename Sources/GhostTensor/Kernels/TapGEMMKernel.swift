/// Stride-1 "same" convolutions (k×k, k odd, padding k/2, one group) without im2col.
///
/// Each tile's input rows are copied into a zero-padded layout in which every kernel tap (ki, kj) is a plain shift
/// of the same buffer, so the convolution is a sum of k² GEMMs [Cout × Cin] · [Cin × pixels] whose B operand is
/// the padded input itself: OpenBLAS packs it as it would pack an im2col matrix, but the k²-times larger patch
/// matrix is never written. Rows of a padded plane are W + p floats apart and start with their p zeros, which
/// are also the right padding of the row above; output pixel (oy, ox) is GEMM column oy·(W + p) + ox, so only p
/// columns per output row are wasted work; small maps are stacked image after image, with p shared zero rows between
/// them. Worth it on maps of at least `minPixels` pixels, and on smaller ones only for few output channels (see
/// `smallMapBudget`); the weights are regrouped tap by tap on every call, little next to the GEMMs.
public enum TapGEMMKernel {
    /// Smallest output map (pixels per image) this kernel is used for.
    public static let minPixels = 256
    /// Largest Cout × (wasted fraction of GEMM columns) for which a map under `minPixels` still runs here. Measured
    /// on 14×14 maps (waste 0.15): faster than im2col for Cout = 128 (Ghost-ResNet's 3×3 primaries, +3–5 % on the
    /// whole Ghost-ResNet-18), no gain for Cout = 256 (ResNet's), none on 7×7 maps; a larger budget did not speed up
    /// the training step's backward either (ResNet-18/50 at 28², budgets 100 and 400).
    static let smallMapBudget = 20.0
    /// GEMM columns of a tile (runs of whole output rows), unless the small-GEMM rule below applies.
    static let tileColumns = 1024
    /// Tiles whose GEMMs have M·N·K at most this take OpenBLAS's small-matrix kernel (no packing) where the
    /// kernel family has one (SKYLAKEX in 0.3.21); measured ~20 % faster for Cout·Cin ≤ 4096 (ResNet-18's and its
    /// Ghost version's 56×56 convs) as long as a tile keeps ≥ 4 rows; elsewhere the tile size hardly matters.
    static let smallGEMM = 1_000_000

    /// Whether `g` runs here: one group, stride 1, odd square kernel > 1 with "same" padding, and either a map of
    /// at least `minPixels` pixels or a smaller one where the padding columns and rows computed in vain
    /// (Cout × waste) cost less than the im2col they replace.
    public static func applies(to g: ConvGeometry, minPixels: Int = minPixels) -> Bool {
        guard
            g.groups == 1 && g.strideH == 1 && g.strideW == 1 && g.kernelH == g.kernelW && g.kernelH > 1
                && g.kernelH % 2 == 1 && g.padH == g.kernelH / 2 && g.padW == g.padH
        else { return false }
        if g.outPixels >= minPixels { return true }
        let p = g.padH
        let P = Double(g.outPixels)
        let waste = (Double((g.height + p) * (g.width + p)) - P) / P
        return Double(g.outChannels) * waste <= smallMapBudget
    }

    /// Same contract as `Conv2DKernel.gemmForward`: `y` holds `yChannels` channels per image, output channel c
    /// goes to channel `outputMap[c]`, the residual has `y`'s layout offset by `residualBase` floats.
    static func forward(
        x: UnsafePointer<Float>, weight: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
        g: ConvGeometry, epilogue: Epilogue, yChannels: Int? = nil, outputMap: UnsafePointer<Int>? = nil,
        residualBase: Int = 0
    ) {
        let (H, W, p, k, cin, cout, N) = padded(g)
        let (taps, P, rowStride) = (k * k, H * W, W + p)
        let outImage = (yChannels ?? cout) * P

        let tapWeights = regroupedByTap(weight, g)

        // GEMM rows run over the images stacked: output row o = n·(H + p) + oy, where oy ≥ H are the p padding rows
        // between two images (computed when a tile spans them, never stored). Tiles: runs of rows that start and end
        // on an image row, at least one per worker.
        let workers = Engine.threads
        let imageRows = H + p
        let stackedRows = N * imageRows
        let small = smallGEMM / (cout * cin)
        let columns = small >= 4 * rowStride ? small : tileColumns
        let rowsPerTile = max(1, min(columns / rowStride, (stackedRows + workers - 1) / workers))
        var tiles: [(row0: Int, rows: Int)] = []
        var first = -1
        var last = -1
        for n in 0..<N {
            for oy in 0..<H {
                let o = n * imageRows + oy
                if first >= 0 && o - first >= rowsPerTile {
                    tiles.append((first, last - first + 1))
                    first = -1
                }
                if first < 0 { first = o }
                last = o
            }
        }
        tiles.append((first, last - first + 1))
        let maxRows = tiles.map(\.rows).max()!
        // A tile's input, padded: per input channel the stacked rows row0 − p ..< row0 + rows + p + 1 (zero rows
        // above the first image, between images and below the last), each led by p zeros; the final row is read
        // only by taps that run past the last row's end.
        let plane = (maxRows + 2 * p + 1) * rowStride
        Engine.parallelFor(min(workers, tiles.count)) { w in
            let padded = Scratch(cin * plane)
            let result = Scratch(cout * ((maxRows - 1) * rowStride + W))
            var t = w
            while t < tiles.count {
                let tile = tiles[t]
                t += workers
                g.copyPaddedRows(
                    of: x, from: tile.row0 - p, count: tile.rows + 2 * p + 1, into: padded.pointer, plane: plane)
                // GEMM column j = r·(W + p) + ox is output pixel (row0 + r, ox); ox ≥ W is padding, skipped.
                let columns = (tile.rows - 1) * rowStride + W
                for tap in 0..<taps {
                    let (ki, kj) = tap.quotientAndRemainder(dividingBy: k)
                    gemm(
                        m: cout, n: columns, k: cin, a: tapWeights.pointer + tap * cout * cin, lda: cin,
                        b: padded.pointer + ki * rowStride + kj, ldb: plane, beta: tap == 0 ? 0 : 1,
                        c: result.pointer, ldc: columns)
                }
                for r in 0..<tile.rows {
                    let (n, oy) = (tile.row0 + r).quotientAndRemainder(dividingBy: imageRows)
                    if oy >= H { continue }
                    for c in 0..<cout {
                        let offset = n * outImage + (outputMap?[c] ?? c) * P + oy * W
                        epilogue.applyRow(
                            from: result.pointer + c * columns + r * rowStride, to: y + offset, count: W,
                            channel: c, residual: epilogue.residual.map { $0 + residualBase + offset })
                    }
                }
            }
        }
    }

    /// The sizes of the padded layout: map height and width, padding, kernel side, channels in and out, batch.
    @inline(__always)
    static func padded(_ g: ConvGeometry) -> (Int, Int, Int, Int, Int, Int, Int) {
        (g.height, g.width, g.padH, g.kernelH, g.inChannels, g.outChannels, g.batch)
    }

    /// The weights [Cout][Cin][k][k] regrouped by tap: [k·k][Cout][Cin].
    static func regroupedByTap(_ weight: UnsafePointer<Float>, _ g: ConvGeometry) -> Scratch {
        let cin = g.inChannels
        let cout = g.outChannels
        let taps = g.kernelH * g.kernelW
        let regrouped = Scratch(taps * cout * cin)
        for co in 0..<cout {
            for ci in 0..<cin {
                let src = weight + (co * cin + ci) * taps
                for t in 0..<taps { regrouped.pointer[(t * cout + co) * cin + ci] = src[t] }
            }
        }
        return regrouped
    }
}

/// dL/dW of a stride-1, padding-1 3×3 convolution (one group) on Winograd F(m×m, 3×3). Backpropagating through
/// the forward's tile formula Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A: for each transform point, dU[point] (Cout × Cin) =
/// Σ over tiles of S[point] · V[point]ᵀ with S = A dY Aᵀ (the output transform's adjoint applied to the tile's dY)
/// and V the forward's input transform, one sgemm per point (M = Cout, N = Cin, K = tiles); then dW = Gᵀ dU G per
/// filter. Multiplies per output pixel and tap: (m+2)²/(9m²) of the direct sum (F(2×2): 16/36).
///
/// Tiles past the map's bottom or right edge see dY = 0 there, as the forward drops those outputs.
public enum WinogradBackwardWeight {
    /// Bytes of a block's V and S together (per worker), as the forward's blocks: the point GEMMs' K is the block's
    /// tile count (at least `WinogradKernel.minBlockTiles`). Blocks four times larger ran no faster on ResNet-18's
    /// train step and raised its peak RSS.
    static let blockBytes = 1 << 20

    /// The variant for dW of `g`, or nil where it stays on the tap / im2col GEMMs: a stride-1 "same" 3×3 conv with
    /// at least 16 channels in and out, by `WinogradKernel.dispatch` (`.fixed` as given; otherwise F(2×2): F(4×4)
    /// ran no faster on ResNet-18's train step, 40.9–41.8 against 40.2–42.7 img/s, with a 36-point dU).
    public static func variant(for g: ConvGeometry) -> WinogradKernel.Variant? {
        guard WinogradKernel.supports(g), g.inChannels >= 16, g.outChannels >= 16 else { return nil }
        switch WinogradKernel.dispatch {
        case .fixed(let variant): return variant
        case .costModel, .f4Threshold: return .f2x3
        }
    }

    /// Adds dW of y = conv(x, w) into `gw` [Cout][Cin][3][3] given x [N, Cin, H, W] and dY [N, Cout, H, W].
    public static func gradWeight(
        x: UnsafePointer<Float>, gradOutput gy: UnsafePointer<Float>, gw: UnsafeMutablePointer<Float>,
        g: ConvGeometry, variant: WinogradKernel.Variant
    ) {
        precondition(WinogradKernel.supports(g), "Winograd dW for geometry \(g)")
        switch variant {
        case .f2x3: WeightGradientPass<F2>(x: x, gy: gy, g: g).run(into: gw, variant: variant)
        case .f4x3: WeightGradientPass<F4>(x: x, gy: gy, g: g).run(into: gw, variant: variant)
        }
    }
}

/// One dW on WinogradBackwardWeight. dU is made for chunks of output channels of at most `maxGradientBytes`: with
/// one chunk (up to 256 × 256 channels on F(2×2)), blocks of tile rows go round-robin over the workers, each adding
/// its blocks' point GEMMs into its own dU, summed at the end; with several, the chunks go round-robin over the
/// workers, each running every block for its chunk (the input transform once per chunk, instead of a Cout × Cin dU
/// per worker: 16 MiB each for 512 × 512), and writing its own rows of dW.
private struct WeightGradientPass<T: Transform>: WinogradTiling {
    let x: UnsafePointer<Float>
    let gy: UnsafePointer<Float>
    let g: ConvGeometry

    /// Largest dU chunk, in bytes.
    static var maxGradientBytes: Int { 4 << 20 }

    /// S[point][co − channels.lowerBound][t] of tile rows row0 ..< row0 + rows for co in `channels` (t as in
    /// `transformInput`; point p's rows at `s + p·channels.count·tiles`). `rowsBuf` holds `rows` tile rows, zero past
    /// column W; `inRows` m row pointers; `zeros` W zeros.
    func transformGradOutput(
        row0: Int, rows: Int, channels: Range<Int>, s: UnsafeMutablePointer<Float>,
        rowsBuf: UnsafeMutablePointer<Float>, inRows: UnsafeMutablePointer<UnsafePointer<Float>>,
        zeros: UnsafePointer<Float>
    ) {
        let (H, W, cout) = (g.height, g.width, g.outChannels)
        let tiles = rows * tilesX
        withTileOffsets(tiles) { offsets in
            for co in channels {
                for r in 0..<rows {
                    let (n, ty) = (row0 + r).quotientAndRemainder(dividingBy: tilesY)
                    let plane = gy + (n * cout + co) * H * W
                    for i in 0..<m {
                        let oy = ty * m + i
                        inRows[i] = oy < H ? plane + oy * W : zeros
                    }
                    // Columns 0 ..< W hold dY's x = 0 ..< W; the columns past W stay zero.
                    T.verticalToPoints(
                        .outputAdjoint, rows: inRows, out: rowsBuf + r * tileRowFloats, ld: rowWidth, count: W)
                }
                T.horizontalToPoints(
                    .outputAdjoint, rows: rowsBuf, ld: rowWidth, offsets: offsets, tiles: tiles,
                    out: s + (co - channels.lowerBound) * tiles, pointStride: channels.count * tiles)
            }
        }
    }

    /// A worker's buffers for blocks of `rowsPerBlock` tile rows and chunks of `chunkRows` output channels.
    struct Buffers {
        let v: Scratch
        let s: Scratch
        let input: WinogradInputScratch
        let gradRows: Scratch
        let zeros: UnsafePointer<Float>
        let inRows: UnsafeMutablePointer<UnsafePointer<Float>>

        init(_ pass: WeightGradientPass, rowsPerBlock: Int, chunkRows: Int) {
            let maxTiles = rowsPerBlock * pass.tilesX
            v = Scratch(pass.points * pass.g.inChannels * maxTiles)
            s = Scratch(pass.points * chunkRows * maxTiles)
            input = WinogradInputScratch(pass, tileRows: rowsPerBlock)
            let rowFloats = rowsPerBlock * pass.tileRowFloats
            gradRows = Scratch(rowFloats + pass.g.width)
            gradRows.pointer.update(repeating: 0, count: rowFloats + pass.g.width)
            zeros = UnsafePointer(gradRows.pointer + rowFloats)
            inRows = .allocate(capacity: pass.alpha)
            for i in 0..<pass.alpha { inRows[i] = zeros }
        }

        func release() {
            input.release()
            inRows.deallocate()
        }
    }

    /// Adds block `row0 ..< row0 + rows`'s point GEMMs for output channels `channels` into `du` (point stride
    /// channels.count · Cin).
    func accumulate(
        row0: Int, rows: Int, channels: Range<Int>, into du: UnsafeMutablePointer<Float>, buffers: Buffers
    ) {
        let cin = g.inChannels
        let (cc, tiles) = (channels.count, rows * tilesX)
        transformInput(row0: row0, rows: rows, channels: 0..<cin, v: buffers.v.pointer, scratch: buffers.input)
        transformGradOutput(
            row0: row0, rows: rows, channels: channels, s: buffers.s.pointer, rowsBuf: buffers.gradRows.pointer,
            inRows: buffers.inRows, zeros: buffers.zeros)
        for p in 0..<points {
            gemm(
                transB: true, m: cc, n: cin, k: tiles, a: buffers.s.pointer + p * cc * tiles, lda: tiles,
                b: buffers.v.pointer + p * cin * tiles, ldb: tiles, beta: 1, c: du + p * cc * cin, ldc: cin)
        }
    }

    func run(into gw: UnsafeMutablePointer<Float>, variant: WinogradKernel.Variant) {
        let (cin, cout) = (g.inChannels, g.outChannels)
        let totalRows = g.batch * tilesY
        guard totalRows > 0 && g.width > 0 else { return }
        let fullRows = max(16, Self.maxGradientBytes / (4 * points * cin) / 16 * 16)
        let chunkRows = min(cout, fullRows)
        let chunks = (cout + chunkRows - 1) / chunkRows
        let budgetTiles = max(
            WinogradKernel.minBlockTiles, WinogradBackwardWeight.blockBytes / (4 * points * (cin + chunkRows)))
        let matrix = variant.filterMatrix
        if chunks == 1 {
            let workers = max(1, min(Engine.threads, totalRows))
            let rowsPerBlock = max(1, min(budgetTiles / tilesX, (totalRows + workers - 1) / workers))
            let blocks = (totalRows + rowsPerBlock - 1) / rowsPerBlock
            let duCount = points * cout * cin
            let du = Scratch(duCount)
            du.pointer.update(repeating: 0, count: duCount)
            let active = min(workers, blocks)
            Engine.parallelPartialSums(active, count: duCount, into: du.pointer) { w, duLocal in
                let buffers = Buffers(self, rowsPerBlock: rowsPerBlock, chunkRows: cout)
                defer { buffers.release() }
                for b in stride(from: w, to: blocks, by: active) {
                    let row0 = b * rowsPerBlock
                    accumulate(
                        row0: row0, rows: min(rowsPerBlock, totalRows - row0), channels: 0..<cout, into: duLocal,
                        buffers: buffers)
                }
            }
            filterGradient(du: UnsafePointer(du.pointer), filters: 0..<(cout * cin), into: gw, matrix: matrix)
            return
        }
        let rowsPerBlock = max(1, min(budgetTiles / tilesX, totalRows))
        let workers = min(Engine.threads, chunks)
        Engine.parallelFor(workers) { w in
            let buffers = Buffers(self, rowsPerBlock: rowsPerBlock, chunkRows: chunkRows)
            defer { buffers.release() }
            let du = Scratch(points * chunkRows * cin)
            for c in stride(from: w, to: chunks, by: workers) {
                let channels = (c * chunkRows)..<min(cout, (c + 1) * chunkRows)
                du.pointer.update(repeating: 0, count: points * channels.count * cin)
                for row0 in stride(from: 0, to: totalRows, by: rowsPerBlock) {
                    accumulate(
                        row0: row0, rows: min(rowsPerBlock, totalRows - row0), channels: channels, into: du.pointer,
                        buffers: buffers)
                }
                filterGradient(
                    du: UnsafePointer(du.pointer), filters: (channels.lowerBound * cin)..<(channels.upperBound * cin),
                    into: gw, matrix: matrix)
            }
        }
    }

    /// gw[e·9 + a·3 + b] += Σᵢⱼ G[i][a] · dU[i·(m+2) + j][e − filters.lowerBound] · G[j][b] for the filters
    /// e = co·Cin + ci in `filters` (dU's point stride: filters.count).
    func filterGradient(
        du: UnsafePointer<Float>, filters: Range<Int>, into gw: UnsafeMutablePointer<Float>, matrix: [Float]
    ) {
        let a = alpha
        let stride = filters.count
        matrix.withUnsafeBufferPointer { G in
            Engine.parallelChunks(stride, minChunk: 4096) { range in
                withUnsafeTemporaryAllocation(of: Float.self, capacity: 3 * a) { rowTimesG in
                    let t = rowTimesG.baseAddress!
                    for e in range {
                        // t[i][b] = Σⱼ dU[i][j] · G[j][b]
                        for i in 0..<a {
                            var t0: Float = 0, t1: Float = 0, t2: Float = 0
                            for j in 0..<a {
                                let u = du[(i * a + j) * stride + e]
                                t0 += u * G[j * 3]
                                t1 += u * G[j * 3 + 1]
                                t2 += u * G[j * 3 + 2]
                            }
                            t[i * 3] = t0
                            t[i * 3 + 1] = t1
                            t[i * 3 + 2] = t2
                        }
                        let out = gw + (filters.lowerBound + e) * 9
                        for ka in 0..<3 {
                            for kb in 0..<3 {
                                var sum: Float = 0
                                for i in 0..<a { sum += G[i * 3 + ka] * t[i * 3 + kb] }
                                out[ka * 3 + kb] += sum
                            }
                        }
                    }
                }
            }
        }
    }
}

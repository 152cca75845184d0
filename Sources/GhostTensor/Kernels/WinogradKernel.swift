/// Winograd minimal filtering F(m×m, 3×3) for stride-1, padding-1 3×3 convolutions (one group): each m×m output
/// tile is Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d Bᵀᵀ) ] A over an (m+2)×(m+2) input tile d (Lavin & Gray, 2016), so the
/// multiplies per output pixel drop from 9 to (m+2)²/m² (F(2×2): 4, F(4×4): 2.25).
///
/// Per block of tiles: the input transform writes V[point][Cin][tiles], one sgemm per transform point
/// ((m+2)² calls, M = Cout, N = tiles, K = Cin) against the cached filter transform U[point][Cout][Cin] gives
/// M[point][Cout][tiles], and the output transform runs the conv's epilogue (BN scale/shift, residual, ReLU,
/// channel routing) on each finished output row while it is in cache. Both transforms are separable: a vertical
/// pass over whole rows (contiguous, vectorised) and a horizontal pass over tiles.
public enum WinogradKernel {
    /// The output tile size m of F(m×m, 3×3).
    public enum Variant: Sendable, CaseIterable {
        /// F(2×2, 3×3): 4×4 input tiles, 16 GEMMs; exact-ish transforms (coefficients 0, ±1, ½).
        case f2x3
        /// F(4×4, 3×3): 6×6 input tiles, 36 GEMMs; 2.25 multiplies per pixel, transforms with coefficients up to 8.
        case f4x3

        /// Output tile side m.
        public var tile: Int { self == .f2x3 ? 2 : 4 }
        /// Input tile side m + 2.
        public var alpha: Int { tile + 2 }
        /// The filter transform G, (m+2)×3 row-major (U = G g Gᵀ).
        var filterMatrix: [Float] {
            switch self {
            case .f2x3: [1, 0, 0, 0.5, 0.5, 0.5, 0.5, -0.5, 0.5, 0, 0, 1]
            case .f4x3:
                [
                    0.25, 0, 0, -1.0 / 6, -1.0 / 6, -1.0 / 6, -1.0 / 6, 1.0 / 6, -1.0 / 6,
                    1.0 / 24, 1.0 / 12, 1.0 / 6, 1.0 / 24, -1.0 / 12, 1.0 / 6, 0, 0, 1,
                ]
            }
        }
    }

    /// Bytes of a block's transformed input and GEMM output together (per worker).
    static let blockBytes = 1 << 20
    /// Fewest tiles a block is given when the map and the channels allow (keeps the GEMMs' N wide).
    static let minBlockTiles = 32

    /// Whether `g` can run here: one group, stride 1, a 3×3 kernel with padding 1.
    public static func supports(_ g: ConvGeometry) -> Bool {
        g.groups == 1 && g.kernelH == 3 && g.kernelW == 3 && g.strideH == 1 && g.strideW == 1
            && g.padH == 1 && g.padW == 1
    }

    /// Smallest map side the `f4Threshold` rule sends here. Measured on ResNet-18 at 224², batch 8, one width
    /// class at a time: F(4×4) gains on the 56², 28² and 14² maps, loses on 7² (+9 % run time: 2×2 tiles per image,
    /// so the 36 GEMMs are narrow and the filter transform is read for few pixels).
    public static let minMapSide = 14
    /// Fewest tiles per worker for the `f4Threshold` rule.
    public static let minTilesPerWorker = 16
    /// Fewest tiles in all for the `f4Threshold` rule: the filter transform made for every call costs about what
    /// 2–4 tiles' GEMMs do (ResNet-50 batch 1, one thread: 11 % slower with F(4×4) on its 16-tile 14² maps).
    public static let minTiles = 32

    /// How layers choose their path (`WinogradDispatch.costModel` unless a benchmark sets another). Set it
    /// between forwards, not during one.
    nonisolated(unsafe) public static var dispatch: WinogradDispatch = .costModel

    /// The variant the layer dispatch uses for `g` at `Engine.threads` workers, or nil where the im2col / tap
    /// GEMMs are used, by `dispatch`; never a variant for fewer than 16 channels in or out.
    public static func preferredVariant(for g: ConvGeometry) -> Variant? {
        guard supports(g), g.inChannels >= 16, g.outChannels >= 16 else { return nil }
        switch dispatch {
        case .costModel:
            return WinogradCostModel.cheapest(g, workers: Engine.threads)
        case .fixed(let variant):
            return variant
        case .f4Threshold:
            guard min(g.height, g.width) >= minMapSide else { return nil }
            let tiles = g.batch * ((g.height + 3) / 4) * ((g.width + 3) / 4)
            return tiles >= max(minTiles, minTilesPerWorker * Engine.threads) ? .f4x3 : nil
        }
    }

    /// Most blocks per worker for which each worker transforms the filters itself, in cache, once per block
    /// (`Filters`), rather than all of U being written out once: the in-cache transform costs about a tenth
    /// (`WinogradCostModel`: 4 against 40 per element). Measured on ResNet-50, 224², batch 8, one thread (Zen 4):
    /// at 2 its 14² layers (4 blocks of 32 tiles) re-read a 9 MiB U per block, 11 % of the forward; at 8 they take
    /// 26 % less time and the forward 4–5 % less.
    static let maxInCacheBlocks = 8

    /// Same contract as `Conv2DKernel.gemmForward` for a geometry `supports` accepts, with `filters` made from
    /// the conv's weight.
    static func forward(
        x: UnsafePointer<Float>, filters: Filters, y: UnsafeMutablePointer<Float>, g: ConvGeometry,
        epilogue: Epilogue, yChannels: Int? = nil, outputMap: UnsafePointer<Int>? = nil,
        residualBase: Int = 0
    ) {
        precondition(
            supports(g) && filters.inChannels == g.inChannels && filters.outChannels == g.outChannels,
            "Winograd filters \(filters.outChannels)×\(filters.inChannels) for geometry \(g)")
        switch filters.variant {
        case .f2x3:
            run(
                F2.self, x: x, filters: filters, y: y, g: g, epilogue: epilogue, yChannels: yChannels,
                outputMap: outputMap, residualBase: residualBase)
        case .f4x3:
            run(
                F4.self, x: x, filters: filters, y: y, g: g, epilogue: epilogue, yChannels: yChannels,
                outputMap: outputMap, residualBase: residualBase)
        }
    }

    private static func run<T: Transform>(
        _: T.Type, x: UnsafePointer<Float>, filters: Filters,
        y: UnsafeMutablePointer<Float>, g: ConvGeometry, epilogue: Epilogue,
        yChannels: Int?, outputMap: UnsafePointer<Int>?, residualBase: Int
    ) {
        let pass = Pass<T>(
            x: x, y: y, g: g, epilogue: epilogue, outputMap: outputMap, residualBase: residualBase,
            outImage: (yChannels ?? g.outChannels) * g.height * g.width)
        let split = WorkSplit(g, variant: T.m == 2 ? .f2x3 : .f4x3, workers: Engine.threads)
        // Few blocks per worker: the filters are transformed chunk by chunk in cache; else U once, shared.
        let u = split.inCache ? nil : filters.transformed()
        switch split.kind {
        case .tileRows: pass.splitByTileRows(split, filters: filters, u: u)
        case .outputChannels: pass.splitByOutputChannels(split, filters: filters, u: u)
        }
    }
}

/// The tile grid of one F(m×m, 3×3) convolution over `x` (geometry `g`): the sizes of the transforms' row buffers
/// and the input transform V, shared by the forward (`Pass`) and the weight gradient (`WinogradBackwardWeight`).
protocol WinogradTiling {
    associatedtype T: Transform
    var x: UnsafePointer<Float> { get }
    var g: ConvGeometry { get }
}

extension WinogradTiling {
    var m: Int { T.m }
    var alpha: Int { T.m + 2 }
    var points: Int { alpha * alpha }
    var tilesY: Int { (g.height + m - 1) / m }
    var tilesX: Int { (g.width + m - 1) / m }
    /// Floats per row of the transforms' row buffers.
    var rowWidth: Int { m * tilesX + 2 }
    /// Floats per tile row of the row buffers: α rows of `rowWidth`.
    var tileRowFloats: Int { alpha * rowWidth }

    /// Runs `body` with the row-buffer offset of each of `tiles` tiles (t = tile row · tilesX + tx: the tile row's
    /// α rows, then m·tx floats in).
    func withTileOffsets(_ tiles: Int, _ body: (UnsafePointer<Int>) -> Void) {
        withUnsafeTemporaryAllocation(of: Int.self, capacity: tiles) { offsets in
            for t in 0..<tiles { offsets[t] = t / tilesX * tileRowFloats + m * (t % tilesX) }
            body(UnsafePointer(offsets.baseAddress!))
        }
    }

    /// V[point][ci][t] of tile rows row0 ..< row0 + rows for ci in `channels`, t = (tile row − row0)·tilesX + tx;
    /// point p's rows at `v + p·cin·tiles` (tiles = rows·tilesX). `scratch` holds `rows` tile rows.
    func transformInput(
        row0: Int, rows: Int, channels: Range<Int>, v: UnsafeMutablePointer<Float>, scratch: WinogradInputScratch
    ) {
        let (H, W, cin) = (g.height, g.width, g.inChannels)
        let tiles = rows * tilesX
        withTileOffsets(tiles) { offsets in
            for ci in channels {
                for r in 0..<rows {
                    let (n, ty) = (row0 + r).quotientAndRemainder(dividingBy: tilesY)
                    let plane = x + (n * cin + ci) * H * W
                    for j in 0..<alpha {
                        let iy = ty * m - 1 + j
                        scratch.inRows[j] = iy >= 0 && iy < H ? plane + iy * W : UnsafePointer(scratch.zeros)
                    }
                    // Columns 1 ... W of each row hold x = 0 ..< W; column 0 and those past W stay zero.
                    T.verticalToPoints(
                        .input, rows: scratch.inRows, out: scratch.rows + r * tileRowFloats + 1, ld: rowWidth,
                        count: W)
                }
                // Horizontal pass over all the block's tiles at once, eight of any rows at a time.
                T.horizontalToPoints(
                    .input, rows: scratch.rows, ld: rowWidth, offsets: offsets, tiles: tiles, out: v + ci * tiles,
                    pointStride: cin * tiles)
            }
        }
    }
}

/// Per-worker buffers of the input transform: `rows` (`tileRows` tile rows of α rows of `rowWidth`, zero outside
/// columns 1 ... W between calls), `zeros` (W zeros) and α row pointers.
struct WinogradInputScratch {
    let buffer: Scratch?
    let rows: UnsafeMutablePointer<Float>
    let zeros: UnsafeMutablePointer<Float>
    let inRows: UnsafeMutablePointer<UnsafePointer<Float>>

    /// Floats `init` uses at `base`.
    static func floats(_ tiling: some WinogradTiling, tileRows: Int) -> Int {
        tileRows * tiling.tileRowFloats + tiling.g.width
    }

    init(_ tiling: some WinogradTiling, tileRows: Int, base: UnsafeMutablePointer<Float>? = nil) {
        let count = Self.floats(tiling, tileRows: tileRows)
        buffer = base == nil ? Scratch(count) : nil
        rows = base ?? buffer!.pointer
        zeros = rows + tileRows * tiling.tileRowFloats
        rows.update(repeating: 0, count: count)
        inRows = .allocate(capacity: tiling.alpha)
    }

    func release() { inRows.deallocate() }
}

/// One forward on WinogradKernel: the convolution's pointers and sizes, the transforms of a block's tiles, and the
/// two ways (`WinogradKernel.WorkSplit`) of spreading the blocks over the workers.
private struct Pass<T: Transform>: WinogradTiling {
    let x: UnsafePointer<Float>
    let y: UnsafeMutablePointer<Float>
    let g: ConvGeometry
    let epilogue: Epilogue
    let outputMap: UnsafePointer<Int>?
    let residualBase: Int
    /// Floats per image of `y`.
    let outImage: Int

    /// Output transform and epilogue of channels `channels` for tile rows row0 ..< row0 + rows, channel by channel;
    /// channel co's M row of point p is at `mBase + p·pointStride + (co − channels.lowerBound)·tiles`. `rowsBuf`
    /// (`rows` tile rows of α·rowWidth) and `outRows` (m·rowWidth) are the caller's scratch; `rowsBuf` is left
    /// dirty.
    func finish(
        row0: Int, rows: Int, channels: Range<Int>, mBase: UnsafePointer<Float>, pointStride: Int,
        rowsBuf: UnsafeMutablePointer<Float>, outRows: UnsafeMutablePointer<Float>
    ) {
        let (H, W, P) = (g.height, g.width, g.height * g.width)
        let tiles = rows * tilesX
        withTileOffsets(tiles) { offsets in
            for co in channels {
                // Horizontal pass over all the block's tiles at once (eight of any rows at a time), then each tile
                // row's vertical pass and epilogue.
                T.outputHorizontal(
                    m: mBase + (co - channels.lowerBound) * tiles, pointStride: pointStride, tiles: tiles,
                    offsets: offsets, rows: rowsBuf, ld: rowWidth)
                for r in 0..<rows {
                    let (n, ty) = (row0 + r).quotientAndRemainder(dividingBy: tilesY)
                    T.outputVertical(rows: rowsBuf + r * tileRowFloats, ld: rowWidth, out: outRows, count: W)
                    for i in 0..<min(m, H - ty * m) {
                        let offset = n * outImage + (outputMap?[co] ?? co) * P + (ty * m + i) * W
                        let residual = epilogue.residual.map { $0 + residualBase + offset }
                        epilogue.applyRow(
                            from: outRows + i * rowWidth, to: y + offset, count: W, channel: co, residual: residual)
                    }
                }
            }
        }
    }

    /// GEMMs, output transform and epilogue of output channels co0 ..< co0 + rows of a block of `tiles` tiles whose
    /// V is at `v`: from U's rows when `u` is given, else U's chunk transformed point by point into `uChunk` (in
    /// cache, right before its GEMM). M goes to `mm` (point stride rows·tiles).
    func multiplyAndFinish(
        co0: Int, rows chunk: Int, row0: Int, tileRows: Int, v: UnsafePointer<Float>, filters: WinogradKernel.Filters,
        u: UnsafePointer<Float>?, uChunk: UnsafeMutablePointer<Float>,
        chunkScratch: WinogradKernel.Filters.ChunkScratch?, mm: UnsafeMutablePointer<Float>,
        rowsBuf: UnsafeMutablePointer<Float>, outRows: UnsafeMutablePointer<Float>
    ) {
        let (cin, cout) = (g.inChannels, g.outChannels)
        let tiles = tileRows * tilesX
        if let u {
            for p in 0..<points {
                gemm(
                    m: chunk, n: tiles, k: cin, a: u + (p * cout + co0) * cin, lda: cin, b: v + p * cin * tiles,
                    ldb: tiles, c: mm + p * chunk * tiles, ldc: tiles)
            }
        } else {
            filters.transform(co0: co0, rows: chunk, scratch: chunkScratch!, into: uChunk, pointStride: 0) { p in
                gemm(
                    m: chunk, n: tiles, k: cin, a: uChunk, lda: cin, b: v + p * cin * tiles, ldb: tiles,
                    c: mm + p * chunk * tiles, ldc: tiles)
            }
        }
        finish(
            row0: row0, rows: tileRows, channels: co0..<(co0 + chunk), mBase: mm, pointStride: chunk * tiles,
            rowsBuf: rowsBuf, outRows: outRows)
    }

    /// Offsets of buffers of `sizes` floats laid out one after another in one scratch buffer (each starting on a
    /// 64-byte boundary), and the floats they take in all.
    static func packed(_ sizes: [Int]) -> (offsets: [Int], total: Int) {
        let offsets = sizes.indices.map { i in sizes[..<i].reduce(0) { $0 + ($1 + 15) / 16 * 16 } }
        return (offsets, offsets.last! + sizes.last!)
    }

    /// Blocks of tile rows round-robin over the workers, each running all output channels of its blocks.
    func splitByTileRows(_ split: WinogradKernel.WorkSplit, filters: WinogradKernel.Filters, u: UnsafePointer<Float>?) {
        let (cin, cout) = (g.inChannels, g.outChannels)
        let blocks = split.blocks
        let workers = min(Engine.threads, split.totalRows, blocks)
        let maxTiles = split.rowsPerBlock * tilesX
        let inCache = u == nil
        let chunkStride = inCache ? min(split.chunkRows, cout) : cout  // channels per point in M
        // One buffer per worker for all its scratch (one pool lookup; rounding its size up to share buffers between
        // layers raised the peak RSS instead).
        let sizes = [
            points * cin * maxTiles, points * chunkStride * maxTiles,
            WinogradInputScratch.floats(self, tileRows: split.rowsPerBlock), m * rowWidth,
            inCache ? chunkStride * cin : 0, inCache ? WinogradKernel.Filters.ChunkScratch.floats(for: filters) : 0,
        ]
        let (offsets, total) = Self.packed(sizes)
        Engine.parallelFor(workers) { w in
            let buffer = Scratch(total)
            let base = buffer.pointer
            let v = base + offsets[0]
            let mm = base + offsets[1]
            // Also the output transform's row buffer.
            let input = WinogradInputScratch(self, tileRows: split.rowsPerBlock, base: base + offsets[2])
            defer { input.release() }
            let outRows = base + offsets[3]
            let uChunk = base + offsets[4]
            let chunkScratch = inCache ? WinogradKernel.Filters.ChunkScratch(filters, base: base + offsets[5]) : nil
            var b = w
            while b < blocks {
                let row0 = b * split.rowsPerBlock
                let rows = min(split.rowsPerBlock, split.totalRows - row0)
                b += workers
                transformInput(row0: row0, rows: rows, channels: 0..<cin, v: v, scratch: input)
                let step = inCache ? split.chunkRows : cout
                for co0 in stride(from: 0, to: cout, by: step) {
                    multiplyAndFinish(
                        co0: co0, rows: min(step, cout - co0), row0: row0, tileRows: rows, v: v, filters: filters,
                        u: u, uChunk: uChunk, chunkScratch: chunkScratch, mm: mm, rowsBuf: input.rows,
                        outRows: outRows)
                }
                // The next input transform expects zero columns outside 1 ... W again.
                input.rows.update(repeating: 0, count: rows * tileRowFloats)
            }
        }
    }

    /// Blocks one after another: each block's input transform spread over the workers by input channels into one
    /// shared V, then its output-channel chunks round-robin over the workers.
    func splitByOutputChannels(
        _ split: WinogradKernel.WorkSplit, filters: WinogradKernel.Filters, u: UnsafePointer<Float>?
    ) {
        let (cin, cout) = (g.inChannels, g.outChannels)
        let chunks = split.chunks
        let workers = min(Engine.threads, chunks)
        let maxTiles = split.blockTiles
        let chunkRows = min(split.chunkRows, cout)
        let inCache = u == nil
        let vBuffer = Scratch(points * cin * maxTiles)
        let v = vBuffer.pointer
        let sizes = [
            points * chunkRows * maxTiles, split.rowsPerBlock * tileRowFloats, m * rowWidth,
            inCache ? chunkRows * cin : 0,
            inCache ? WinogradKernel.Filters.ChunkScratch.floats(for: filters) : 0,
        ]
        let (offsets, total) = Self.packed(sizes)
        for row0 in stride(from: 0, to: split.totalRows, by: split.rowsPerBlock) {
            let rows = min(split.rowsPerBlock, split.totalRows - row0)
            Engine.parallelChunks(cin) { channels in
                let input = WinogradInputScratch(self, tileRows: rows)
                defer { input.release() }
                transformInput(row0: row0, rows: rows, channels: channels, v: v, scratch: input)
            }
            Engine.parallelFor(workers) { w in
                let buffer = Scratch(total)
                let base = buffer.pointer
                let chunkScratch =
                    inCache ? WinogradKernel.Filters.ChunkScratch(filters, base: base + offsets[4]) : nil
                var c = w
                while c < chunks {
                    let co0 = c * split.chunkRows
                    c += workers
                    multiplyAndFinish(
                        co0: co0, rows: min(split.chunkRows, cout - co0), row0: row0, tileRows: rows,
                        v: UnsafePointer(v), filters: filters, u: u, uChunk: base + offsets[3],
                        chunkScratch: chunkScratch, mm: base + offsets[0], rowsBuf: base + offsets[1],
                        outRows: base + offsets[2])
                }
            }
        }
    }
}

/// What the 1-D transforms compute on: one tile's value (Float) or eight tiles' values at once (SIMD8<Float>),
/// with the same operations in the same order, so both give the same bits.
protocol Lane {
    static func + (lhs: Self, rhs: Self) -> Self
    static func - (lhs: Self, rhs: Self) -> Self
    static func * (lhs: Float, rhs: Self) -> Self
    static prefix func - (operand: Self) -> Self
}

extension Float: Lane {}
extension SIMD8: Lane where Scalar == Float {}

/// One F(m×m, 3×3) variant as its two 1-D transforms over m + 2 values; `Transform`'s extension applies them to whole
/// rows (vertical passes) or runs of tiles (horizontal passes), so each variant states its matrices once.
/// Which transform `Transform.verticalToPoints` / `horizontalToPoints` apply.
enum PointTransform {
    case input
    case outputAdjoint
}

protocol Transform {
    /// Output tile side.
    static var m: Int { get }
    /// out(k, Σⱼ Bᵀ[k][j] · d(j)) for k, j < m + 2.
    static func input<V: Lane>(_ d: (Int) -> V, _ out: (Int, V) -> Void)
    /// out(i, Σₗ Aᵀ[i][l] · s(l)) for i < m, l < m + 2.
    static func output<V: Lane>(_ s: (Int) -> V, _ out: (Int, V) -> Void)
    /// The output transform's adjoint (backpropagation through it): out(l, Σᵢ Aᵀ[i][l] · s(i)) for l < m + 2, i < m.
    static func outputAdjoint<V: Lane>(_ s: (Int) -> V, _ out: (Int, V) -> Void)
}

extension Transform {
    /// The transform `verticalToPoints` and `horizontalToPoints` run: the input transform Bᵀ (m + 2 values in) or
    /// the output transform's adjoint (m values in, for the weight gradient's S = A dY Aᵀ); m + 2 values out.
    @inline(__always)
    static func apply<V: Lane>(_ kind: PointTransform, _ d: (Int) -> V, _ out: (Int, V) -> Void) {
        switch kind {
        case .input: input(d, out)
        case .outputAdjoint: outputAdjoint(d, out)
        }
    }

    /// out[k·ld + x] = Σⱼ T[k][j] · rows[j][x] for x < count, k < m + 2 (T: Bᵀ over m + 2 rows, or Aᵀ's transpose
    /// over m rows).
    @inline(__always)
    static func verticalToPoints(
        _ kind: PointTransform, rows: UnsafePointer<UnsafePointer<Float>>, out: UnsafeMutablePointer<Float>, ld: Int,
        count: Int
    ) {
        let d = SixRows(rows, count: kind == .input ? m + 2 : m)
        for x in 0..<count { apply(kind, { d[$0][x] }, { k, v in out[k * ld + x] = v }) }
    }

    /// out[(k·(m+2) + l)·pointStride + t] = Σⱼ T[l][j] · rows[offsets[t] + k·ld + j] for t < tiles (T as in
    /// `verticalToPoints`): eight tiles at a time, each read where `offsets` puts it (tiles of several tile rows of a
    /// narrow map).
    @inline(__always)
    static func horizontalToPoints(
        _ kind: PointTransform, rows: UnsafePointer<Float>, ld: Int, offsets: UnsafePointer<Int>, tiles: Int,
        out: UnsafeMutablePointer<Float>, pointStride: Int
    ) {
        let a = m + 2
        for k in 0..<a {
            let r = rows + k * ld
            let ok = out + a * k * pointStride
            var t = 0
            while t + 8 <= tiles {
                let p = EightTiles(r, offsets + t)
                apply(kind, { p.values($0) }, { l, value in
                    UnsafeMutableRawPointer(ok + l * pointStride + t).storeBytes(of: value, as: SIMD8<Float>.self)
                })
                t += 8
            }
            while t < tiles {
                let d = r + offsets[t]
                apply(kind, { d[$0] }, { l, value in ok[l * pointStride + t] = value })
                t += 1
            }
        }
    }

    /// rows[offsets[t] + k·ld + i] = Σₗ Aᵀ[i][l] · m[(k·(m+2) + l)·pointStride + t] for t < tiles, eight tiles at
    /// a time.
    @inline(__always)
    static func outputHorizontal(
        m mm: UnsafePointer<Float>, pointStride: Int, tiles: Int, offsets: UnsafePointer<Int>,
        rows: UnsafeMutablePointer<Float>, ld: Int
    ) {
        let a = m + 2
        for k in 0..<a {
            let mk = mm + a * k * pointStride
            let r = rows + k * ld
            var t = 0
            while t + 8 <= tiles {
                let p = EightTiles(UnsafePointer(r), offsets + t)
                output({ UnsafeRawPointer(mk + $0 * pointStride + t).loadUnaligned(as: SIMD8<Float>.self) }, {
                    i, value in p.store(value, at: i)
                })
                t += 8
            }
            while t < tiles {
                let d = r + offsets[t]
                output({ mk[$0 * pointStride + t] }, { i, value in d[i] = value })
                t += 1
            }
        }
    }

    /// out[i·ld + x] = Σₖ Aᵀ[i][k] · rows[k·ld + x] for x < count.
    @inline(__always)
    static func outputVertical(rows: UnsafePointer<Float>, ld: Int, out: UnsafeMutablePointer<Float>, count: Int) {
        for x in 0..<count { output({ rows[$0 * ld + x] }, { i, value in out[i * ld + x] = value }) }
    }
}

/// Eight tiles' pointers into a row buffer, held in locals: value j of each as one vector, or one vector's lanes
/// stored as value i of each.
struct EightTiles {
    let p0, p1, p2, p3, p4, p5, p6, p7: UnsafePointer<Float>

    @inline(__always)
    init(_ row: UnsafePointer<Float>, _ offsets: UnsafePointer<Int>) {
        p0 = row + offsets[0]
        p1 = row + offsets[1]
        p2 = row + offsets[2]
        p3 = row + offsets[3]
        p4 = row + offsets[4]
        p5 = row + offsets[5]
        p6 = row + offsets[6]
        p7 = row + offsets[7]
    }

    /// (p0[j], p1[j], …, p7[j]).
    @inline(__always)
    func values(_ j: Int) -> SIMD8<Float> { SIMD8(p0[j], p1[j], p2[j], p3[j], p4[j], p5[j], p6[j], p7[j]) }

    /// p_q[i] = value[q] for q < 8.
    @inline(__always)
    func store(_ value: SIMD8<Float>, at i: Int) {
        UnsafeMutablePointer(mutating: p0)[i] = value[0]
        UnsafeMutablePointer(mutating: p1)[i] = value[1]
        UnsafeMutablePointer(mutating: p2)[i] = value[2]
        UnsafeMutablePointer(mutating: p3)[i] = value[3]
        UnsafeMutablePointer(mutating: p4)[i] = value[4]
        UnsafeMutablePointer(mutating: p5)[i] = value[5]
        UnsafeMutablePointer(mutating: p6)[i] = value[6]
        UnsafeMutablePointer(mutating: p7)[i] = value[7]
    }
}

/// Up to six row pointers held in locals (read once, before the loop that uses them).
struct SixRows {
    let r0, r1, r2, r3, r4, r5: UnsafePointer<Float>

    @inline(__always)
    init(_ rows: UnsafePointer<UnsafePointer<Float>>, count: Int) {
        r0 = rows[0]
        r1 = rows[1]
        // Rows past `count` repeat the last one (never read). Conditionals, not `min`: the generic `min` was left
        // as a call, once per row pass.
        r2 = rows[count > 2 ? 2 : count - 1]
        r3 = rows[count > 3 ? 3 : count - 1]
        r4 = rows[count > 4 ? 4 : count - 1]
        r5 = rows[count > 5 ? 5 : count - 1]
    }

    @inline(__always)
    subscript(_ j: Int) -> UnsafePointer<Float> {
        switch j {
        case 0: r0
        case 1: r1
        case 2: r2
        case 3: r3
        case 4: r4
        default: r5
        }
    }
}

/// F(2×2, 3×3): Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1], Aᵀ = [1 1 1 0; 0 1 −1 −1].
enum F2: Transform {
    static var m: Int { 2 }

    @inline(__always)
    static func input<V: Lane>(_ d: (Int) -> V, _ out: (Int, V) -> Void) {
        let d0 = d(0), d1 = d(1), d2 = d(2), d3 = d(3)
        out(0, d0 - d2)
        out(1, d1 + d2)
        out(2, d2 - d1)
        out(3, d1 - d3)
    }

    @inline(__always)
    static func output<V: Lane>(_ s: (Int) -> V, _ out: (Int, V) -> Void) {
        let s0 = s(0), s1 = s(1), s2 = s(2), s3 = s(3)
        out(0, s0 + s1 + s2)
        out(1, s1 - s2 - s3)
    }

    @inline(__always)
    static func outputAdjoint<V: Lane>(_ s: (Int) -> V, _ out: (Int, V) -> Void) {
        let s0 = s(0), s1 = s(1)
        out(0, s0)
        out(1, s0 + s1)
        out(2, s0 - s1)
        out(3, -s1)
    }
}

/// F(4×4, 3×3) with the interpolation points 0, ±1, ±2, ∞:
/// Bᵀ = [4 0 −5 0 1 0; 0 −4 −4 1 1 0; 0 4 −4 −1 1 0; 0 −2 −1 2 1 0; 0 2 −1 −2 1 0; 0 4 0 −5 0 1],
/// Aᵀ = [1 1 1 1 1 0; 0 1 −1 2 −2 0; 0 1 1 4 4 0; 0 1 −1 8 −8 1].
enum F4: Transform {
    static var m: Int { 4 }

    @inline(__always)
    static func input<V: Lane>(_ d: (Int) -> V, _ out: (Int, V) -> Void) {
        let d0 = d(0), d1 = d(1), d2 = d(2), d3 = d(3), d4 = d(4), d5 = d(5)
        let a = d4 - 4 * d2
        let b = d3 - 4 * d1
        let c = d4 - d2
        let e = 2 * (d3 - d1)
        out(0, 4 * d0 - 5 * d2 + d4)
        out(1, a + b)
        out(2, a - b)
        out(3, c + e)
        out(4, c - e)
        out(5, 4 * d1 - 5 * d3 + d5)
    }

    @inline(__always)
    static func output<V: Lane>(_ s: (Int) -> V, _ out: (Int, V) -> Void) {
        let s0 = s(0), s1 = s(1), s2 = s(2), s3 = s(3), s4 = s(4), s5 = s(5)
        let p = s1 + s2
        let q = s1 - s2
        let t = s3 + s4
        let d = s3 - s4
        out(0, s0 + p + t)
        out(1, q + 2 * d)
        out(2, p + 4 * t)
        out(3, q + 8 * d + s5)
    }

    @inline(__always)
    static func outputAdjoint<V: Lane>(_ s: (Int) -> V, _ out: (Int, V) -> Void) {
        let s0 = s(0), s1 = s(1), s2 = s(2), s3 = s(3)
        let even = s0 + s2
        let odd = s1 + s3
        let even4 = s0 + 4 * s2
        let odd8 = 2 * s1 + 8 * s3
        out(0, s0)
        out(1, even + odd)
        out(2, even - odd)
        out(3, even4 + odd8)
        out(4, even4 - odd8)
        out(5, s3)
    }
}

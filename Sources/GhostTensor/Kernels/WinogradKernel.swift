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
    /// (`Filters`), rather than all of U being written out once: the in-cache transform costs about a tenth.
    static let maxInCacheBlocks = 2

    /// Whether `run` transforms the filters in cache, per worker and block, for `g` at `workers` workers.
    static func transformsInCache(_ g: ConvGeometry, variant: Variant, workers: Int) -> Bool {
        let layout = blockLayout(g, variant: variant, workers: workers)
        let blocks = (layout.totalRows + layout.rowsPerBlock - 1) / layout.rowsPerBlock
        let w = max(1, min(workers, layout.totalRows))
        return (blocks + w - 1) / w <= maxInCacheBlocks
    }

    /// Tiles per block (the width of its GEMMs) for `g` at `workers` workers.
    static func blockTiles(_ g: ConvGeometry, variant: Variant, workers: Int) -> Int {
        let layout = blockLayout(g, variant: variant, workers: workers)
        return min(layout.rowsPerBlock, layout.totalRows) * ((g.width + variant.tile - 1) / variant.tile)
    }

    /// Blocks of tile rows `run` splits `g` into at `workers` workers (each packs the filters once per GEMM).
    static func blockCount(_ g: ConvGeometry, variant: Variant, workers: Int) -> Int {
        let layout = blockLayout(g, variant: variant, workers: workers)
        return (layout.totalRows + layout.rowsPerBlock - 1) / layout.rowsPerBlock
    }

    /// Tile rows over the batch, and rows per block: at least one block per worker, each at most `blockBytes` of
    /// V and M (but `minBlockTiles` tiles where the map allows).
    private static func blockLayout(
        _ g: ConvGeometry, variant: Variant, workers: Int
    ) -> (totalRows: Int, rowsPerBlock: Int) {
        let m = variant.tile
        let points = variant.alpha * variant.alpha
        let tilesX = (g.width + m - 1) / m
        let totalRows = g.batch * ((g.height + m - 1) / m)
        let w = max(1, min(workers, totalRows))
        let budgetTiles = max(minBlockTiles, blockBytes / (4 * points * (g.inChannels + g.outChannels)))
        return (totalRows, max(1, min(max(1, budgetTiles / tilesX), (totalRows + w - 1) / w)))
    }

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
        let m = T.m
        let a = m + 2
        let points = a * a
        let H = g.height
        let W = g.width
        let P = H * W
        let cin = g.inChannels
        let cout = g.outChannels
        let tilesY = (H + m - 1) / m
        let tilesX = (W + m - 1) / m
        let rowWidth = m * tilesX + 2
        let outImage = (yChannels ?? cout) * P
        // Work: blocks of consecutive tile rows (n, ty) over the whole batch, at least one per worker.
        let (totalRows, rowsPerBlock) = blockLayout(g, variant: m == 2 ? .f2x3 : .f4x3, workers: Engine.threads)
        let workers = min(Engine.threads, totalRows)
        let blocks = (totalRows + rowsPerBlock - 1) / rowsPerBlock
        let maxTiles = rowsPerBlock * tilesX
        // Few blocks per worker: each worker transforms the filters chunk by chunk in cache; else U once, shared.
        let inCache = (blocks + workers - 1) / workers <= maxInCacheBlocks
        let u = inCache ? nil : filters.transformed()
        let chunkRows = Filters.chunkRows(inChannels: cin)
        let chunkStride = min(chunkRows, cout)  // channels per point in M when transforming in cache
        // One buffer per worker for all its scratch (one pool lookup; rounding its size up to share buffers between
        // layers raised the peak RSS instead).
        let sizes = [
            points * cin * maxTiles, points * (inCache ? chunkStride : cout) * maxTiles, a * rowWidth, m * rowWidth,
            W,
            inCache ? chunkRows * cin : 0, inCache ? Filters.ChunkScratch.floats(for: filters) : 0,
        ]
        let offsets = sizes.indices.map { i in sizes[..<i].reduce(0) { $0 + ($1 + 15) / 16 * 16 } }
        let total = offsets.last! + sizes.last!
        Engine.parallelFor(min(workers, blocks)) { w in
            let buffer = Scratch(total)
            let base = buffer.pointer
            let v = base + offsets[0]
            let mm = base + offsets[1]
            let rowsBuf = base + offsets[2]  // vertical pass of the input / horizontal pass of the output
            let outRows = base + offsets[3]
            let zeros = base + offsets[4]
            let uChunk = base + offsets[5]
            let chunkScratch = inCache ? Filters.ChunkScratch(filters, base: base + offsets[6]) : nil
            zeros.update(repeating: 0, count: W)
            rowsBuf.update(repeating: 0, count: a * rowWidth)
            let inRows = UnsafeMutablePointer<UnsafePointer<Float>>.allocate(capacity: a)
            defer { inRows.deallocate() }
            var b = w
            while b < blocks {
                let row0 = b * rowsPerBlock
                let rows = min(rowsPerBlock, totalRows - row0)
                let tiles = rows * tilesX
                b += workers
                // Input transform: V[point][ci][t], t = (tile row − row0)·tilesX + tx.
                for r in 0..<rows {
                    let (n, ty) = (row0 + r).quotientAndRemainder(dividingBy: tilesY)
                    for ci in 0..<cin {
                        let plane = x + (n * cin + ci) * P
                        for j in 0..<a {
                            let iy = ty * m - 1 + j
                            inRows[j] = iy >= 0 && iy < H ? plane + iy * W : UnsafePointer(zeros)
                        }
                        // Columns 1 ... W of each row hold x = 0 ..< W; column 0 and those past W stay zero.
                        T.inputVertical(rows: inRows, out: rowsBuf + 1, ld: rowWidth, count: W)
                        T.inputHorizontal(
                            rows: rowsBuf, ld: rowWidth, tiles: tilesX,
                            v: v + ci * tiles + r * tilesX, pointStride: cin * tiles)
                    }
                }
                // Output transform and epilogue of channels `channels`, row by row; channel co's M row of point p
                // is at `mBase + p·pointStride + (co − channels.lowerBound)·tiles`.
                func finish(_ channels: Range<Int>, mBase: UnsafePointer<Float>, pointStride: Int) {
                    for r in 0..<rows {
                        let (n, ty) = (row0 + r).quotientAndRemainder(dividingBy: tilesY)
                        let valid = min(m, H - ty * m)
                        for co in channels {
                            T.outputHorizontal(
                                m: mBase + (co - channels.lowerBound) * tiles + r * tilesX, pointStride: pointStride,
                                tiles: tilesX, rows: rowsBuf, ld: rowWidth)
                            T.outputVertical(rows: rowsBuf, ld: rowWidth, out: outRows, count: W)
                            for i in 0..<valid {
                                let offset = n * outImage + (outputMap?[co] ?? co) * P + (ty * m + i) * W
                                let residual = epilogue.residual.map { $0 + residualBase + offset }
                                epilogue.applyRow(
                                    from: outRows + i * rowWidth, to: y + offset, count: W,
                                    channel: co, residual: residual)
                            }
                        }
                    }
                }
                if let u {
                    for p in 0..<points {
                        gemm(
                            m: cout, n: tiles, k: cin, a: u + p * cout * cin, lda: cin,
                            b: v + p * cin * tiles, ldb: tiles, c: mm + p * cout * tiles, ldc: tiles)
                    }
                    finish(0..<cout, mBase: mm, pointStride: cout * tiles)
                } else {
                    // Chunk by chunk: U's chunk made point by point in cache, M only for the chunk's channels.
                    for co0 in stride(from: 0, to: cout, by: chunkRows) {
                        let chunk = min(chunkRows, cout - co0)
                        filters.transform(
                            co0: co0, rows: chunk, scratch: chunkScratch!, into: uChunk, pointStride: 0
                        ) { p in
                            gemm(
                                m: chunk, n: tiles, k: cin, a: uChunk, lda: cin, b: v + p * cin * tiles,
                                ldb: tiles, c: mm + p * chunkStride * tiles, ldc: tiles)
                        }
                        finish(co0..<(co0 + chunk), mBase: mm, pointStride: chunkStride * tiles)
                    }
                }
                // The next input transform expects zero columns outside 1 ... W again.
                for k in 0..<a { (rowsBuf + k * rowWidth).update(repeating: 0, count: rowWidth) }
            }
        }
    }
}

/// What the 1-D transforms compute on: one tile's value (Float) or eight tiles' values at once (SIMD8<Float>),
/// with the same operations in the same order, so both give the same bits.
private protocol Lane {
    static func + (lhs: Self, rhs: Self) -> Self
    static func - (lhs: Self, rhs: Self) -> Self
    static func * (lhs: Float, rhs: Self) -> Self
}

extension Float: Lane {}
extension SIMD8: Lane where Scalar == Float {}

/// One F(m×m, 3×3) variant as its two 1-D transforms over m + 2 values; `Transform`'s extension applies them to whole
/// rows (vertical passes) or runs of tiles (horizontal passes), so each variant states its matrices once.
private protocol Transform {
    /// Output tile side.
    static var m: Int { get }
    /// out(k, Σⱼ Bᵀ[k][j] · d(j)) for k, j < m + 2.
    static func input<V: Lane>(_ d: (Int) -> V, _ out: (Int, V) -> Void)
    /// out(i, Σₗ Aᵀ[i][l] · s(l)) for i < m, l < m + 2.
    static func output<V: Lane>(_ s: (Int) -> V, _ out: (Int, V) -> Void)
    /// Value j of eight tiles that start m floats apart at `p` (p[m·i + j], i < 8), read with two vector loads
    /// at most and shuffled; reads no further than the inputs of a ninth tile (p[8·m + m + 1]).
    static func lanes(_ p: UnsafePointer<Float>, _ j: Int) -> SIMD8<Float>
}

extension Transform {
    /// out[k·ld + x] = Σⱼ Bᵀ[k][j] · rows[j][x] for x < count (k, j < m + 2).
    @inline(__always)
    static func inputVertical(
        rows: UnsafePointer<UnsafePointer<Float>>, out: UnsafeMutablePointer<Float>, ld: Int, count: Int
    ) {
        let d = SixRows(rows, count: m + 2)
        for x in 0..<count { input({ d[$0][x] }, { k, v in out[k * ld + x] = v }) }
    }

    /// v[(k·(m+2) + l)·pointStride + tx] = Σⱼ Bᵀ[l][j] · rows[k·ld + m·tx + j].
    @inline(__always)
    static func inputHorizontal(
        rows: UnsafePointer<Float>, ld: Int, tiles: Int, v: UnsafeMutablePointer<Float>, pointStride: Int
    ) {
        let a = m + 2
        for k in 0..<a {
            let r = rows + k * ld
            let vk = v + a * k * pointStride
            var t = 0
            // Eight tiles at a time while a ninth follows (`lanes` may read into it; the row ends with m + 2 more).
            while t + 9 <= tiles {
                let d = r + m * t
                input({ lanes(d, $0) }, { l, value in
                    UnsafeMutableRawPointer(vk + l * pointStride + t).storeBytes(of: value, as: SIMD8<Float>.self)
                })
                t += 8
            }
            while t < tiles {
                let d = r + m * t
                input({ d[$0] }, { l, value in vk[l * pointStride + t] = value })
                t += 1
            }
        }
    }

    /// rows[k·ld + m·tx + i] = Σₗ Aᵀ[i][l] · m[(k·(m+2) + l)·pointStride + tx].
    @inline(__always)
    static func outputHorizontal(
        m mm: UnsafePointer<Float>, pointStride: Int, tiles: Int, rows: UnsafeMutablePointer<Float>, ld: Int
    ) {
        let a = m + 2
        for k in 0..<a {
            let mk = mm + a * k * pointStride
            let r = rows + k * ld
            for t in 0..<tiles { output({ mk[$0 * pointStride + t] }, { i, value in r[m * t + i] = value }) }
        }
    }

    /// out[i·ld + x] = Σₖ Aᵀ[i][k] · rows[k·ld + x] for x < count.
    @inline(__always)
    static func outputVertical(rows: UnsafePointer<Float>, ld: Int, out: UnsafeMutablePointer<Float>, count: Int) {
        for x in 0..<count { output({ rows[$0 * ld + x] }, { i, value in out[i * ld + x] = value }) }
    }
}

/// Up to six row pointers held in locals (read once, before the loop that uses them).
private struct SixRows {
    let r0, r1, r2, r3, r4, r5: UnsafePointer<Float>

    @inline(__always)
    init(_ rows: UnsafePointer<UnsafePointer<Float>>, count: Int) {
        r0 = rows[0]
        r1 = rows[1]
        r2 = rows[2]
        r3 = rows[3]
        r4 = rows[min(4, count - 1)]
        r5 = rows[min(5, count - 1)]
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
private enum F2: Transform {
    static var m: Int { 2 }

    @inline(__always)
    static func lanes(_ p: UnsafePointer<Float>, _ j: Int) -> SIMD8<Float> {
        let x = UnsafeRawPointer(p + (j & ~1)).loadUnaligned(as: SIMD16<Float>.self)
        return j & 1 == 0 ? x.evenHalf : x.oddHalf
    }

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
}

/// F(4×4, 3×3) with the interpolation points 0, ±1, ±2, ∞:
/// Bᵀ = [4 0 −5 0 1 0; 0 −4 −4 1 1 0; 0 4 −4 −1 1 0; 0 −2 −1 2 1 0; 0 2 −1 −2 1 0; 0 4 0 −5 0 1],
/// Aᵀ = [1 1 1 1 1 0; 0 1 −1 2 −2 0; 0 1 1 4 4 0; 0 1 −1 8 −8 1].
private enum F4: Transform {
    static var m: Int { 4 }

    @inline(__always)
    static func lanes(_ p: UnsafePointer<Float>, _ j: Int) -> SIMD8<Float> {
        let x = UnsafeRawPointer(p + (j & ~3)).loadUnaligned(as: SIMD32<Float>.self)
        switch j & 3 {
        case 0: return x.evenHalf.evenHalf
        case 1: return x.oddHalf.evenHalf
        case 2: return x.evenHalf.oddHalf
        default: return x.oddHalf.oddHalf
        }
    }

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
}

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

    /// Smallest map side the dispatch sends here. Measured on ResNet-18 at 224², batch 8, one width class at a
    /// time: F(4×4) gains on the 56², 28² and 14² maps, loses on 7² (+9 % run time: 2×2 tiles per image, so the
    /// 36 GEMMs are narrow and the filter transform is read for few pixels); F(2×2) was slower than the tap
    /// GEMMs on the whole model.
    public static let minMapSide = 14
    /// Fewest tiles per worker for the dispatch (narrower GEMMs than this lose to im2col / tap GEMMs).
    public static let minTilesPerWorker = 16
    /// Fewest tiles in all: the filter transform made for every call costs about what 2–4 tiles' GEMMs do, so on
    /// fewer tiles (batch 1 on 14² maps) the tap GEMMs win (ResNet-50 batch 1, one thread: 11 % slower with it).
    public static let minTiles = 32

    /// The variant the layer dispatch uses for `g` at `Engine.threads` workers, or nil where the im2col / tap
    /// GEMMs are faster: F(4×4, 3×3) on maps of at least `minMapSide` pixels a side with at least
    /// `minTilesPerWorker` tiles per worker (and `minTiles` in all) and 16 channels in and out.
    public static func preferredVariant(for g: ConvGeometry) -> Variant? {
        guard supports(g), g.inChannels >= 16, g.outChannels >= 16, min(g.height, g.width) >= minMapSide else {
            return nil
        }
        let tiles = g.batch * ((g.height + 3) / 4) * ((g.width + 3) / 4)
        return tiles >= max(minTiles, minTilesPerWorker * Engine.threads) ? .f4x3 : nil
    }

    /// Filters transformed for one variant: U[point][Cout][Cin] = (G g Gᵀ)[point] for every (co, ci).
    /// Layers make them afresh for every forward (4× the weight's size, (m+2)²/9: holding them per layer raised
    /// ResNet-50's peak RSS by a quarter); the transform runs over output channels on the workers, each row of
    /// input channels a vectorised pass, and costs (m+2)²·Cin·Cout stores against the GEMMs' (m+2)²·Cin·Cout·tiles
    /// multiply-adds.
    public final class Filters: @unchecked Sendable {
        public let variant: Variant
        public let outChannels: Int
        public let inChannels: Int
        let u: Scratch

        /// Transforms `weight` [Cout, Cin, 3, 3].
        public init(_ weight: Tensor, variant: Variant) {
            precondition(weight.rank == 4 && weight.shape[2] == 3 && weight.shape[3] == 3, "Winograd needs 3×3 weights")
            self.variant = variant
            outChannels = weight.shape[0]
            inChannels = weight.shape[1]
            let a = variant.alpha
            let cout = outChannels
            let cin = inChannels
            u = Scratch(a * a * cout * cin)
            let G: [Float] =
                variant == .f2x3
                ? [1, 0, 0, 0.5, 0.5, 0.5, 0.5, -0.5, 0.5, 0, 0, 1]
                : [
                    0.25, 0, 0, -1.0 / 6, -1.0 / 6, -1.0 / 6, -1.0 / 6, 1.0 / 6, -1.0 / 6,
                    1.0 / 24, 1.0 / 12, 1.0 / 6, 1.0 / 24, -1.0 / 12, 1.0 / 6, 0, 0, 1,
                ]
            let wp = weight.pointer
            let up = u.pointer
            let workers = min(Engine.threads, max(1, cout / 8))
            G.withUnsafeBufferPointer { G in
                Engine.parallelFor(workers) { w in
                    // f[k][ci]: tap k of every input channel; gg[i·3 + j][ci] = (G · f)[i][j].
                    let f = Scratch(9 * cin)
                    let gg = Scratch(a * 3 * cin)
                    var co = w
                    while co < cout {
                        let src = wp + co * cin * 9
                        for ci in 0..<cin { for k in 0..<9 { f.pointer[k * cin + ci] = src[ci * 9 + k] } }
                        for i in 0..<a {
                            let g0 = G[i * 3]
                            let g1 = G[i * 3 + 1]
                            let g2 = G[i * 3 + 2]
                            for j in 0..<3 {
                                let r0 = f.pointer + j * cin
                                let r1 = r0 + 3 * cin
                                let r2 = r0 + 6 * cin
                                let o = gg.pointer + (i * 3 + j) * cin
                                for ci in 0..<cin { o[ci] = g0 * r0[ci] + g1 * r1[ci] + g2 * r2[ci] }
                            }
                        }
                        for i in 0..<a {
                            let s0 = gg.pointer + i * 3 * cin
                            let s1 = s0 + cin
                            let s2 = s1 + cin
                            for j in 0..<a {
                                let h0 = G[j * 3]
                                let h1 = G[j * 3 + 1]
                                let h2 = G[j * 3 + 2]
                                let o = up + ((i * a + j) * cout + co) * cin
                                for ci in 0..<cin { o[ci] = s0[ci] * h0 + s1[ci] * h1 + s2[ci] * h2 }
                            }
                        }
                        co += workers
                    }
                }
            }
        }
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
                F2.self, x: x, u: filters.u.pointer, y: y, g: g, epilogue: epilogue, yChannels: yChannels,
                outputMap: outputMap, residualBase: residualBase)
        case .f4x3:
            run(
                F4.self, x: x, u: filters.u.pointer, y: y, g: g, epilogue: epilogue, yChannels: yChannels,
                outputMap: outputMap, residualBase: residualBase)
        }
    }

    private static func run<T: Transform>(
        _: T.Type, x: UnsafePointer<Float>, u: UnsafePointer<Float>,
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
        let totalRows = g.batch * tilesY
        let workers = min(Engine.threads, totalRows)
        let budgetTiles = max(minBlockTiles, blockBytes / (4 * points * (cin + cout)))
        let rowsPerBlock = max(1, min(max(1, budgetTiles / tilesX), (totalRows + workers - 1) / workers))
        let blocks = (totalRows + rowsPerBlock - 1) / rowsPerBlock
        let maxTiles = rowsPerBlock * tilesX
        Engine.parallelFor(min(workers, blocks)) { w in
            let v = Scratch(points * cin * maxTiles)
            let mm = Scratch(points * cout * maxTiles)
            let rowsBuf = Scratch(a * rowWidth)  // vertical pass of the input / horizontal pass of the output
            let outRows = Scratch(m * rowWidth)
            let zeros = Scratch(W)
            zeros.pointer.update(repeating: 0, count: W)
            rowsBuf.pointer.update(repeating: 0, count: a * rowWidth)
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
                            inRows[j] = iy >= 0 && iy < H ? plane + iy * W : UnsafePointer(zeros.pointer)
                        }
                        // Columns 1 ... W of each row hold x = 0 ..< W; column 0 and those past W stay zero.
                        T.inputVertical(rows: inRows, out: rowsBuf.pointer + 1, ld: rowWidth, count: W)
                        T.inputHorizontal(
                            rows: rowsBuf.pointer, ld: rowWidth, tiles: tilesX,
                            v: v.pointer + ci * tiles + r * tilesX, pointStride: cin * tiles)
                    }
                }
                for p in 0..<points {
                    sgemm(
                        m: cout, n: tiles, k: cin, a: u + p * cout * cin, lda: cin,
                        b: v.pointer + p * cin * tiles, ldb: tiles, c: mm.pointer + p * cout * tiles, ldc: tiles)
                }
                // Output transform and epilogue, row by row.
                for r in 0..<rows {
                    let (n, ty) = (row0 + r).quotientAndRemainder(dividingBy: tilesY)
                    let valid = min(m, H - ty * m)
                    for co in 0..<cout {
                        T.outputHorizontal(
                            m: mm.pointer + co * tiles + r * tilesX, pointStride: cout * tiles,
                            tiles: tilesX, rows: rowsBuf.pointer, ld: rowWidth)
                        T.outputVertical(rows: rowsBuf.pointer, ld: rowWidth, out: outRows.pointer, count: W)
                        for i in 0..<valid {
                            let offset = n * outImage + (outputMap?[co] ?? co) * P + (ty * m + i) * W
                            let residual = epilogue.residual.map { $0 + residualBase + offset }
                            epilogue.applyRow(
                                from: outRows.pointer + i * rowWidth, to: y + offset, count: W,
                                channel: co, residual: residual)
                        }
                    }
                }
                // The next input transform expects zero columns outside 1 ... W again.
                for k in 0..<a { (rowsBuf.pointer + k * rowWidth).update(repeating: 0, count: rowWidth) }
            }
        }
    }
}

/// The separable 1-D transforms of one F(m×m, 3×3) variant, each applied to whole rows or runs of tiles.
private protocol Transform {
    /// Output tile side.
    static var m: Int { get }
    /// out[k·ld + x] = Σⱼ Bᵀ[k][j] · rows[j][x] for x < count (k, j < m + 2).
    static func inputVertical(
        rows: UnsafePointer<UnsafePointer<Float>>, out: UnsafeMutablePointer<Float>, ld: Int,
        count: Int)
    /// v[(k·(m+2) + l)·pointStride + tx] = Σⱼ Bᵀ[l][j] · rows[k·ld + m·tx + j].
    static func inputHorizontal(
        rows: UnsafePointer<Float>, ld: Int, tiles: Int, v: UnsafeMutablePointer<Float>,
        pointStride: Int)
    /// rows[k·ld + m·tx + i] = Σₗ Aᵀ[i][l] · m[(k·(m+2) + l)·pointStride + tx].
    static func outputHorizontal(
        m: UnsafePointer<Float>, pointStride: Int, tiles: Int,
        rows: UnsafeMutablePointer<Float>, ld: Int)
    /// out[i·ld + x] = Σₖ Aᵀ[i][k] · rows[k·ld + x] for x < count.
    static func outputVertical(rows: UnsafePointer<Float>, ld: Int, out: UnsafeMutablePointer<Float>, count: Int)
}

/// F(2×2, 3×3): Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1], Aᵀ = [1 1 1 0; 0 1 −1 −1].
private enum F2: Transform {
    static var m: Int { 2 }

    @inline(__always)
    static func inputVertical(
        rows: UnsafePointer<UnsafePointer<Float>>, out: UnsafeMutablePointer<Float>, ld: Int,
        count: Int
    ) {
        let d0 = rows[0]
        let d1 = rows[1]
        let d2 = rows[2]
        let d3 = rows[3]
        let o0 = out
        let o1 = out + ld
        let o2 = out + 2 * ld
        let o3 = out + 3 * ld
        for x in 0..<count {
            o0[x] = d0[x] - d2[x]
            o1[x] = d1[x] + d2[x]
            o2[x] = d2[x] - d1[x]
            o3[x] = d1[x] - d3[x]
        }
    }

    @inline(__always)
    static func inputHorizontal(
        rows: UnsafePointer<Float>, ld: Int, tiles: Int, v: UnsafeMutablePointer<Float>,
        pointStride: Int
    ) {
        for k in 0..<4 {
            let r = rows + k * ld
            let v0 = v + 4 * k * pointStride
            let v1 = v0 + pointStride
            let v2 = v1 + pointStride
            let v3 = v2 + pointStride
            for t in 0..<tiles {
                let d = r + 2 * t
                v0[t] = d[0] - d[2]
                v1[t] = d[1] + d[2]
                v2[t] = d[2] - d[1]
                v3[t] = d[1] - d[3]
            }
        }
    }

    @inline(__always)
    static func outputHorizontal(
        m: UnsafePointer<Float>, pointStride: Int, tiles: Int,
        rows: UnsafeMutablePointer<Float>, ld: Int
    ) {
        for k in 0..<4 {
            let m0 = m + 4 * k * pointStride
            let m1 = m0 + pointStride
            let m2 = m1 + pointStride
            let m3 = m2 + pointStride
            let r = rows + k * ld
            for t in 0..<tiles {
                r[2 * t] = m0[t] + m1[t] + m2[t]
                r[2 * t + 1] = m1[t] - m2[t] - m3[t]
            }
        }
    }

    @inline(__always)
    static func outputVertical(rows: UnsafePointer<Float>, ld: Int, out: UnsafeMutablePointer<Float>, count: Int) {
        let s0 = rows
        let s1 = rows + ld
        let s2 = rows + 2 * ld
        let s3 = rows + 3 * ld
        let o1 = out + ld
        for x in 0..<count {
            out[x] = s0[x] + s1[x] + s2[x]
            o1[x] = s1[x] - s2[x] - s3[x]
        }
    }
}

/// F(4×4, 3×3) with the interpolation points 0, ±1, ±2, ∞:
/// Bᵀ = [4 0 −5 0 1 0; 0 −4 −4 1 1 0; 0 4 −4 −1 1 0; 0 −2 −1 2 1 0; 0 2 −1 −2 1 0; 0 4 0 −5 0 1],
/// Aᵀ = [1 1 1 1 1 0; 0 1 −1 2 −2 0; 0 1 1 4 4 0; 0 1 −1 8 −8 1].
private enum F4: Transform {
    static var m: Int { 4 }

    @inline(__always)
    static func inputVertical(
        rows: UnsafePointer<UnsafePointer<Float>>, out: UnsafeMutablePointer<Float>, ld: Int,
        count: Int
    ) {
        let d0 = rows[0]
        let d1 = rows[1]
        let d2 = rows[2]
        let d3 = rows[3]
        let d4 = rows[4]
        let d5 = rows[5]
        let o0 = out
        let o1 = out + ld
        let o2 = out + 2 * ld
        let o3 = out + 3 * ld
        let o4 = out + 4 * ld
        let o5 = out + 5 * ld
        for x in 0..<count {
            let a = d4[x] - 4 * d2[x]
            let b = d3[x] - 4 * d1[x]
            let c = d4[x] - d2[x]
            let e = 2 * (d3[x] - d1[x])
            o0[x] = 4 * d0[x] - 5 * d2[x] + d4[x]
            o1[x] = a + b
            o2[x] = a - b
            o3[x] = c + e
            o4[x] = c - e
            o5[x] = 4 * d1[x] - 5 * d3[x] + d5[x]
        }
    }

    @inline(__always)
    static func inputHorizontal(
        rows: UnsafePointer<Float>, ld: Int, tiles: Int, v: UnsafeMutablePointer<Float>,
        pointStride: Int
    ) {
        for k in 0..<6 {
            let r = rows + k * ld
            let v0 = v + 6 * k * pointStride
            let v1 = v0 + pointStride
            let v2 = v1 + pointStride
            let v3 = v2 + pointStride
            let v4 = v3 + pointStride
            let v5 = v4 + pointStride
            for t in 0..<tiles {
                let d = r + 4 * t
                let a = d[4] - 4 * d[2]
                let b = d[3] - 4 * d[1]
                let c = d[4] - d[2]
                let e = 2 * (d[3] - d[1])
                v0[t] = 4 * d[0] - 5 * d[2] + d[4]
                v1[t] = a + b
                v2[t] = a - b
                v3[t] = c + e
                v4[t] = c - e
                v5[t] = 4 * d[1] - 5 * d[3] + d[5]
            }
        }
    }

    @inline(__always)
    static func outputHorizontal(
        m: UnsafePointer<Float>, pointStride: Int, tiles: Int,
        rows: UnsafeMutablePointer<Float>, ld: Int
    ) {
        for k in 0..<6 {
            let m0 = m + 6 * k * pointStride
            let m1 = m0 + pointStride
            let m2 = m1 + pointStride
            let m3 = m2 + pointStride
            let m4 = m3 + pointStride
            let m5 = m4 + pointStride
            let r = rows + k * ld
            for t in 0..<tiles {
                let p = m1[t] + m2[t]
                let q = m1[t] - m2[t]
                let s = m3[t] + m4[t]
                let d = m3[t] - m4[t]
                r[4 * t] = m0[t] + p + s
                r[4 * t + 1] = q + 2 * d
                r[4 * t + 2] = p + 4 * s
                r[4 * t + 3] = q + 8 * d + m5[t]
            }
        }
    }

    @inline(__always)
    static func outputVertical(rows: UnsafePointer<Float>, ld: Int, out: UnsafeMutablePointer<Float>, count: Int) {
        let s0 = rows
        let s1 = rows + ld
        let s2 = rows + 2 * ld
        let s3 = rows + 3 * ld
        let s4 = rows + 4 * ld
        let s5 = rows + 5 * ld
        let o1 = out + ld
        let o2 = out + 2 * ld
        let o3 = out + 3 * ld
        for x in 0..<count {
            let p = s1[x] + s2[x]
            let q = s1[x] - s2[x]
            let s = s3[x] + s4[x]
            let d = s3[x] - s4[x]
            out[x] = s0[x] + p + s
            o1[x] = q + 2 * d
            o2[x] = p + 4 * s
            o3[x] = q + 8 * d + s5[x]
        }
    }
}

extension WinogradKernel {
    /// The filters of one conv for one variant: U[point][Cout][Cin] = (G g Gᵀ)[point] for every (co, ci), made
    /// from the weight as it is at the forward (nothing is held between forwards: holding U per layer raised
    /// ResNet-50's peak RSS by a quarter, and an optimiser step or checkpoint load that changes the weight in place
    /// is followed by construction).
    ///
    /// Two ways to make U. Where every worker runs few blocks of tiles (`WinogradKernel.maxInCacheBlocks`), each worker
    /// transforms a run of `chunkRows` (16–64) output channels point by point right before that point's GEMM, so the
    /// (m+2)²·Cin·Cout floats of U are never written out: the chunk stays in cache and OpenBLAS packs it from there.
    /// Elsewhere `transformed()` makes all of U once per forward, in parallel over output-channel chunks, and
    /// every block's GEMMs read it. Both run the same arithmetic (G·g row by row, then ·Gᵀ), so they agree bit for bit.
    public final class Filters: @unchecked Sendable {
        public let variant: Variant
        public let outChannels: Int
        public let inChannels: Int
        /// The weight [Cout, Cin, 3, 3], kept alive while the filters exist.
        let weight: Tensor
        /// G, (m+2)×3 row-major.
        let g: [Float]
        private var full: Scratch?

        /// Output channels transformed together: a multiple of the GEMM kernels' 16-row unroll, 16 to 64, so the
        /// chunk's taps (9 · rows · Cin floats) stay near 512 KiB.
        static func chunkRows(inChannels: Int) -> Int { max(16, min(64, 16_384 / max(inChannels, 1) / 16 * 16)) }

        /// Filters of `weight` [Cout, Cin, 3, 3]; the transform runs when a forward needs it.
        public init(_ weight: Tensor, variant: Variant) {
            precondition(weight.rank == 4 && weight.shape[2] == 3 && weight.shape[3] == 3, "Winograd needs 3×3 weights")
            self.variant = variant
            self.weight = weight
            outChannels = weight.shape[0]
            inChannels = weight.shape[1]
            g = variant.filterMatrix
        }

        /// All of U[point][Cout][Cin], made on the first call (from one thread; chunks spread over the workers).
        func transformed() -> UnsafePointer<Float> {
            if let full { return UnsafePointer(full.pointer) }
            let a = variant.alpha
            let (cout, cin) = (outChannels, inChannels)
            let u = Scratch(a * a * cout * cin)
            let up = u.pointer
            let chunkRows = Self.chunkRows(inChannels: cin)
            let chunks = (cout + chunkRows - 1) / chunkRows
            Engine.parallelFor(min(Engine.threads, chunks)) { w in
                let buffer = Scratch(ChunkScratch.floats(for: self))
                let scratch = ChunkScratch(self, base: buffer.pointer)
                var c = w
                while c < chunks {
                    let co0 = c * chunkRows
                    transform(co0: co0, rows: min(chunkRows, cout - co0), scratch: scratch,
                              into: up + co0 * cin, pointStride: cout * cin) { _ in }
                    c += min(Engine.threads, chunks)
                }
            }
            full = u
            return UnsafePointer(up)
        }

        /// Per-worker buffers of a chunk transform: the chunk's taps f[k][row][ci] and one row of G·g, gg[s][row][ci]
        /// (`floats(for:)` floats at `base`, owned by the caller).
        struct ChunkScratch {
            let f: UnsafeMutablePointer<Float>
            let gg: UnsafeMutablePointer<Float>

            /// Floats a chunk transform of `filters` needs.
            static func floats(for filters: Filters) -> Int {
                12 * min(Filters.chunkRows(inChannels: filters.inChannels), filters.outChannels) * filters.inChannels
            }

            init(_ filters: Filters, base: UnsafeMutablePointer<Float>) {
                f = base
                gg = base + 9 * min(Filters.chunkRows(inChannels: filters.inChannels), filters.outChannels)
                    * filters.inChannels
            }
        }

        /// U for output channels co0 ..< co0 + rows, point by point (p = i·(m+2) + j): point p's rows × Cin block
        /// goes to `dst + p·pointStride` (row r at + r·Cin), then `after(p)` runs while it is in cache.
        func transform(
            co0: Int, rows: Int, scratch: ChunkScratch, into dst: UnsafeMutablePointer<Float>, pointStride: Int,
            after: (Int) -> Void
        ) {
            let a = variant.alpha
            let cin = inChannels
            let n = rows * cin
            let f = scratch.f
            let gg = scratch.gg
            let src = weight.pointer + co0 * cin * 9
            // f[k][r·cin + ci] = w[co0 + r][ci][k]: each tap a contiguous plane over (row, input channel).
            for e in 0..<n { for k in 0..<9 { f[k * n + e] = src[e * 9 + k] } }
            g.withUnsafeBufferPointer { G in
                for i in 0..<a {
                    let g0 = G[i * 3]
                    let g1 = G[i * 3 + 1]
                    let g2 = G[i * 3 + 2]
                    for j in 0..<3 {
                        let r0 = f + j * n
                        let r1 = r0 + 3 * n
                        let r2 = r0 + 6 * n
                        let o = gg + j * n
                        for e in 0..<n { o[e] = g0 * r0[e] + g1 * r1[e] + g2 * r2[e] }
                    }
                    let s0 = UnsafePointer(gg)
                    let s1 = s0 + n
                    let s2 = s1 + n
                    for j in 0..<a {
                        let h0 = G[j * 3]
                        let h1 = G[j * 3 + 1]
                        let h2 = G[j * 3 + 2]
                        let p = i * a + j
                        let o = dst + p * pointStride
                        for e in 0..<n { o[e] = s0[e] * h0 + s1[e] * h1 + s2[e] * h2 }
                        after(p)
                    }
                }
            }
        }
    }
}

/// A convolution's weight matrix W [M × K] (row-major: M output channels, K = Cin·kh·kw) packed for OpenBLAS's
/// micro-kernel (`OpenBLASMicroKernel`), so that C = W · X is computed without repacking W for every GEMM as
/// `cblas_sgemm` does, and C is finished (BN, residual, ReLU) block by block while it is in cache.
///
/// Two lifetimes: packed once and kept by a `Conv2D` between forwards (`init(_:)`, batch 1 inside
/// `Module.withPackedWeights`: 1.24–1.34× faster than `cblas_sgemm` at 49 columns on one thread, Zen 4, Cooperlake
/// kernels), or packed for one call by all workers into one shared buffer (`init(perCall:rows:depth:)`): one
/// packing per convolution instead of one per image or pixel tile.
///
/// In the micro-kernel's column-major terms C (pixels × channels) = X (pixels × K) · Wᵀ (K × channels): W is its
/// B operand, packed per depth block of OpenBLAS's `q` in panels of `unrollN` channels; X is packed per call, a block
/// of pixels at a time, as OpenBLAS's own driver does.
public final class PackedWeights: @unchecked Sendable {
    /// Widest GEMM (output pixels per call) for which `Conv2D` keeps its weight packed between forwards.
    public static let maxWidth = 512

    /// The weight packed, when kept between forwards (its storage is what `Conv2D` compares to see whether the
    /// weight was replaced); nil for a per-call packing.
    let source: Tensor?
    /// The weight matrix, row-major `rows` × `depth` (read where a channel run is off the panel edges).
    private let weight: UnsafePointer<Float>
    /// Rows of W (output channels).
    let rows: Int
    /// Columns of W (K).
    let depth: Int
    private let micro: OpenBLASMicroKernel
    /// Depth blocks: first column of W, columns, and the offset of the block's packed panels.
    private let blocks: [(start: Int, depth: Int, offset: Int)]
    private let packed: UnsafeMutablePointer<Float>
    /// Where `packed` lives.
    private enum Storage {
        /// Allocated here, freed on deinit (a packing kept between forwards).
        case owned
        /// `PackingArena`'s buffer, given back on deinit.
        case arena
        /// A pooled buffer (the arena was held by another packing).
        case pooled(Scratch)
    }

    private let storage: Storage

    /// `weight` (Cout × the rest, row-major) packed, kept until deinit; nil where OpenBLAS's micro-kernel cannot be
    /// used here.
    public init?(_ weight: Tensor) {
        guard let micro = OpenBLASMicroKernel.shared, weight.rank >= 2, weight.count > 0 else { return nil }
        source = weight
        storage = .owned
        self.micro = micro
        self.weight = weight.readPointer
        rows = weight.shape[0]
        depth = weight.count / rows
        blocks = Self.blocks(depth: depth, rows: rows, micro: micro)
        packed = UnsafeMutableRawPointer.allocate(byteCount: rows * depth * 4, alignment: 64)
            .bindMemory(to: Float.self, capacity: rows * depth)
        pack()
    }

    /// `weight` (`rows` × `depth`, row-major) packed by all workers into `PackingArena` (a pooled buffer while the
    /// arena is held), for as long as the caller keeps `weight` alive and this object; nil where OpenBLAS's
    /// micro-kernel cannot be used here.
    init?(perCall weight: UnsafePointer<Float>, rows: Int, depth: Int) {
        guard let micro = OpenBLASMicroKernel.shared, rows > 0, depth > 0 else { return nil }
        source = nil
        self.micro = micro
        self.weight = weight
        self.rows = rows
        self.depth = depth
        blocks = Self.blocks(depth: depth, rows: rows, micro: micro)
        if let arena = PackingArena.acquire(floats: rows * depth) {
            (storage, packed) = (.arena, arena)
        } else {
            let buffer = Scratch(rows * depth)
            (storage, packed) = (.pooled(buffer), buffer.pointer)
        }
        pack()
    }

    private static func blocks(
        depth: Int, rows: Int, micro: OpenBLASMicroKernel
    ) -> [(start: Int, depth: Int, offset: Int)] {
        var blocks: [(start: Int, depth: Int, offset: Int)] = []
        var start = 0
        for d in OpenBLASMicroKernel.depthBlocks(depth, q: micro.q, unrollM: micro.unrollM) {
            blocks.append((start, d, start * rows))
            start += d
        }
        return blocks
    }

    /// Packs every depth block, its panels split into runs of whole panels over the workers (small weights on one).
    private func pack() {
        let u = micro.unrollN
        let panels = (rows + u - 1) / u
        let w = UnsafeMutablePointer(mutating: weight)
        // Wᵀ is column-major K × M with leading dimension K: its block [start, start + d) rows begins at w + start;
        // channel c (a panel edge) of a block's packed panels begins c·d floats in.
        Engine.parallelChunks(panels, minChunk: max(1, 4096 / max(depth, 1))) { run in
            let (c0, c1) = (run.lowerBound * u, min(rows, run.upperBound * u))
            for b in self.blocks {
                _ = self.micro.packB(
                    b.depth, c1 - c0, w + c0 * self.depth + b.start, self.depth, self.packed + b.offset + c0 * b.depth)
            }
        }
    }

    deinit {
        switch storage {
        case .owned: packed.deallocate()
        case .arena: PackingArena.release()
        case .pooled: break
        }
    }

    /// C[r][j] = Σₖ W[r][k] · X[k][j] for r in `channels` (C's rows start at `c`, the row of channels.lowerBound)
    /// and j < n; X row-major K × n with leading dimension `ldx`, C with `ldc`. C is overwritten a block of columns
    /// at a time (OpenBLAS's `p`, more at depths under `q`), then `finish()` runs on all of it: a narrow C (one
    /// block) is still in cache. (Finishing each of several blocks as it was done cut short the runs of each row
    /// that `finish` reads and writes: ResNet-50's 56² and 28² layers with a residual went 10–25 % slower.)
    func multiply(
        channels: Range<Int>, n: Int, x: UnsafePointer<Float>, ldx: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
        finish: () -> Void = {}
    ) {
        let count = channels.count
        guard count > 0, n > 0 else { return }
        // Packed panels start every `unrollN` channels; a run that starts elsewhere (or ends short of the last
        // channel off a panel edge) goes through cblas_sgemm on the weight itself.
        guard channels.lowerBound % micro.unrollN == 0, channels.upperBound == rows || count % micro.unrollN == 0
        else {
            gemm(
                m: count, n: n, k: depth, a: weight + channels.lowerBound * depth, lda: depth, b: x, ldb: ldx, c: c,
                ldc: ldc)
            finish()
            return
        }
        // OpenBLAS's own driver widens the block of columns as far as a shallower depth keeps p·q floats of it.
        let (um, area) = (micro.unrollM, micro.p * micro.q)
        let width = max(micro.p, area / blocks[0].depth / um * um)
        let scratch = Scratch(min(width, n) * blocks[0].depth)
        let xm = UnsafeMutablePointer(mutating: x)
        var j0 = 0
        while j0 < n {
            let columns = min(width, n - j0)
            for r in 0..<count { (c + r * ldc + j0).update(repeating: 0, count: columns) }
            for b in blocks {
                _ = micro.packA(b.depth, columns, xm + j0 + b.start * ldx, ldx, scratch.pointer)
                _ = micro.kernel(
                    columns, count, b.depth, 1, scratch.pointer, packed + b.offset + channels.lowerBound * b.depth,
                    c + j0, ldc)
            }
            j0 += columns
        }
        finish()
    }
}

/// A convolution's weight matrix W [M × K] (row-major: M output channels, K = Cin·kh·kw) packed once for OpenBLAS's
/// micro-kernel (`OpenBLASMicroKernel`), so that C = W · X over a narrow X (batch 1 on 7×7 or 14×14 maps) no longer
/// repacks all of W on every call as `cblas_sgemm` does. Measured on one thread (Zen 4, Cooperlake kernels): 1.24–
/// 1.34× faster than `cblas_sgemm` at 49 columns, 1.06–1.08× at 196–392, nothing from ~800 up, where the repacking
/// is spread over enough columns; hence `maxWidth`.
///
/// In the micro-kernel's column-major terms C (pixels × channels) = X (pixels × K) · Wᵀ (K × channels): W is its
/// B operand, packed per depth block of OpenBLAS's `q` in panels of `unrollN` channels; X is packed per call, `p`
/// pixels at a time, as OpenBLAS's own driver does. Holds the weight tensor it was packed from, and costs as much
/// memory again as that weight.
public final class PackedWeights: @unchecked Sendable {
    /// Widest GEMM (output pixels per call) for which `Conv2D` packs its weight.
    public static let maxWidth = 512

    /// The weight packed (its storage is what `Conv2D` compares to see whether the weight was replaced).
    let source: Tensor
    /// Rows of W (output channels).
    let rows: Int
    /// Columns of W (K).
    let depth: Int
    private let micro: OpenBLASMicroKernel
    /// Depth blocks: first column of W, columns, and the offset of the block's packed panels.
    private let blocks: [(start: Int, depth: Int, offset: Int)]
    private let packed: UnsafeMutablePointer<Float>

    /// `weight` (Cout × the rest, row-major) packed; nil where OpenBLAS's micro-kernel cannot be used here.
    public init?(_ weight: Tensor) {
        guard let micro = OpenBLASMicroKernel.shared, weight.rank >= 2, weight.count > 0 else { return nil }
        self.micro = micro
        source = weight
        rows = weight.shape[0]
        depth = weight.count / rows
        var blocks: [(start: Int, depth: Int, offset: Int)] = []
        var start = 0
        for d in OpenBLASMicroKernel.depthBlocks(depth, q: micro.q, unrollM: micro.unrollM) {
            blocks.append((start, d, start * rows))
            start += d
        }
        self.blocks = blocks
        packed = UnsafeMutableRawPointer.allocate(byteCount: rows * depth * 4, alignment: 64)
            .bindMemory(to: Float.self, capacity: rows * depth)
        let w = UnsafeMutablePointer(mutating: weight.readPointer)
        // Wᵀ is column-major K × M with leading dimension K: its block [start, start + d) rows begins at w + start.
        for b in blocks { _ = micro.packB(b.depth, rows, w + b.start, depth, packed + b.offset) }
    }

    deinit { packed.deallocate() }

    /// C[r][j] = Σₖ W[r][k] · X[k][j] for r in `channels` (C's rows start at `c`, the row of channels.lowerBound)
    /// and j < n; X row-major K × n with leading dimension `ldx`, C with `ldc`. C is overwritten.
    func multiply(
        channels: Range<Int>, n: Int, x: UnsafePointer<Float>, ldx: Int, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        let count = channels.count
        guard count > 0, n > 0 else { return }
        let u = micro.unrollN
        // Packed panels start every `unrollN` channels; a run that starts elsewhere (or ends short of the last
        // channel off a panel edge) goes through cblas_sgemm on the weight itself.
        guard channels.lowerBound % u == 0, channels.upperBound == rows || count % u == 0 else {
            gemm(
                m: count, n: n, k: depth, a: source.readPointer + channels.lowerBound * depth, lda: depth, b: x,
                ldb: ldx, c: c, ldc: ldc)
            return
        }
        for r in 0..<count { (c + r * ldc).update(repeating: 0, count: n) }
        let p = micro.p
        let scratch = Scratch(p * micro.q)
        let xm = UnsafeMutablePointer(mutating: x)
        for b in blocks {
            var j0 = 0
            while j0 < n {
                let width = min(p, n - j0)
                _ = micro.packA(b.depth, width, xm + j0 + b.start * ldx, ldx, scratch.pointer)
                _ = micro.kernel(
                    width, count, b.depth, 1, scratch.pointer, packed + b.offset + channels.lowerBound * b.depth,
                    c + j0, ldc)
                j0 += width
            }
        }
    }
}

import CBLAS
import Foundation

/// OpenBLAS's own single-precision GEMM micro-kernel and packing routines for the kernel family it picked at load
/// time (`sgemm_kernel_<CORE>`, `sgemm_itcopy_<CORE>`, `sgemm_oncopy_<CORE>`, exported by libopenblas), so a
/// caller can pack an operand once and reuse it across calls (`PackedWeights`), as ONNX Runtime's MLAS does with
/// its weights. `cblas_sgemm` packs both operands on every call; at batch 1 on 7×7 and 14×14 maps that packing of
/// the weights is 10–25 % of a convolution.
///
/// In OpenBLAS's column-major terms the product is C (m × n) += A (m × k) · B (k × n): A is packed (`packA`) in
/// panels of `unrollM` rows, B (`packB`) in panels of `unrollN` columns, each panel k-major. The panel widths are
/// read back from what the routines write, the cache blocking (`p` rows of A, `q` of k) from OpenBLAS's parameter
/// table when it agrees with them, and a small product is checked against `cblas_sgemm` before any of it is used:
/// `shared` is nil (callers keep `cblas_sgemm`) where a symbol is missing or anything does not match.
struct OpenBLASMicroKernel: @unchecked Sendable {
    typealias Kernel = @convention(c) (
        Int, Int, Int, Float, UnsafeMutablePointer<Float>?, UnsafeMutablePointer<Float>?,
        UnsafeMutablePointer<Float>?, Int
    ) -> Int32
    typealias Copy = @convention(c) (Int, Int, UnsafeMutablePointer<Float>?, Int, UnsafeMutablePointer<Float>?) -> Int32

    /// C[m×n] (column-major, leading dimension ldc) += alpha · packed A · packed B over k.
    let kernel: Kernel
    /// Packs A (m rows, k columns, column-major, leading dimension lda) as `packA(k, m, a, lda, out)`.
    let packA: Copy
    /// Packs B (k rows, n columns, column-major, leading dimension ldb) as `packB(k, n, b, ldb, out)`.
    let packB: Copy
    /// Rows of A per packed panel.
    let unrollM: Int
    /// Columns of B per packed panel.
    let unrollN: Int
    /// Rows of A packed at a time (fits the L2 cache with a `q`-deep panel).
    let p: Int
    /// Depth (k) of a packed block.
    let q: Int

    /// The kernels of the family OpenBLAS runs on this CPU, or nil where they cannot be used.
    static let shared: OpenBLASMicroKernel? = load(core: BLASKernelSelection.coreName)

    /// The kernels named for `core` ("Cooperlake", "Haswell", …), checked; nil if any step fails.
    static func load(core: String) -> OpenBLASMicroKernel? {
        guard let handle = dlopen(nil, RTLD_NOW) else { return nil }
        let suffix = core.uppercased()
        guard let k = dlsym(handle, "sgemm_kernel_" + suffix), let a = dlsym(handle, "sgemm_itcopy_" + suffix),
            let b = dlsym(handle, "sgemm_oncopy_" + suffix)
        else { return nil }
        let packA = unsafeBitCast(a, to: Copy.self)
        let packB = unsafeBitCast(b, to: Copy.self)
        guard let unrollM = panelWidth(packA, depthFast: false), let unrollN = panelWidth(packB, depthFast: true)
        else { return nil }
        let (p, q) = blocking(handle, unrollM: unrollM, unrollN: unrollN)
        let micro = OpenBLASMicroKernel(
            kernel: unsafeBitCast(k, to: Kernel.self), packA: packA, packB: packB, unrollM: unrollM, unrollN: unrollN,
            p: p, q: q)
        return micro.agreesWithCBLAS() ? micro : nil
    }

    /// The panel width a packing routine uses: it packs a 2 × 64 operand whose element (depth d, index i) is
    /// i + 1000·d, stored depth-major (`depthFast`: d + 2·i, as B is) or index-major (i + 64·d, as A is); the first
    /// value of depth 1 in its output sits at the panel width.
    private static func panelWidth(_ copy: Copy, depthFast: Bool) -> Int? {
        let width = 64
        var source = [Float](repeating: 0, count: 2 * width)
        for i in 0..<width {
            for d in 0..<2 { source[depthFast ? d + 2 * i : i + width * d] = Float(i + 1000 * d) }
        }
        var packed = [Float](repeating: -1, count: 2 * width)
        source.withUnsafeMutableBufferPointer { s in
            packed.withUnsafeMutableBufferPointer { out in
                _ = copy(2, width, s.baseAddress, depthFast ? 2 : width, out.baseAddress)
            }
        }
        guard let u = packed.firstIndex(where: { $0 >= 1000 }), u > 0, u <= 32, width % u == 0 else { return nil }
        // The whole first panel must be depth 0, indices 0 ..< u in order.
        return (0..<u).allSatisfy { packed[$0] == Float($0) } ? u : nil
    }

    /// OpenBLAS's sgemm P and Q for the running family, read from its parameter table (`gotoblas`: four ints, then
    /// P, Q, R, unroll M, unroll N) when the unrolls there match the measured ones; else 320 × 320.
    private static func blocking(_ handle: UnsafeMutableRawPointer, unrollM: Int, unrollN: Int) -> (p: Int, q: Int) {
        let fallback = (p: 320, q: 320)
        guard let symbol = dlsym(handle, "gotoblas"),
            let table = symbol.assumingMemoryBound(to: UnsafeRawPointer?.self).pointee
        else { return fallback }
        let ints = table.assumingMemoryBound(to: Int32.self)
        let (p, q) = (Int(ints[4]), Int(ints[5]))
        guard Int(ints[7]) == unrollM && Int(ints[8]) == unrollN && (16...4096).contains(p) && (16...4096).contains(q)
            && p % unrollM == 0
        else { return fallback }
        return (p, q)
    }

    /// Whether a product with ragged edges (m, n, k not multiples of the panels; k over two blocks) matches
    /// `cblas_sgemm` to float rounding.
    private func agreesWithCBLAS() -> Bool {
        let (m, n, k) = (unrollM * 2 + 5, unrollN * 3 + 3, q + 37)
        var rng = SplitMix64(seed: 7)
        let a = (0..<(m * k)).map { _ in rng.nextFloat() - 0.5 }
        let b = (0..<(k * n)).map { _ in rng.nextFloat() - 0.5 }
        var expected = [Float](repeating: 0, count: m * n)
        var got = [Float](repeating: 0, count: m * n)
        cblas_sgemm(
            CblasColMajor, CblasNoTrans, CblasNoTrans, blasint(m), blasint(n), blasint(k), 1, a, blasint(m), b,
            blasint(k), 0, &expected, blasint(m))
        let packedB = UnsafeMutablePointer<Float>.allocate(capacity: k * n)
        let packedA = UnsafeMutablePointer<Float>.allocate(capacity: k * m)
        defer { packedA.deallocate(); packedB.deallocate() }
        a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                got.withUnsafeMutableBufferPointer { cp in
                    var d0 = 0
                    for depth in Self.depthBlocks(k, q: q, unrollM: unrollM) {
                        _ = packA(depth, m, UnsafeMutablePointer(mutating: ap.baseAddress! + d0 * m), m, packedA)
                        _ = packB(depth, n, UnsafeMutablePointer(mutating: bp.baseAddress! + d0), k, packedB)
                        _ = kernel(m, n, depth, 1, packedA, packedB, cp.baseAddress, m)
                        d0 += depth
                    }
                }
            }
        }
        let scale = expected.reduce(0) { max($0, abs($1)) }
        return zip(expected, got).allSatisfy { abs($0 - $1) <= 1e-5 * max(scale, 1) }
    }

    /// The depths of the blocks k is cut into: `q` at a time, the last two balanced as OpenBLAS's driver does
    /// (a remainder between q and 2q is halved, rounded up to `unrollM`).
    static func depthBlocks(_ k: Int, q: Int, unrollM: Int) -> [Int] {
        var blocks: [Int] = []
        var left = k
        while left > 0 {
            var depth = left
            if depth >= 2 * q {
                depth = q
            } else if depth > q {
                depth = ((depth / 2 + unrollM - 1) / unrollM) * unrollM
            }
            blocks.append(depth)
            left -= depth
        }
        return blocks
    }
}

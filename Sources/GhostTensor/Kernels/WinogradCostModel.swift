/// Estimated run time of one stride-1 3×3 convolution (an eval forward, or a training forward or input gradient,
/// which run the same kernels) on each path (Winograd F(2×2), F(4×4), or the
/// im2col / tap GEMMs), in units of one sgemm multiply-add, so the dispatch picks the cheapest per layer shape,
/// batch and worker count.
///
/// Direct: 9·Cin·Cout·N·P multiply-adds, plus OpenBLAS packing the Cout×9·Cin weight once per GEMM tile
/// (`weightPacking` per element), plus the patch copy (`patchCopy` per element; im2col only).
/// Winograd F(m×m) with α = m + 2 and T tiles: α²·Cin·Cout·T multiply-adds, plus the filter transform
/// (`filterTransform` per element of U written out once, or `cachedFilterTransform` per element and block when
/// each block transforms its chunks in cache, `WinogradKernel.Filters`), plus packing U once per block and V once
/// per block and chunk (`weightPacking`), plus the input and output transforms (`dataTransform` per element of V
/// and M). Column padding is counted: a tile covering pixels past the map edge costs as a full one. Multiply-adds of
/// a GEMM only `width` columns wide cost (1 + `narrowGEMM` / width) times a wide GEMM's (kernel edge cases,
/// per-call packing), counted block by block, so a short last block of tiles costs as the narrow GEMM it is.
///
/// The constants are fitted to per-layer timings of `ghostkit bench --conv-layers` (ResNet's 3×3 shapes at
/// batch 1 and 8, one thread; README, Benchmark): per element, writing U out and having OpenBLAS re-read it costs
/// about 40 multiply-adds (4 in cache), packing an element 6, a transform element 3, a patch element 2. The model
/// then picks F(4×4) everywhere but on batch-1 7² maps (the GEMMs: the Winograd GEMMs are 16 or 4 tiles wide),
/// as measured, on ResNet's shapes and on their Ghost-ResNet primaries (half the output channels) at 1 and 2
/// workers; F(2×2) only for the 256→128 primary on 14² at batch 1 and two workers, where it measures level with
/// F(4×4).
public enum WinogradCostModel {
    /// Cost of making one element of the transformed filters U (write, then OpenBLAS's read), in multiply-adds.
    static let filterTransform = 40.0
    /// Cost of one element of U transformed in cache, chunk by chunk, right before its GEMM.
    static let cachedFilterTransform = 4.0
    /// Cost of OpenBLAS packing one weight (or U) element for one GEMM call.
    static let weightPacking = 6.0
    /// Cost of one element of the input transform V or the output transform M.
    static let dataTransform = 3.0
    /// Cost of copying one im2col patch element.
    static let patchCopy = 2.0

    /// GEMM width (columns per call) at which a multiply-add costs twice what it does in a wide GEMM.
    static let narrowGEMM = 16.0

    /// The slowdown of a GEMM `width` columns wide against a wide one: 1 + `narrowGEMM` / width.
    static func narrowness(_ width: Int) -> Double { 1 + narrowGEMM / Double(max(width, 1)) }

    /// The estimated cost of `g` on `variant` (nil: the im2col / tap-GEMM path) with `workers` workers, in
    /// multiply-add units summed over all workers. Only meaningful where `WinogradKernel.supports(g)`.
    public static func cost(_ g: ConvGeometry, variant: WinogradKernel.Variant?, workers: Int) -> Double {
        let cin = Double(g.inChannels)
        let cout = Double(g.outChannels)
        let pixels = g.batch * g.height * g.width
        guard let variant else {
            let tap = TapGEMMKernel.applies(to: g)
            // Tap GEMMs: tiles of `tileColumns` columns, 9 calls each packing a Cout×Cin block; im2col: one call
            // per tile packing Cout×9·Cin. Either way 9·Cin·Cout packed per tile.
            let tiles = tap
                ? max(workers, (pixels + TapGEMMKernel.tileColumns - 1) / TapGEMMKernel.tileColumns)
                : max(1, Conv2DKernel.tiles(g).tiles.count)
            let width = tap ? min(pixels, TapGEMMKernel.tileColumns) : max(1, Conv2DKernel.tiles(g).width)
            let macs = 9 * cin * cout * Double(pixels) * narrowness(width)
            return macs + weightPacking * 9 * cin * cout * Double(tiles)
                + (tap ? 0 : patchCopy * 9 * cin * Double(pixels))
        }
        let m = variant.tile
        let alpha2 = Double(variant.alpha * variant.alpha)
        let tilesX = (g.width + m - 1) / m
        let tilesY = (g.height + m - 1) / m
        let tiles = Double(g.batch * tilesX * tilesY)
        // The work split `forward` uses: with tile rows, each block (at least one per worker) runs all output
        // channels; with output channels, the workers share each block, so a block's filters are transformed once.
        let split = WinogradKernel.WorkSplit(g, variant: variant, workers: workers)
        let blocks = Double(split.blocks)
        let filters: Double
        let inputPacking: Double
        if split.inCache {
            // Every block transforms U itself, and its V is packed once per chunk of output channels.
            filters = cachedFilterTransform * alpha2 * cin * cout * blocks
            inputPacking = weightPacking * alpha2 * cin * tiles * Double(split.chunks)
        } else {
            filters = filterTransform * alpha2 * cin * cout
            inputPacking = weightPacking * alpha2 * cin * tiles * Double(split.kind == .tileRows ? 1 : split.chunks)
        }
        // Each block's GEMMs cost (tiles + narrowGEMM) columns: tiles · narrowness(width) summed over the blocks, so a
        // short last block costs what it is (F(2×2) on 14² at batch 1, one worker: blocks of 42 and 7 tiles).
        let columns = tiles + narrowGEMM * blocks
        return alpha2 * cin * cout * columns + filters + weightPacking * alpha2 * cin * cout * blocks
            + inputPacking + dataTransform * alpha2 * (cin + cout) * tiles
    }

    /// The cheapest path for `g` at `workers` workers: a Winograd variant, or nil for the im2col / tap GEMMs.
    public static func cheapest(_ g: ConvGeometry, workers: Int) -> WinogradKernel.Variant? {
        guard WinogradKernel.supports(g) else { return nil }
        var best: WinogradKernel.Variant? = nil
        var bestCost = cost(g, variant: nil, workers: workers)
        for variant in WinogradKernel.Variant.allCases {
            let c = cost(g, variant: variant, workers: workers)
            if c < bestCost { (best, bestCost) = (variant, c) }
        }
        return best
    }
}

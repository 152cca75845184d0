/// Forward convolution kernels: im2col + OpenBLAS sgemm for dense and grouped convolutions (per-tap GEMMs over a
/// padded input for stride-1 "same" ones, see TapGEMMKernel), a direct loop for depthwise ones. All take NCHW input
/// and write NCHW output.
public enum Conv2DKernel {
    /// Minimum GEMM width (output pixels per tile) that keeps sgemm efficient.
    static let minTile = 256
    /// Target bytes of one im2col tile (fits a core's share of L2).
    static let tileBytes = 512 * 1024

    /// Forward convolution of `x` [N, Cin, H, W] with `weight` [Cout, Cin/groups, kh, kw].
    /// `epilogue` is applied per output channel (bias / BN scale-shift, residual, ReLU). With `winograd` (that
    /// weight's transformed filters) a stride-1 3×3 convolution runs on WinogradKernel; with `packed` (that weight
    /// packed) the im2col and pointwise GEMMs of an ungrouped one run on it.
    public static func forward(
        _ x: Tensor, weight: Tensor, stride: (Int, Int), padding: (Int, Int),
        groups: Int = 1, epilogue: Epilogue = .none,
        winograd: WinogradKernel.Filters? = nil, packed: PackedWeights? = nil, direct: DirectConvKernel.Weights? = nil
    ) -> Tensor {
        precondition(x.rank == 4 && weight.rank == 4, "conv2d expects NCHW input and OIHW weight")
        let g = ConvGeometry(
            batch: x.shape[0], inChannels: x.shape[1], height: x.shape[2], width: x.shape[3],
            outChannels: weight.shape[0], kernel: (weight.shape[2], weight.shape[3]),
            stride: stride, padding: padding, groups: groups)
        precondition(g.inChannels % groups == 0 && g.outChannels % groups == 0, "channels not divisible by groups")
        precondition(
            weight.shape[1] == g.groupInChannels,
            "weight expects \(weight.shape[1] * groups) input channels, input has \(g.inChannels)")
        // Zero-sized maps (a 0×0 image that got past its reader) give an empty output, never a trap or a division
        // by zero in the tiling; the model's caller sees the empty tensor and reports it.
        guard g.batch > 0, g.outHeight > 0, g.outWidth > 0, g.height > 0, g.width > 0 else {
            return Tensor(zeros: [g.batch, g.outChannels, max(g.outHeight, 0), max(g.outWidth, 0)])
        }
        let y = Tensor(uninitialized: g.outputShape)
        if g.isDepthwise {
            DepthwiseKernel.forward(x: x.pointer, weight: weight.pointer, y: y.pointer, g: g, epilogue: epilogue)
        } else {
            gemmForward(
                x: x.pointer, weight: weight, y: y.pointer, g: g, epilogue: epilogue,
                winograd: winograd, packed: packed, direct: direct)
        }
        return y
    }

    /// Forward convolution written into channels of `y` chosen by `routing` (see ChannelRouting): output
    /// channel c lands in channel `routing.outputMap[c]` of `y` [N, routing.outputChannels, OH, OW]. A depthwise
    /// convolution may also read its input channels from `routing.input` and skip outputs mapped to −1.
    public static func forward(
        _ x: Tensor, weight: Tensor, stride: (Int, Int), padding: (Int, Int), groups: Int = 1,
        epilogue: Epilogue = .none, into y: Tensor, routing: ChannelRouting,
        winograd: WinogradKernel.Filters? = nil, packed: PackedWeights? = nil, direct: DirectConvKernel.Weights? = nil
    ) {
        precondition(x.rank == 4 && weight.rank == 4 && y.rank == 4, "conv2d expects NCHW tensors and an OIHW weight")
        let inChannels = routing.input?.map.count ?? x.shape[1]
        let g = ConvGeometry(
            batch: x.shape[0], inChannels: inChannels, height: x.shape[2], width: x.shape[3],
            outChannels: weight.shape[0], kernel: (weight.shape[2], weight.shape[3]),
            stride: stride, padding: padding, groups: groups)
        precondition(
            weight.shape[1] == g.groupInChannels && g.outChannels % groups == 0, "weight \(weight.shape) vs input")
        precondition(
            y.shape == [g.batch, routing.outputChannels, g.outHeight, g.outWidth], "routed output shape \(y.shape)")
        precondition(
            routing.outputMap.count == g.outChannels
                && routing.outputMap.allSatisfy { $0 < routing.outputChannels && $0 >= -1 },
            "output routing out of range")
        if let input = routing.input {
            precondition(
                input.channels == x.shape[1] && input.map.allSatisfy { (0..<input.channels).contains($0) },
                "input routing out of range")
        }
        if g.isDepthwise {
            routing.outputMap.withUnsafeBufferPointer { outMap in
                (routing.input?.map ?? []).withUnsafeBufferPointer { inMap in
                    DepthwiseKernel.forward(
                        x: x.pointer, weight: weight.pointer, y: y.pointer, g: g, epilogue: epilogue,
                        xChannels: x.shape[1], inputMap: routing.input == nil ? nil : inMap.baseAddress,
                        yChannels: routing.outputChannels, outputMap: outMap.baseAddress)
                }
            }
            return
        }
        precondition(
            routing.input == nil && routing.outputMap.allSatisfy { $0 >= 0 }, "a GEMM convolution routes outputs only")
        if let base = routing.contiguousOutputBase {
            gemmForward(
                x: x.pointer, weight: weight, y: y.pointer + base * g.outPixels, g: g, epilogue: epilogue,
                yChannels: routing.outputChannels, residualBase: base * g.outPixels, winograd: winograd,
                packed: packed, direct: direct)
        } else {
            routing.outputMap.withUnsafeBufferPointer { map in
                gemmForward(
                    x: x.pointer, weight: weight, y: y.pointer, g: g, epilogue: epilogue,
                    yChannels: routing.outputChannels, outputMap: map.baseAddress, winograd: winograd,
                    packed: packed, direct: direct)
            }
        }
    }

    /// A unit of work: output pixels [p0, p0+count) of image n (inImage), or images [n, n+count) whole.
    struct Tile {
        var n: Int
        var p0: Int
        var count: Int
        var wholeImages: Bool
    }

    /// The forward's tiles: `tiles(g)`, except for an ungrouped pointwise convolution on maps of `minTile` pixels or
    /// more (or at batch 1): it makes no im2col, so there is no patch buffer to keep in L2, while each sgemm call packs
    /// the whole weight matrix again, so it takes one GEMM per image instead of one per 256–2048 pixels. (Small maps
    /// keep `tiles(g)`: merging more images there copies the input and output through larger scratch buffers, which
    /// raised the training step's peak memory for no measured gain.)
    static func forwardTiles(_ g: ConvGeometry) -> (tiles: [Tile], width: Int) {
        let P = g.outPixels
        guard g.isPointwise && g.groups == 1 && P > 0 && (P >= minTile || g.batch == 1) else { return tiles(g) }
        return ((0..<g.batch).map { Tile(n: $0, p0: 0, count: P, wholeImages: false) }, P)
    }

    static func tiles(_ g: ConvGeometry) -> (tiles: [Tile], width: Int) {
        let P = g.outPixels
        guard P > 0, g.batch > 0 else { return ([], 0) }  // nothing to compute (and no division by P below)
        let target = max(minTile, tileBytes / (4 * max(g.patchSize, 1)))
        var tiles: [Tile] = []
        if P >= minTile || g.batch == 1 {
            // Per-image tiles; keep them about equal in size.
            let parts = max(1, (P + target - 1) / target)
            let size = (P + parts - 1) / parts
            for n in 0..<g.batch {
                var p = 0
                while p < P {
                    tiles.append(Tile(n: n, p0: p, count: min(size, P - p), wholeImages: false))
                    p += size
                }
            }
            return (tiles, size)
        }
        // Small maps: several whole images per GEMM so its N dimension stays wide, but leave
        // at least one tile per worker.
        var per = max(1, target / P)
        per = min(per, max(1, (g.batch + Engine.threads - 1) / Engine.threads))
        var n = 0
        while n < g.batch {
            tiles.append(Tile(n: n, p0: 0, count: min(per, g.batch - n), wholeImages: true))
            n += per
        }
        return (tiles, per * P)
    }

    /// im2col + sgemm (stride-1 "same" convolutions on larger maps: TapGEMMKernel, no im2col; 3×3 ones given
    /// `winograd` filters: WinogradKernel; the shapes DirectConvKernel takes, on AVX-512 CPUs: on it, with `direct`
    /// where the conv keeps its weight rearranged). `y` holds `yChannels`
    /// channels per image (default: the conv's own); output channel c goes to channel `outputMap[c]` of it (nil:
    /// channel c). The epilogue's residual has `y`'s layout, offset by `residualBase` floats (the same offset `y` was
    /// given).
    static func gemmForward(
        x: UnsafePointer<Float>, weight weightTensor: Tensor, y: UnsafeMutablePointer<Float>,
        g: ConvGeometry, epilogue: Epilogue, yChannels: Int? = nil, outputMap: UnsafePointer<Int>? = nil,
        residualBase: Int = 0, winograd: WinogradKernel.Filters? = nil, packed: PackedWeights? = nil,
        direct: DirectConvKernel.Weights? = nil
    ) {
        if let winograd, WinogradKernel.supports(g) {
            WinogradKernel.forward(
                x: x, filters: winograd, y: y, g: g, epilogue: epilogue, yChannels: yChannels,
                outputMap: outputMap, residualBase: residualBase)
            return
        }
        if DirectConvKernel.applies(to: g) {
            DirectConvKernel.forward(
                x: x, weights: direct ?? DirectConvKernel.Weights(perCall: weightTensor), y: y, g: g,
                epilogue: epilogue, yChannels: yChannels, outputMap: outputMap, residualBase: residualBase)
            return
        }
        let weight = weightTensor.pointer
        if TapGEMMKernel.applies(to: g) {
            TapGEMMKernel.forward(
                x: x, weight: weight, y: y, g: g, epilogue: epilogue, yChannels: yChannels,
                outputMap: outputMap, residualBase: residualBase)
            return
        }
        let (tiles, width) = forwardTiles(g)
        guard !tiles.isEmpty else { return }
        let (P, K, G, cinG, coutG, inImage) = g.groupGEMMSizes
        // One group: the weight packed once for the whole call (unless kept packed between calls), so no GEMM repacks
        // it and each block of output is finished while in cache.
        let weights = G == 1 ? packed ?? PackedWeights(perCall: weight, rows: g.outChannels, depth: K) : nil
        let outImage = (yChannels ?? g.outChannels) * P
        // Fewer tiles than workers can share evenly (batch 1 on maps under `minTile` pixels): each tile's output
        // channels are split into `parts` runs (multiples of 16) done by different workers.
        let parts = G == 1 && tiles.count < 2 * Engine.threads && tiles.count % Engine.threads != 0 ? Engine.threads : 1
        let partChannels = ((g.outChannels + parts - 1) / parts + 15) / 16 * 16
        let items = tiles.count * parts
        let workers = min(Engine.threads, items)
        let needCols = !(g.isPointwise && G == 1)
        let wholeImages = tiles.first!.wholeImages
        // Split tiles share one im2col, made beforehand with its channel rows spread over the workers.
        let shared = parts > 1 && needCols && !wholeImages
            ? sharedPatches(x: x, g: g, tiles: tiles, width: width) : nil
        /// Row `c` of a finished tile (at `src`) into output channel c of image `n`, pixels [p0, p0+count).
        @inline(__always) func finishRow(_ src: UnsafePointer<Float>, channel c: Int, image n: Int, p0: Int, count: Int)
        {
            let offset = n * outImage + (outputMap?[c] ?? c) * P + p0
            epilogue.applyRow(
                from: src, to: y + offset, count: count, channel: c,
                residual: epilogue.residual.map { $0 + residualBase + offset })
        }
        /// Rows lo ..< lo + rows of group gi's GEMM, then `finish`: on the packed weight where there is one (one
        /// group), else sgemm.
        @inline(__always) func multiply(
            _ gi: Int, lo: Int, rows: Int, n: Int, b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>,
            ldc: Int, finish: () -> Void = {}
        ) {
            if let weights {
                weights.multiply(channels: lo..<(lo + rows), n: n, x: b, ldx: ldb, c: c, ldc: ldc, finish: finish)
            } else {
                gemm(
                    m: rows, n: n, k: K, a: weight + (gi * coutG + lo) * K, lda: K, b: b, ldb: ldb, c: c, ldc: ldc)
                finish()
            }
        }
        Engine.parallelFor(workers) { w in
            let cols = Scratch((needCols && shared == nil) || wholeImages ? K * width : 0)
            let tmp = Scratch(wholeImages || outputMap != nil ? g.outChannels * width : 0)
            var t = w
            while t < items {
                let tileIndex = t / parts
                let tile = tiles[tileIndex]
                // Output channels lo ..< hi of the tile (all of them unless split; groups only unsplit).
                let lo = min(g.outChannels, t % parts * partChannels)
                let hi = min(g.outChannels, lo + partChannels)
                let rows = G == 1 ? hi - lo : coutG
                t += workers
                if lo >= hi { continue }
                if !tile.wholeImages {
                    let xn = x + tile.n * inImage
                    // In place when channels stay in order; through `tmp` when they are routed.
                    let c0 = outputMap == nil ? y + tile.n * outImage + tile.p0 : tmp.pointer
                    let ldc = outputMap == nil ? P : tile.count
                    /// The epilogue of the tile's channels lo ..< hi (in place, or out of `tmp`).
                    func finish() {
                        if outputMap == nil {
                            epilogue.apply(
                                c0 + lo * P, rows: hi - lo, cols: tile.count, ld: P, channel0: lo,
                                residualOffset: residualBase + tile.n * outImage + lo * P + tile.p0)
                        } else {
                            for c in lo..<hi {
                                finishRow(
                                    tmp.pointer + c * ldc, channel: c, image: tile.n, p0: tile.p0, count: tile.count)
                            }
                        }
                    }
                    for gi in 0..<G {
                        let b: UnsafePointer<Float>
                        let ldb: Int
                        if let shared {
                            b = UnsafePointer(shared.pointer + tileIndex * K * width)
                            ldb = tile.count
                        } else if needCols {
                            im2col(
                                image: xn, g: g, channel0: gi * cinG, channels: cinG, pStart: tile.p0,
                                pCount: tile.count, dst: cols.pointer, ldDst: tile.count)
                            b = UnsafePointer(cols.pointer)
                            ldb = tile.count
                        } else {
                            b = xn + tile.p0
                            ldb = P
                        }
                        // One group: finished in the GEMM's call, while (a narrow tile's) C is in cache.
                        multiply(
                            gi, lo: lo, rows: rows, n: tile.count, b: b, ldb: ldb, c: c0 + (gi * coutG + lo) * ldc,
                            ldc: ldc
                        ) { if G == 1 { finish() } }
                    }
                    if G > 1 { finish() }
                } else {
                    let ld = tile.count * P
                    for gi in 0..<G {
                        for i in 0..<tile.count {
                            let xn = x + (tile.n + i) * inImage
                            if needCols {
                                im2col(
                                    image: xn, g: g, channel0: gi * cinG, channels: cinG, pStart: 0, pCount: P,
                                    dst: cols.pointer + i * P, ldDst: ld)
                            } else {
                                for c in 0..<K { (cols.pointer + c * ld + i * P).update(from: xn + c * P, count: P) }
                            }
                        }
                        multiply(
                            gi, lo: lo, rows: rows, n: ld, b: cols.pointer, ldb: ld,
                            c: tmp.pointer + (gi * coutG + lo) * ld, ldc: ld)
                    }
                    // The epilogue moves each image's rows out of the shared GEMM result.
                    for i in 0..<tile.count {
                        for c in lo..<hi {
                            finishRow(tmp.pointer + c * ld + i * P, channel: c, image: tile.n + i, p0: 0, count: P)
                        }
                    }
                }
            }
        }
        withExtendedLifetime((shared, weights)) {}
    }

    /// The im2col of every tile of `tiles` (per-image tiles, one group), tile i's K × count patch matrix at
    /// i·K·`width` floats (row stride count), made by all workers together: each writes the rows of a run of input
    /// channels.
    static func sharedPatches(x: UnsafePointer<Float>, g: ConvGeometry, tiles: [Tile], width: Int) -> Scratch {
        let K = g.patchSize
        let taps = g.kernelH * g.kernelW
        let inImage = g.inChannels * g.height * g.width
        let cols = Scratch(tiles.count * K * width)
        let base = cols.pointer
        // Runs of about 8 channels each, spread over the tiles: enough items that the workers end about together.
        let runs = max(1, min(g.inChannels, max(2 * Engine.threads, g.inChannels / 8)))
        let perRun = (g.inChannels + runs - 1) / runs
        let runsPerTile = (g.inChannels + perRun - 1) / perRun
        tiles.withUnsafeBufferPointer { tiles in
            Engine.parallelFor(tiles.count * runsPerTile) { item in
                let (i, r) = item.quotientAndRemainder(dividingBy: runsPerTile)
                let tile = tiles[i]
                let c0 = r * perRun
                im2col(
                    image: x + tile.n * inImage, g: g, channel0: c0, channels: min(perRun, g.inChannels - c0),
                    pStart: tile.p0, pCount: tile.count, dst: base + i * K * width + c0 * taps * tile.count,
                    ldDst: tile.count)
            }
        }
        return cols
    }
}

extension WinogradKernel {
    /// How `WinogradKernel.forward` spreads one convolution over its workers, and the block and chunk sizes it uses
    /// (WinogradCostModel reads the same plan).
    ///
    /// `tileRows`: blocks of consecutive tile rows over the batch, spread over the workers; each worker runs all
    /// output channels of its blocks. Where that leaves every worker one block of few tiles (batch 1 on small maps),
    /// each worker would transform all the filters for its few tiles and run narrow GEMMs, so `outputChannels` is
    /// used instead: the blocks one after another, each block's input transform split over the workers by input
    /// channels, then its output-channel chunks split over them, each worker transforming only its chunks of the
    /// filters and running its GEMMs over all the block's tiles.
    public struct WorkSplit: Equatable, Sendable {
        /// The two ways of dividing the work.
        public enum Kind: Equatable, Sendable {
            /// Blocks of tile rows per worker.
            case tileRows
            /// Input channels (input transform), then output-channel chunks (filters, GEMMs, output transform).
            case outputChannels
        }

        /// Which dimension the workers divide.
        public let kind: Kind
        /// Tile rows over the whole batch.
        let totalRows: Int
        /// Tile rows per block (the last block may have fewer).
        let rowsPerBlock: Int
        /// Tiles per tile row.
        let tilesX: Int
        /// Whether the filters are transformed in cache, chunk by chunk, per block (else U is made once, shared).
        let inCache: Bool
        /// Output channels per chunk of the in-cache filter transform (and per work item of `outputChannels`).
        let chunkRows: Int
        /// Output channels of the convolution.
        let outChannels: Int

        /// Blocks of tile rows.
        var blocks: Int { (totalRows + rowsPerBlock - 1) / rowsPerBlock }
        /// Tiles of the widest block (the GEMMs' N).
        var blockTiles: Int { min(rowsPerBlock, totalRows) * tilesX }
        /// Output-channel chunks.
        var chunks: Int { (outChannels + chunkRows - 1) / chunkRows }

        /// Largest tiles per worker of the tile-row split for which `outputChannels` is used instead.
        static let maxChannelSplitTiles = 63

        /// The split for `g` on `variant` at `workers` workers.
        public init(_ g: ConvGeometry, variant: Variant, workers: Int) {
            let m = variant.tile
            let points = variant.alpha * variant.alpha
            tilesX = (g.width + m - 1) / m
            totalRows = g.batch * ((g.height + m - 1) / m)
            outChannels = g.outChannels
            let bytesPerTile = 4 * points * (g.inChannels + g.outChannels)
            // Tile rows: at least one block per worker, each at most `blockBytes` of V and M (but `minBlockTiles`
            // tiles where the map allows).
            let w = max(1, min(workers, totalRows))
            let budgetTiles = max(minBlockTiles, blockBytes / bytesPerTile)
            let rowsPerBlock = max(1, min(max(1, budgetTiles / tilesX), (totalRows + w - 1) / w))
            let rowBlocks = (totalRows + rowsPerBlock - 1) / rowsPerBlock
            let cacheChunkRows = Filters.chunkRows(inChannels: g.inChannels)
            if workers > 1 && rowBlocks <= w && rowsPerBlock * tilesX <= Self.maxChannelSplitTiles
                && g.outChannels > 16
            {
                // Output channels: V shared by the workers and M per worker, so a block may hold `workers` times
                // the budget; chunks a multiple of 16 rows, as many as makes every worker's count equal.
                kind = .outputChannels
                let sharedBudget = max(minBlockTiles, workers * blockBytes / bytesPerTile)
                self.rowsPerBlock = max(1, min(totalRows, sharedBudget / tilesX))
                let minChunks = (g.outChannels + cacheChunkRows - 1) / cacheChunkRows
                let chunks = (minChunks + workers - 1) / workers * workers
                chunkRows = ((g.outChannels + chunks - 1) / chunks + 15) / 16 * 16
                inCache = (totalRows + self.rowsPerBlock - 1) / self.rowsPerBlock <= maxInCacheBlocks
            } else {
                kind = .tileRows
                self.rowsPerBlock = rowsPerBlock
                chunkRows = cacheChunkRows
                inCache = (rowBlocks + w - 1) / w <= maxInCacheBlocks
            }
        }
    }
}

import GhostAnalysis
import GhostModels
import GhostTensor

/// The calibration statistics a data-driven conversion is built from, gathered once for several (s, d) options
/// per conv: each conv's channel correlation (one pass over the batches), the intrinsic selection at every
/// ratio asked for, and the exact least-squares cheap kernels of every ghost channel at every d asked for (one
/// more pass; a pair fitted for several ratios is accumulated once, and each d is a principal sub-block of the
/// largest one's normal equations). A guided conversion gathers them for its whole grid and shares them between
/// the residuals, the per-option conversions of the damage pass and the final conversion, instead of two passes
/// per conversion.
public struct ConversionStatistics {
    /// Per conv name: the selection at each ratio s gathered.
    public let selections: [String: [Int: IntrinsicSelection]]
    /// Per conv name, s and d: each original channel's fit (nil for intrinsic channels).
    public let fits: [String: [Int: [Int: [FittedKernel?]]]]
    /// Per conv name: the channel covariance (n × n, row-major) and the BN output's shape in the last part seen.
    public let covariances: [String: [Double]], shapes: [String: [Int]]

    /// The selection of `site` at ratio s (s = 1, always gathered: every channel intrinsic), or nil.
    public func selection(_ site: String, s: Int) -> IntrinsicSelection? {
        selections[site]?[s]
    }

    /// The fits of `site` at (s, d), or nil if that option was not gathered (or has no ghosts).
    public func fits(_ site: String, s: Int, d: Int) -> [FittedKernel?]? { fits[site]?[s]?[d] }

    /// Whether every (s, d) of `options` was gathered for `site`.
    public func covers(_ site: String, _ options: [(s: Int, d: Int)]) -> Bool {
        options.allSatisfy { o in selections[site]?[o.s] != nil && (o.s == 1 || fits[site]?[o.s]?[o.d] != nil) }
    }

    /// Runs the original over `batches` twice (correlations, then fits) for the options `options(site)` of each
    /// site; s = 1 needs no fit. Under mpirun the sums are all-reduced, so every rank holds the same statistics.
    public static func gather(_ model: ResNet, sites: [ResNetToGhost.Site], batches: CalibrationBatches,
                              options: (ResNetToGhost.Site) -> [(s: Int, d: Int)]) throws -> ConversionStatistics {
        var corr = Dictionary(uniqueKeysWithValues: sites.map {
            ($0.name, ChannelCorrelation(channels: $0.conv.outChannels))
        })
        var shapes: [String: [Int]] = [:]
        let byObserved = Dictionary(grouping: sites.indices, by: { sites[$0].observed })
        try ResNetToGhost.observe(model, batches, sites: sites) { name, x in
            for i in byObserved[name] ?? [] {
                corr[sites[i].name]!.add(x)
                shapes[sites[i].name] = x.shape
            }
        }
        for site in sites { corr[site.name]!.allReduce(batches.communicator) }
        // One fitting job per distinct (site, source, target) pair over all ratios, at the site's largest d.
        struct Pair: Hashable { let site: Int, source: Int, target: Int }
        var selections: [String: [Int: IntrinsicSelection]] = [:], covariances: [String: [Double]] = [:]
        var jobs: [Pair] = [], jobOf: [Pair: Int] = [:], maxD: [Int] = [], kernels: [[Int]] = []
        for (i, site) in sites.enumerated() {
            let wanted = options(site), n = site.conv.outChannels, r = corr[site.name]!.pearson()
            covariances[site.name] = corr[site.name]!.covariance()
            kernels.append(Array(Set(wanted.filter { $0.s > 1 }.map(\.d))).sorted())
            maxD.append(kernels[i].max() ?? 1)
            for s in Set(wanted.map(\.s) + [1]).sorted() {  // s = 1 too: the plain modules of the damage pass
                let sel = IntrinsicSelection.greedy(correlation: r, channels: n, ratio: s)
                selections[site.name, default: [:]][s] = sel
                for (k, list) in sel.ghosts.enumerated() {
                    for c in list {
                        let p = Pair(site: i, source: sel.intrinsic[k], target: c)
                        if jobOf[p] == nil { jobOf[p] = jobs.count; jobs.append(p) }
                    }
                }
            }
        }
        var accumulators = jobs.map { KernelFitAccumulator(maxD: maxD[$0.site]) }
        let jobsOf = Dictionary(grouping: jobs.indices, by: { sites[jobs[$0].site].observed })
        try ResNetToGhost.observe(model, batches, sites: sites) { name, x in
            guard let mine = jobsOf[name] else { return }
            accumulators.withUnsafeMutableBufferPointer { acc in
                let acc = acc
                Engine.parallelFor(mine.count) { q in
                    let j = mine[q], job = jobs[j], site = sites[job.site]
                    var src = PairFitting.maps(x, channel: job.source, normalization: .raw)
                    if site.relu { for i in src.indices where src[i] < 0 { src[i] = 0 } }
                    let tgt = PairFitting.maps(x, channel: job.target, normalization: .raw)
                    src.withUnsafeBufferPointer { sp in
                        tgt.withUnsafeBufferPointer { tp in
                            acc[j].add(source: sp.baseAddress!, target: tp.baseAddress!, images: x.shape[0],
                                       height: x.shape[2], width: x.shape[3])
                        }
                    }
                }
            }
        }
        KernelFitAccumulator.allReduce(&accumulators, batches.communicator)
        let solved = jobs.indices.map { accumulators[$0].solve(sizes: kernels[jobs[$0].site]) }
        var fits: [String: [Int: [Int: [FittedKernel?]]]] = [:]
        for (i, site) in sites.enumerated() {
            for (s, sel) in selections[site.name] ?? [:] where s > 1 {
                for (t, d) in kernels[i].enumerated() {
                    var list = [FittedKernel?](repeating: nil, count: site.conv.outChannels)
                    for (k, ghosts) in sel.ghosts.enumerated() {
                        for c in ghosts {
                            list[c] = solved[jobOf[Pair(site: i, source: sel.intrinsic[k], target: c)]!][t]
                        }
                    }
                    fits[site.name, default: [:]][s, default: [:]][d] = list
                }
            }
        }
        return ConversionStatistics(selections: selections, fits: fits, covariances: covariances, shapes: shapes)
    }
}

import Foundation

/// A pair of channels and how alike their maps are.
public struct ChannelPair: Codable, Equatable {
    public let a: Int
    public let b: Int
    /// Pearson correlation over pixels and images.
    public let correlation: Float
    /// MSE between the two maps after standardising each: 2 · (1 − r).
    public var standardizedMSE: Float { 2 * (1 - correlation) }

    enum CodingKeys: String, CodingKey { case a, b, correlation }
}

/// Redundancy statistics of one layer, from its channel correlation matrix.
public struct LayerRedundancy: Codable {
    public let layer: String
    public let channels: Int
    public let threshold: Float
    /// Most similar pairs, best first.
    public let topPairs: [ChannelPair]
    /// Fraction of channels whose best partner correlates ≥ threshold.
    public let fractionWithPartner: Double
    /// Quantiles (0, 10, 25, 50, 75, 90, 100 %) of each channel's best-partner correlation.
    public let bestPartnerQuantiles: [Float]
    /// Channels kept by a greedy cover at the threshold (every other channel has a kept partner ≥ threshold).
    public let intrinsicEstimate: Int
    /// Effective rank of the layer's channel covariance (exp of the entropy of its normalised eigenvalues):
    /// how many independent directions the channels span; nil in reports written before it existed.
    public let effectiveRank: Double?

    enum CodingKeys: String, CodingKey {
        case layer, channels, threshold
        case topPairs = "top_pairs"
        case fractionWithPartner = "fraction_with_partner"
        case bestPartnerQuantiles = "best_partner_quantiles"
        case intrinsicEstimate = "intrinsic_estimate"
        case effectiveRank = "effective_rank"
    }

    /// Size of a greedy cover: repeatedly keep the channel whose threshold-neighbourhood covers the most
    /// uncovered channels (itself included). Counts are updated incrementally: O(C²) overall.
    public static func greedyCover(_ r: [Float], channels C: Int, threshold: Float) -> Int {
        // Symmetric by construction (a GEMM-made matrix can differ in the last bit across the diagonal,
        // and the incremental gains below are only right for an undirected graph).
        var neighbours = [[Int]](repeating: [], count: C)
        for i in 0..<C {
            for j in (i + 1)..<max(C, i + 1) where max(r[i * C + j], r[j * C + i]) >= threshold {
                neighbours[i].append(j)
                neighbours[j].append(i)
            }
        }
        var covered = [Bool](repeating: false, count: C)
        var gain = neighbours.map { $0.count + 1 }
        var left = C
        var kept = 0
        func cover(_ u: Int) {
            guard !covered[u] else { return }
            covered[u] = true
            left -= 1
            gain[u] -= 1
            for c in neighbours[u] { gain[c] -= 1 }
        }
        while left > 0 {
            var best = 0
            for c in 1..<C where gain[c] > gain[best] { best = c }
            kept += 1
            cover(best)
            for u in neighbours[best] { cover(u) }
        }
        return kept
    }

    /// Analyses a C × C correlation matrix; `effectiveRank` is the covariance's (`ChannelCorrelation.effectiveRank`).
    public init(
        layer: String, correlation r: [Float], channels C: Int, threshold: Float, topK: Int, nonOverlapping: Bool,
        effectiveRank: Double? = nil
    ) {
        self.layer = layer
        self.effectiveRank = effectiveRank
        self.channels = C
        self.threshold = threshold
        var pairs: [ChannelPair] = []
        pairs.reserveCapacity(C * (C - 1) / 2)
        for i in 0..<C {
            for j in (i + 1)..<max(C, i + 1) { pairs.append(ChannelPair(a: i, b: j, correlation: r[i * C + j])) }
        }
        pairs.sort { ($0.correlation, -$0.a, -$0.b) > ($1.correlation, -$1.a, -$1.b) }
        var chosen: [ChannelPair] = []
        var used = Set<Int>()
        for p in pairs where chosen.count < topK {
            if nonOverlapping && (used.contains(p.a) || used.contains(p.b)) { continue }
            chosen.append(p)
            used.insert(p.a)
            used.insert(p.b)
        }
        topPairs = chosen
        let best: [Float] = (0..<C).map { i in
            var m: Float = -1
            for j in 0..<C where j != i { m = max(m, r[i * C + j]) }
            return C > 1 ? m : 0
        }
        fractionWithPartner = C == 0 ? 0 : Double(best.filter { $0 >= threshold }.count) / Double(C)
        let sorted = best.sorted()
        bestPartnerQuantiles = [0, 0.1, 0.25, 0.5, 0.75, 0.9, 1].map { q in
            sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int((q * Double(sorted.count - 1)).rounded()))]
        }
        intrinsicEstimate = Self.greedyCover(r, channels: C, threshold: threshold)
    }
}

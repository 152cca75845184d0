import GhostIO

/// Which output channels of a conv a Ghost module keeps as intrinsic (computed by the primary conv) and
/// which intrinsic channel regenerates each of the others, under the depthwise layout's capacity of
/// s − 1 ghost channels per intrinsic channel.
public struct IntrinsicSelection: Equatable {
    /// Intrinsic channels of the original conv, in the module's intrinsic order (m of them).
    public let intrinsic: [Int]
    /// ghosts[k]: original channels regenerated from intrinsic[k] (at most s − 1), in cheap-op slot order.
    public let ghosts: [[Int]]
    public let ratio: Int

    /// The module's output_index: original channel c ← concat(intrinsic, ghost slots) index.
    public var outputIndex: [Int] {
        let m = intrinsic.count, n = intrinsic.count + ghosts.reduce(0) { $0 + $1.count }
        var index = [Int](repeating: -1, count: n)
        for (k, c) in intrinsic.enumerated() { index[c] = k }
        for (k, list) in ghosts.enumerated() { for (t, c) in list.enumerated() { index[c] = m + k * (ratio - 1) + t } }
        return index
    }

    /// Intrinsic channels 0..<m; ghost channel m + q comes from intrinsic q / (s − 1) (the plain module).
    public static func naive(channels n: Int, ratio s: Int) -> IntrinsicSelection {
        let m = (n + s - 1) / s
        var ghosts = [[Int]](repeating: [], count: m)
        for c in m..<n { ghosts[(c - m) / (s - 1)].append(c) }
        return IntrinsicSelection(intrinsic: Array(0..<m), ghosts: ghosts, ratio: s)
    }

    /// Greedy capacitated cover on r² (the R² of the best 1×1 affine fit between two channels): repeatedly
    /// make intrinsic the unassigned channel whose s − 1 best unassigned partners it explains best (Σ r²),
    /// and give it those partners. Every channel ends up intrinsic or assigned; m = ⌈n/s⌉ intrinsics.
    public static func greedy(correlation r: [Float], channels n: Int, ratio s: Int) -> IntrinsicSelection {
        let m = (n + s - 1) / s
        var isFree = [Bool](repeating: true, count: n)
        var freeCount = n
        var intrinsic: [Int] = [], ghosts: [[Int]] = []
        while intrinsic.count < m {
            // Partners this intrinsic may take without leaving the later intrinsics without a channel.
            let take = min(s - 1, freeCount - (m - intrinsic.count))
            var best = -1, bestScore = -Double.infinity, bestPartners: [Int] = []
            for c in 0..<n where isFree[c] {
                let partners = topPartners(r, n, c, take, isFree)
                let score = partners.reduce(0.0) { $0 + r2(r, n, c, $1) }
                if score > bestScore { best = c; bestScore = score; bestPartners = partners }
            }
            intrinsic.append(best)
            ghosts.append(bestPartners)
            isFree[best] = false
            for p in bestPartners { isFree[p] = false }
            freeCount -= 1 + bestPartners.count
        }
        precondition(freeCount == 0, "intrinsic selection left channels unassigned")
        return IntrinsicSelection(intrinsic: intrinsic, ghosts: ghosts, ratio: s)
    }

    /// The `k` free channels (other than c) with the largest r² to c, best first (ties: lower index).
    static func topPartners(_ r: [Float], _ n: Int, _ c: Int, _ k: Int, _ isFree: [Bool]) -> [Int] {
        guard k > 0 else { return [] }
        var top: [(score: Double, channel: Int)] = []
        for j in 0..<n where j != c && isFree[j] {
            let v = r2(r, n, c, j)
            if top.count == k && v <= top[k - 1].score { continue }
            var i = top.count
            while i > 0 && top[i - 1].score < v { i -= 1 }
            top.insert((v, j), at: i)
            if top.count > k { top.removeLast() }
        }
        return top.map(\.channel)
    }

    @inline(__always)
    static func r2(_ r: [Float], _ n: Int, _ a: Int, _ b: Int) -> Double { Double(r[a * n + b]) * Double(r[a * n + b]) }
}

import GhostAnalysis
import GhostTensor
import XCTest

final class RedundancyTests: XCTestCase {
    /// Symmetric correlation matrix with unit diagonal and the given off-diagonal entries.
    private func matrix(_ c: Int, _ entries: [(Int, Int, Float)]) -> [Float] {
        var r = [Float](repeating: 0, count: c * c)
        for i in 0..<c { r[i * c + i] = 1 }
        for (i, j, v) in entries { r[i * c + j] = v; r[j * c + i] = v }
        return r
    }

    func testTopPairsNonOverlappingAndStatistics() {
        // 0–1 0.95, 0–2 0.9, 3–4 0.8, 2–5 0.7; channel 6 alone.
        let r = matrix(7, [(0, 1, 0.95), (0, 2, 0.9), (3, 4, 0.8), (2, 5, 0.7)])
        let overlapping = LayerRedundancy(layer: "x", correlation: r, channels: 7, threshold: 0.75, topK: 3, nonOverlapping: false)
        XCTAssertEqual(overlapping.topPairs.map { [$0.a, $0.b] }, [[0, 1], [0, 2], [3, 4]])
        let disjoint = LayerRedundancy(layer: "x", correlation: r, channels: 7, threshold: 0.75, topK: 3, nonOverlapping: true)
        XCTAssertEqual(disjoint.topPairs.map { [$0.a, $0.b] }, [[0, 1], [3, 4], [2, 5]])
        // Best partners: 0.95 0.95 0.9 0.8 0.8 0.7 0 → five of seven ≥ 0.75.
        XCTAssertEqual(disjoint.fractionWithPartner, 5.0 / 7.0, accuracy: 1e-12)
        XCTAssertEqual(disjoint.bestPartnerQuantiles.first, 0)
        XCTAssertEqual(disjoint.bestPartnerQuantiles.last, 0.95)
        XCTAssertEqual(disjoint.bestPartnerQuantiles[3], 0.8) // median of 7 values
        // Cover at 0.75: {0 covers 1,2}, {3 covers 4}, {5}, {6} → 4 intrinsic channels.
        XCTAssertEqual(disjoint.intrinsicEstimate, 4)
        XCTAssertEqual(disjoint.topPairs[0].standardizedMSE, 0.1, accuracy: 1e-6)
    }

    func testGreedyCoverIsAValidCover() {
        // Random symmetric matrix: every channel must be kept or have a kept neighbour ≥ threshold,
        // and the cover can never beat the number of connected groups nor exceed C.
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<20 {
            let c = Int.random(in: 1...30, using: &rng)
            var r = [Float](repeating: 0, count: c * c)
            for i in 0..<c { r[i * c + i] = 1; for j in (i + 1)..<max(c, i + 1) { let v = Float.random(in: -1...1, using: &rng); r[i * c + j] = v; r[j * c + i] = v } }
            let k = LayerRedundancy.greedyCover(r, channels: c, threshold: 0.6)
            XCTAssertGreaterThanOrEqual(k, 1)
            XCTAssertLessThanOrEqual(k, c)
            let noEdges = LayerRedundancy.greedyCover(r, channels: c, threshold: 2)
            XCTAssertEqual(noEdges, c)
            let allEdges = LayerRedundancy.greedyCover(r, channels: c, threshold: -2)
            XCTAssertEqual(allEdges, 1)
        }
    }

    /// A correlation matrix that differs across the diagonal in the last bits (as a GEMM can make it)
    /// must still terminate with a valid cover (this hung before the neighbour graph was symmetrised).
    func testGreedyCoverOnSlightlyAsymmetricMatrix() {
        var rng = SplitMix64(seed: 11)
        let c = 40
        var r = [Float](repeating: 0, count: c * c)
        for i in 0..<c { for j in 0..<c { r[i * c + j] = i == j ? 1 : Float.random(in: 0.85...0.95, using: &rng) } }
        for t: Float in [0.86, 0.9, 0.94] {
            let k = LayerRedundancy.greedyCover(r, channels: c, threshold: t)
            XCTAssertTrue((1...c).contains(k))
        }
    }

    func testSingleChannelLayer() {
        let l = LayerRedundancy(layer: "x", correlation: [1], channels: 1, threshold: 0.5, topK: 4, nonOverlapping: true)
        XCTAssertTrue(l.topPairs.isEmpty)
        XCTAssertEqual(l.fractionWithPartner, 0)
        XCTAssertEqual(l.intrinsicEstimate, 1)
    }
}

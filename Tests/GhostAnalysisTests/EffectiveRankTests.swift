import Foundation
import GhostAnalysis
import GhostTensor
import XCTest

final class EffectiveRankTests: XCTestCase {
    /// Q diag(λ) Qᵀ for a random orthogonal Q has effective rank exp(H(λ / Σλ)), whatever Q.
    func testRotatedSpectrum() {
        var rng = SplitMix64(seed: 8)
        let n = 6, lambda: [Double] = [5, 3, 1, 0.5, 0.25, 0]
        var q = [[Double]]()
        while q.count < n {
            var v = (0..<n).map { _ in Double.random(in: -1...1, using: &rng) }
            for u in q { let d = zip(u, v).reduce(0) { $0 + $1.0 * $1.1 }; for i in 0..<n { v[i] -= d * u[i] } }
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            q.append(v.map { $0 / norm })
        }
        var a = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0..<n { a[i * n + j] = (0..<n).reduce(0) { $0 + q[$1][i] * lambda[$1] * q[$1][j] } } }
        let p = lambda.map { $0 / lambda.reduce(0, +) }
        let want = exp(-p.filter { $0 > 0 }.reduce(0) { $0 + $1 * log($1) })
        XCTAssertEqual(EffectiveRank.of(symmetric: a, n: n)!, want, accuracy: 1e-9)
        XCTAssertEqual(EffectiveRank.eigenvalues(symmetric: a, n: n)!.last!, 5, accuracy: 1e-9)
    }

    func testExtremes() {
        let identity = (0..<16).map { $0 % 5 == 0 ? 2.0 : 0 }
        XCTAssertEqual(EffectiveRank.of(symmetric: identity, n: 4)!, 4, accuracy: 1e-12)
        let rankOne = [1.0, 2, 2, 4]  // v vᵀ
        XCTAssertEqual(EffectiveRank.of(symmetric: rankOne, n: 2)!, 1, accuracy: 1e-9)
        XCTAssertNil(EffectiveRank.of(symmetric: [0, 0, 0, 0], n: 2))
    }

    /// The scan's accumulator: two exact copies of one channel plus an independent one span about two directions.
    func testChannelCovariance() {
        var rng = SplitMix64(seed: 1)
        let (n, hw) = (4, 64)
        var v = [Float](repeating: 0, count: n * 3 * hw)
        for i in 0..<n {
            for p in 0..<hw {
                let a = Float.random(in: -1...1, using: &rng), b = Float.random(in: -1...1, using: &rng)
                v[(i * 3) * hw + p] = a; v[(i * 3 + 1) * hw + p] = a; v[(i * 3 + 2) * hw + p] = b * 1.4142135
            }
        }
        var c = ChannelCorrelation(channels: 3)
        c.add(Tensor(shape: [n, 3, 8, 8], values: v))
        let e = c.effectiveRank()!
        XCTAssertGreaterThan(e, 1.8)
        XCTAssertLessThan(e, 2.2)
        XCTAssertNil(ChannelCorrelation(channels: 3).effectiveRank())
    }
}

import GhostAnalysis
import GhostIO
import GhostTensor
import XCTest

final class ChannelCorrelationTests: XCTestCase {
    /// Naive two-pass Pearson r between channels i and j over all pixels of all images.
    private func naivePearson(_ x: [Float], n: Int, c: Int, hw: Int, _ i: Int, _ j: Int) -> Double {
        func values(_ ch: Int) -> [Double] {
            (0..<n).flatMap { b in (0..<hw).map { Double(x[(b * c + ch) * hw + $0]) } }
        }
        let a = values(i), b = values(j)
        let ma = a.reduce(0, +) / Double(a.count), mb = b.reduce(0, +) / Double(b.count)
        var sab = 0.0, saa = 0.0, sbb = 0.0
        for k in a.indices { sab += (a[k] - ma) * (b[k] - mb); saa += (a[k] - ma) * (a[k] - ma); sbb += (b[k] - mb) * (b[k] - mb) }
        return sab / (saa * sbb).squareRoot()
    }

    func testGramPearsonMatchesNaiveOverSeveralBatches() {
        var rng = SplitMix64(seed: 7)
        let (n, c, h, w) = (5, 6, 4, 3)
        var values = (0..<(n * c * h * w)).map { _ in Float.random(in: -1...2, using: &rng) }
        // Channel 4 = 3 · channel 1 + 0.5 (r = 1), channel 5 = −channel 2 (r = −1).
        for b in 0..<n { for p in 0..<(h * w) {
            values[(b * c + 4) * h * w + p] = 3 * values[(b * c + 1) * h * w + p] + 0.5
            values[(b * c + 5) * h * w + p] = -values[(b * c + 2) * h * w + p]
        } }
        var corr = ChannelCorrelation(channels: c)
        // Two batches (3 + 2 images): streaming must equal the one-shot answer.
        let per = c * h * w
        corr.add(Tensor(shape: [3, c, h, w], values: Array(values[0..<(3 * per)])))
        corr.add(Tensor(shape: [2, c, h, w], values: Array(values[(3 * per)...])))
        XCTAssertEqual(corr.samples, n * h * w)
        let r = corr.pearson()
        for i in 0..<c { for j in 0..<c {
            let want = i == j ? 1 : naivePearson(values, n: n, c: c, hw: h * w, i, j)
            XCTAssertEqual(Double(r[i * c + j]), want, accuracy: 1e-4, "r[\(i),\(j)]")
        } }
        XCTAssertEqual(r[1 * c + 4], 1, accuracy: 1e-4)
        XCTAssertEqual(r[2 * c + 5], -1, accuracy: 1e-4)
    }

    func testConstantChannelCorrelatesZero() {
        var corr = ChannelCorrelation(channels: 2)
        corr.add(Tensor(shape: [1, 2, 1, 3], values: [1, 2, 3, 5, 5, 5]))
        let r = corr.pearson()
        XCTAssertEqual(r, [1, 0, 0, 1])
    }
}

import Foundation
import GhostAnalysis
import GhostModels
import GhostTensor
import GhostTestSupport
import XCTest

final class LinearCKATests: XCTestCase {
    struct Fixture: Decodable {
        struct Batch: Decodable { let hsic_xy: Double, hsic_xx: Double, hsic_yy: Double }
        let batch: Int, batches: Int
        let shape_x: [Int], shape_y: [Int]
        let x: [Double], y: [Double]
        let per_batch: [Batch]
        let cka: Double
    }

    private func fixture() throws -> Fixture {
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("cka_minibatch.json")))
        return try JSONDecoder().decode(Fixture.self, from: data)
    }

    /// Rows `range` of an [N, shape…] activation array as a Tensor.
    private func tensor(_ v: [Double], shape: [Int], rows: Range<Int>) -> Tensor {
        let per = shape.reduce(1, *)
        return Tensor(shape: [rows.count] + shape, values: v[(rows.lowerBound * per)..<(rows.upperBound * per)].map(Float.init))
    }

    private func rel(_ a: Double, _ b: Double) -> Double { abs(a - b) / max(abs(b), 1e-300) }

    /// The closed form against numpy's brute-force U-statistic, batch by batch, and the minibatch CKA.
    func testMatchesNumpyUStatistic() throws {
        let f = try fixture()
        var cka = LinearCKA()
        for b in 0..<f.batches {
            let rows = (b * f.batch)..<((b + 1) * f.batch)
            let k = MinibatchGram(activations: tensor(f.x, shape: f.shape_x, rows: rows))
            let l = MinibatchGram(activations: tensor(f.y, shape: f.shape_y, rows: rows))
            let want = f.per_batch[b]
            XCTAssertLessThan(rel(LinearCKA.hsic(k, l), want.hsic_xy), 1e-6, "batch \(b) HSIC(K, L)")
            XCTAssertLessThan(rel(LinearCKA.hsic(k, k), want.hsic_xx), 1e-6, "batch \(b) HSIC(K, K)")
            XCTAssertLessThan(rel(LinearCKA.hsic(l, l), want.hsic_yy), 1e-6, "batch \(b) HSIC(L, L)")
            cka.add(k, l)
        }
        XCTAssertLessThan(rel(cka.value!, f.cka), 1e-6)
        XCTAssertEqual(cka.examples, f.batch * f.batches)
        XCTAssertGreaterThan(f.cka, 0.1)
        XCTAssertLessThan(f.cka, 0.95)  // the fixture is not a trivial case
    }

    /// A random orthogonal Q (Gram–Schmidt) and an isotropic scale leave CKA at exactly 1 (up to rounding),
    /// while an anisotropic scaling of the features does not.
    func testInvariances() {
        var rng = SplitMix64(seed: 11)
        let (n, p) = (40, 12)
        let x = (0..<(n * p)).map { _ in Double.random(in: -1...1, using: &rng) }
        var q = [[Double]]()
        while q.count < p {
            var v = (0..<p).map { _ in Double.random(in: -1...1, using: &rng) }
            for u in q { let d = zip(u, v).reduce(0) { $0 + $1.0 * $1.1 }; for i in 0..<p { v[i] -= d * u[i] } }
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            q.append(v.map { $0 / norm })
        }
        func transform(_ f: (Int, Int) -> Double) -> Tensor {
            Tensor(shape: [n, p], values: (0..<(n * p)).map { Float(f($0 / p, $0 % p)) })
        }
        let tx = transform { i, j in x[i * p + j] }
        let rotated = transform { i, j in (0..<p).reduce(0) { $0 + x[i * p + $1] * q[$1][j] } }
        let scaled = transform { i, j in 7.5 * x[i * p + j] }
        let stretched = transform { i, j in x[i * p + j] * (j == 0 ? 10 : 1) }
        for (name, y, want) in [("rotation", rotated, true), ("isotropic scale", scaled, true), ("anisotropic", stretched, false)] {
            var c = LinearCKA()
            for b in 0..<4 { c.add(x: rows(tx, b * 10, 10), y: rows(y, b * 10, 10)) }
            if want { XCTAssertEqual(c.value!, 1, accuracy: 1e-5, name) } else { XCTAssertLessThan(c.value!, 0.9, name) }
        }
    }

    private func rows(_ t: Tensor, _ start: Int, _ count: Int) -> Tensor {
        let per = t.count / t.shape[0]
        return Tensor(shape: [count] + Array(t.shape.dropFirst()), values: Array(t.scalars[(start * per)..<((start + count) * per)]))
    }

    /// Accumulating batch by batch equals the minibatch formula evaluated at once from all batches' HSICs.
    func testStreamingEqualsOneShot() {
        var rng = SplitMix64(seed: 3)
        let (n, p) = (24, 9)
        let x = Tensor(shape: [n, p], values: (0..<(n * p)).map { _ in Float.random(in: -1...1, using: &rng) })
        let y = Tensor(shape: [n, p], values: x.scalars.enumerated().map { i, v in
            v * Float(1 + i % p) + Float.random(in: -0.1...0.1, using: &rng)
        })
        var streamed = LinearCKA()
        for b in 0..<3 { streamed.add(x: rows(x, b * 8, 8), y: rows(y, b * 8, 8)) }
        var xy = 0.0, xx = 0.0, yy = 0.0
        for b in 0..<3 {
            let k = MinibatchGram(activations: rows(x, b * 8, 8)), l = MinibatchGram(activations: rows(y, b * 8, 8))
            xy += LinearCKA.hsic(k, l); xx += LinearCKA.hsic(k, k); yy += LinearCKA.hsic(l, l)
        }
        XCTAssertEqual(streamed.value!, xy / (xx * yy).squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(streamed.batches, 3)
        XCTAssertNil(LinearCKA().value)
    }
}

final class SimilarityRunTests: XCTestCase {
    /// A model against itself: every same-named layer has CKA 1, and the cross matrix is symmetric (HSIC is).
    func testModelAgainstItself() throws {
        let arch = try Architecture(name: "resnet20", inChannels: 1, numClasses: 10)
        let model = arch.build(seed: 4)
        let layers = ["stem", "layer1.0", "layer2.2", "layer3.2"]
        var same = try SimilarityRun(layersA: layers, layersB: layers, pairing: .sameName)
        var cross = try SimilarityRun(layersA: layers, layersB: layers, pairing: .cross)
        var rng = SplitMix64(seed: 9)
        for size in [6, 6, 3] {
            let x = Tensor(shape: [size, 1, 12, 12], values: (0..<(size * 144)).map { _ in Float.random(in: -1...1, using: &rng) })
            try same.add(model, x, model, x)
            try cross.add(model, x, model, x)
        }
        XCTAssertEqual(same.skippedImages, 3)
        for i in layers.indices {
            XCTAssertEqual(same.cka[i][0].value!, 1, accuracy: 1e-9, layers[i])
            XCTAssertEqual(same.cka[i][0].examples, 12)
            for j in layers.indices { XCTAssertEqual(cross.cka[i][j].value!, cross.cka[j][i].value!, accuracy: 1e-9) }
        }
        XCTAssertLessThan(cross.cka[0][3].value!, 0.99)  // the stem and the last block differ

        // Streamed through the models = computed afterwards from every stored activation.
        let other = arch.build(seed: 5)
        var streamed = try SimilarityRun(layersA: layers, layersB: layers, pairing: .sameName)
        var stored: [[String: Tensor]] = [[:], [:]]
        var reference = [LinearCKA](repeating: LinearCKA(), count: layers.count)
        for _ in 0..<3 {
            let x = Tensor(shape: [5, 1, 12, 12], values: (0..<(5 * 144)).map { _ in Float.random(in: -1...1, using: &rng) })
            try streamed.add(model, x, other, x)
            for (k, m) in [model, other].enumerated() {
                m.observer = { name, t in if layers.contains(name) { stored[k][name] = Tensor(shape: t.shape, values: t.scalars) } }
                _ = m(x)
                m.observer = nil
            }
            for (i, l) in layers.enumerated() { reference[i].add(x: stored[0][l]!, y: stored[1][l]!) }
        }
        for i in layers.indices {
            XCTAssertEqual(streamed.cka[i][0].value!, reference[i].value!, accuracy: 1e-12, layers[i])
        }
        XCTAssertLessThan(streamed.cka[0][0].value!, 0.999, "two different random stems")
        let report = SimilarityReport(run: cross, modelA: "a", modelB: "b", checkpointA: "a", checkpointB: "b", batchSize: 6)
        XCTAssertEqual(report.sameNamed.count, layers.count)
        XCTAssertEqual(report.matrix.count, layers.count)
        XCTAssertThrowsError(try SimilarityRun(layersA: ["stem"], layersB: ["layer1.0"], pairing: .sameName))
    }
}

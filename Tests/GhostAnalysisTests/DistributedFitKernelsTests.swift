import Foundation
import GhostAnalysis
import GhostTensor
import XCTest

/// fit-kernels on K ranks (threads here, `ThreadRanks`): each sums its contiguous share of the images, the sums are
/// all-reduced, and every rank's report is the one-process report (and the in-memory fits).
extension StreamedFitKernelsTests {
    func testRanksEqualOneProcess() throws {
        let x = try makeScan()
        var c = FitKernelsConfig(scanDir: dir)
        (c.randomPairs, c.imagesPerRead) = (4, 2)
        let one = try FitKernelsRun.run(c)
        for size in [2, 3] {
            let world = ThreadRanks(size: size), lock = NSLock()
            var reports: [Int: (report: FitKernelsReport, triplets: [FitTriplet])] = [:]
            world.run { comm in
                var mine = c
                mine.communicator = comm
                let r = try? FitKernelsRun.run(mine)
                lock.lock(); reports[comm.rank] = r; lock.unlock()
            }
            XCTAssertEqual(reports.count, size, "every rank finished")
            for (rank, got) in reports {
                XCTAssertEqual(got.report.pairs.count, one.report.pairs.count)
                for (p, q) in zip(got.report.pairs, one.report.pairs) {
                    XCTAssertEqual([p.a, p.b], [q.a, q.b])
                    XCTAssertEqual(p.correlation, q.correlation, accuracy: 1e-6, "K=\(size) rank \(rank)")
                    let reference = PairFitting.fit(x, pairs: [(a: p.a, b: p.b)], sizes: c.sizes,
                                                    normalization: .minmax, bias: true)[0]
                    for (f, r) in zip(p.fits, reference) {
                        XCTAssertEqual(f.mse, r.mse, accuracy: 1e-9 + 1e-7 * r.mse, "K=\(size) \(p.a)→\(p.b)")
                    }
                    for (f, g) in zip(p.fits, q.fits) {
                        XCTAssertEqual(f.mse, g.mse, accuracy: 1e-12 + 1e-9 * g.mse)
                        for (u, v) in zip(f.kernel, g.kernel) { XCTAssertEqual(u, v, accuracy: 1e-9 * max(1, abs(v))) }
                    }
                    for (mode, mses) in q.otherNormalizations ?? [:] {
                        let mine = try XCTUnwrap(p.otherNormalizations?[mode])
                        for (u, v) in zip(mine, mses) { XCTAssertEqual(u, v, accuracy: 1e-12 + 1e-9 * v) }
                    }
                }
                // Image 4 lies in another rank's share for some ranks: they read it for the triplet themselves.
                XCTAssertEqual(got.triplets.map(\.label), ["blue", "green", "red"])
                XCTAssertEqual(got.triplets.map(\.source), one.triplets.map(\.source))
            }
        }
    }
}

import GhostConvert
import GhostModels
import GhostTensor
import XCTest

final class ConversionStatisticsTests: XCTestCase {
    /// Calibration batches that count how often a batch is made (one count per batch per pass).
    final class Counted {
        var made = 0
        let tensors: [Tensor]
        init(_ tensors: [Tensor]) { self.tensors = tensors }
        var batches: CalibrationBatches {
            CalibrationBatches(count: tensors.count) { [self] i in
                made += 1
                return tensors[i]
            }
        }
    }

    /// Largest |a − b| over the same-named parameters and buffers of two models.
    static func maxDifference(_ a: Module, _ b: Module) -> Float {
        let other = Dictionary(b.namedParameters().map { ($0.0, $0.1.value) }, uniquingKeysWith: { x, _ in x })
        var worst: Float = 0
        for (name, p) in a.namedParameters() {
            guard let q = other[name], q.shape == p.value.shape else { return .infinity }
            for i in 0..<q.count { worst = max(worst, abs(p.value.readPointer[i] - q.readPointer[i])) }
        }
        return worst
    }

    /// Gathered once for a whole grid, the statistics cost two passes over the batches; conversions built from
    /// them make no pass at all and equal the conversions that gather their own (bit for bit where the largest d
    /// is the conversion's own, to rounding where d = 1 is the 3×3 normal equations' centre sub-block); the
    /// damage pass built from them makes only the probe's batches and gives the same damages, and a grid the
    /// statistics do not cover falls back to gathering.
    func testSharedStatisticsEqualSeparatePasses() throws {
        let (arch, model, tensors, sites) = try GuidedDamageTests.duplicatedResNet20()
        let counted = Counted(tensors)
        let grid = GuidedRatios.optionGrid
        let stats = try ConversionStatistics.gather(model, sites: sites, batches: counted.batches,
                                                    options: { _ in grid })
        XCTAssertEqual(counted.made, 2 * tensors.count, "one correlation pass and one fitting pass")
        for site in sites { XCTAssertTrue(stats.covers(site.name, grid + [(1, 1)])) }
        XCTAssertFalse(stats.covers(sites[0].name, [(5, 3)]))

        for (s, d, exact) in [(3, 3, true), (2, 1, false), (4, 3, true)] {
            counted.made = 0
            let settings = ResNetToGhost.Settings(ghost: GhostSettings(s: s, d: d))
            let shared = try ResNetToGhost.convert(model, architecture: arch, settings: settings,
                                                   calibration: counted.batches, statistics: stats)
            XCTAssertEqual(counted.made, 0, "s=\(s) d=\(d): no pass with shared statistics")
            let own = try ResNetToGhost.convert(model, architecture: arch, settings: settings,
                                                calibration: counted.batches)
            XCTAssertEqual(counted.made, 2 * tensors.count)
            let diff = Self.maxDifference(shared.model, own.model)
            if exact {
                XCTAssertEqual(diff, 0, "s=\(s) d=\(d)")
            } else {
                XCTAssertLessThan(diff, 1e-4, "s=\(s) d=\(d)")
            }
            XCTAssertEqual(shared.units.map(\.intrinsic), own.units.map(\.intrinsic))
        }
        // Not covered (s = 5): gathered by the conversion itself, two passes.
        counted.made = 0
        _ = try ResNetToGhost.convert(model, architecture: arch, settings: .init(ghost: GhostSettings(s: 5, d: 3)),
                                      calibration: counted.batches, statistics: stats)
        XCTAssertEqual(counted.made, 2 * tensors.count)

        counted.made = 0
        let fast = try GuidedDamage.measure(model, architecture: arch, sites: sites, calibration: counted.batches,
                                            probeImages: 24, statistics: stats)
        XCTAssertEqual(counted.made, 2, "only the probe's two batches")
        let slow = try GuidedDamage.measure(model, architecture: arch, sites: sites,
                                            calibration: CalibrationBatches(tensors), probeImages: 24)
        XCTAssertEqual(fast.passes, slow.passes)
        for (a, b) in zip(fast.damages.joined(), slow.damages.joined()) {
            XCTAssertEqual(a, b, accuracy: 1e-5 * max(abs(b), 1e-4))
        }
    }
}

import GhostConvert
import GhostModels
import GhostTensor
import XCTest

final class JointDamageTests: XCTestCase {
    /// A whole mixed plan (plain, s = 2 and s = 4 convs) on the duplicated ResNet-20: the joint KL (no AdaBN) is
    /// the KL of the model built the obvious way (`ResNetToGhost.convert` with those per-conv ratios) on the same
    /// 24 probe images; with AdaBN it is finite and ≥ 0; the all-plain plan scores 0; moved to another probe it
    /// scores as an evaluator built on that probe.
    func testJointKLOfAMixedPlan() throws {
        let (arch, model, batches, sites) = try GuidedDamageTests.duplicatedResNet20()
        let cycle = [(s: 1, d: 1), (s: 2, d: 3), (s: 4, d: 1)]
        let options = Dictionary(uniqueKeysWithValues: sites.indices.map { ($0, cycle[$0 % 3]) })
        let joint = try JointDamage(model, architecture: arch, sites: sites, calibration: CalibrationBatches(batches),
                                    probeImages: 24, recalibrate: false)
        XCTAssertEqual(joint.probeImages, 24)
        let kl = try joint.kl(options)

        let ratios = Dictionary(uniqueKeysWithValues: sites.enumerated().map { i, site in
            (site.name, GhostSettings.ConvRatio(s: options[i]!.s, d: options[i]!.d))
        })
        let expected = try GuidedDamageTests.builtKL(model, arch, ratios: ratios, batches: batches)
        XCTAssertGreaterThan(expected, 1e-6)
        XCTAssertEqual(kl, expected, accuracy: 1e-6 * expected + 1e-9)
        XCTAssertEqual(try joint.kl([:]), 0, accuracy: 1e-9)

        let adapted = try JointDamage(model, architecture: arch, sites: sites, calibration: CalibrationBatches(batches),
                                      probeImages: 32)
        let v = try adapted.kl(options)
        XCTAssertTrue(v.isFinite && v >= 0, "\(v)")

        // Another probe: sharing the converted parameters changes nothing against an evaluator built on it.
        var rng = SplitMix64(seed: 9)
        let other = Tensor(gaussian: [10, 1, 12, 12], std: 1, rng: &rng)
        let fresh = try JointDamage(model, architecture: arch, sites: sites, calibration: CalibrationBatches(batches),
                                    probe: other)
        let moved = adapted.on(probe: other)
        XCTAssertEqual(moved.probeImages, 10)
        XCTAssertEqual(try moved.kl(options), try fresh.kl(options), accuracy: 1e-12)
    }

    /// With the conversion's own AdaBN (`.calibration`) the joint KL is that of the model `convert` saves: converted
    /// with those per-conv ratios, recalibrated over the calibration batches (plain modules too), run in eval mode.
    func testCalibrationAdaBNScoresTheSavedModel() throws {
        let (arch, model, batches, sites) = try GuidedDamageTests.duplicatedResNet20()
        let cycle = [(s: 2, d: 3), (s: 1, d: 1), (s: 4, d: 1)]
        let options = Dictionary(uniqueKeysWithValues: sites.indices.map { ($0, cycle[$0 % 3]) })
        let probeBatch = try JointDamage(model, architecture: arch, sites: sites,
                                         calibration: CalibrationBatches(batches), probeImages: 24)
        let probe = Tensor(shape: [24, 1, 12, 12],
                           values: Array(batches[0].scalars + batches[1].scalars.prefix(8 * 144)))
        let calibrated = probeBatch.on(probe: probe, adaBN: .calibration)
        let ratios = Dictionary(uniqueKeysWithValues: sites.enumerated().map { i, site in
            (site.name, GhostSettings.ConvRatio(s: options[i]!.s, d: options[i]!.d))
        })
        let expected = try GuidedDamageTests.builtKL(model, arch, ratios: ratios, batches: batches, recalibrated: true)
        XCTAssertGreaterThan(expected, 1e-6)
        XCTAssertEqual(try calibrated.kl(options), expected, accuracy: 1e-5 * expected + 1e-9)
        XCTAssertNotEqual(try probeBatch.kl(options), expected, accuracy: 1e-5 * expected)
        XCTAssertEqual(try calibrated.kl([:]), try GuidedDamageTests.builtKL(
            model, arch, ratios: Dictionary(uniqueKeysWithValues: sites.map { ($0.name, .init(s: 1, d: 1)) }),
            batches: batches, recalibrated: true), accuracy: 1e-9)
    }
}

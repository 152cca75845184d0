import GhostConvert
import GhostModels
import GhostTensor
import XCTest

final class GuidedDamageTests: XCTestCase {
    /// KL(p ‖ q) per image from raw logits, written out independently of GuidedDamage.
    static func kl(_ a: Tensor, _ b: Tensor) -> Double {
        let (n, k) = (a.shape[0], a.shape[1])
        var total = 0.0
        for r in 0..<n {
            let za = (0..<k).map { Double(a.scalars[r * k + $0]) }, zb = (0..<k).map { Double(b.scalars[r * k + $0]) }
            let la = log(za.map { exp($0 - za.max()!) }.reduce(0, +)) + za.max()!
            let lb = log(zb.map { exp($0 - zb.max()!) }.reduce(0, +)) + zb.max()!
            for c in 0..<k { total += exp(za[c] - la) * ((za[c] - la) - (zb[c] - lb)) }
        }
        return total / Double(n)
    }

    /// On a ResNet-20 whose layer1.0.conv2 has every odd output channel an exact copy of the even one before it:
    /// converting that conv at s = 2 costs ~0 (each ghost is an exact copy of its intrinsic map) while s = 4 does
    /// not; every damage is finite and ≥ 0; and a damage equals the KL of the model built the obvious way
    /// (`ResNetToGhost.convert` with only that conv converted) — the parameter splicing changes nothing.
    func testMeasuredDamage() throws {
        let (arch, model, batches, sites) = try Self.duplicatedResNet20()
        let i = sites.firstIndex { $0.name == "layer1.0.conv2" }!
        let grid = GuidedRatios.optionGrid
        let (s2, s4) = (grid.firstIndex { $0 == (2, 1) }!, grid.firstIndex { $0 == (4, 1) }!)

        let raw = try GuidedDamage.measure(model, architecture: arch, sites: sites, calibration: CalibrationBatches(batches),
                                           probeImages: 24, recalibrate: false)
        XCTAssertEqual(raw.passes, sites.count * grid.count)
        XCTAssertLessThan(raw.damages[i][s2], 1e-6, "\(raw.damages[i])")
        XCTAssertGreaterThan(raw.damages[i][s4], 100 * max(raw.damages[i][s2], 1e-9), "\(raw.damages[i])")

        // The obvious construction for one (conv, option): the same KL on the same 24 probe images.
        var ratios = Dictionary(uniqueKeysWithValues: sites.map { ($0.name, GhostSettings.ConvRatio(s: 1, d: 1)) })
        ratios["layer1.0.conv2"] = .init(s: 4, d: 1)
        XCTAssertEqual(raw.damages[i][s4], try Self.builtKL(model, arch, ratios: ratios, batches: batches),
                       accuracy: 1e-6 * raw.damages[i][s4] + 1e-9)

        let adapted = try GuidedDamage.measure(model, architecture: arch, sites: sites, calibration: CalibrationBatches(batches),
                                               probeImages: 32)
        for row in adapted.damages + raw.damages {
            XCTAssertEqual(row.count, grid.count)
            XCTAssertTrue(row.allSatisfy { $0.isFinite && $0 >= 0 }, "\(row)")
        }
    }
    /// Stage context on the same ResNet-20: the harmless conv (exact copies, s = 2) adds ~0 to its converted
    /// neighbours while s = 4 adds damage; every damage is finite and ≥ 0; one extra pass per conv; and a damage
    /// is the KL difference of the two models built the obvious way (layer1 converted at s = 2, d = 3 around it).
    func testStageContextDamage() throws {
        let (arch, model, batches, sites) = try Self.duplicatedResNet20()
        let i = sites.firstIndex { $0.name == "layer1.0.conv2" }!
        let grid = [(s: 2, d: 1), (s: 4, d: 1)]
        let m = try GuidedDamage.measure(model, architecture: arch, sites: sites, calibration: CalibrationBatches(batches),
                                         probeImages: 24, grid: grid, stageContext: true, recalibrate: false)
        XCTAssertEqual(m.passes, sites.count * (grid.count + 1))
        for row in m.damages { XCTAssertTrue(row.count == 2 && row.allSatisfy { $0.isFinite && $0 >= 0 }, "\(row)") }
        XCTAssertLessThan(m.damages[i][0], 1e-6, "\(m.damages[i])")
        XCTAssertGreaterThan(m.damages[i][1], 100 * max(m.damages[i][0], 1e-9), "\(m.damages[i])")

        func built(_ option: GhostSettings.ConvRatio) throws -> Double {
            var ratios = Dictionary(uniqueKeysWithValues: sites.map {
                ($0.name, GhostSettings.ConvRatio(s: $0.name.hasPrefix("layer1.") ? 2 : 1, d: $0.name.hasPrefix("layer1.") ? 3 : 1))
            })
            ratios["layer1.0.conv2"] = option
            let (ghost, _, _) = try ResNetToGhost.convert(model, architecture: arch,
                                                          settings: .init(ghost: GhostSettings(s: 2, d: 3, convs: ratios)),
                                                          calibration: batches)
            let probe = Tensor(shape: [24, 1, 12, 12], values: Array(batches[0].scalars + batches[1].scalars.prefix(8 * 144)))
            model.train(false)
            ghost.train(false)
            return Self.kl(model(probe), ghost(probe))
        }
        let expected = try built(.init(s: 4, d: 1)) - built(.init(s: 1, d: 1))
        XCTAssertGreaterThan(expected, 0)
        XCTAssertEqual(m.damages[i][1], expected, accuracy: 1e-5 * abs(expected) + 1e-9)

        let adapted = try GuidedDamage.measure(model, architecture: arch, sites: sites, calibration: CalibrationBatches(batches),
                                               probeImages: 32, grid: grid, stageContext: true)
        for row in adapted.damages { XCTAssertTrue(row.allSatisfy { $0.isFinite && $0 >= 0 }, "\(row)") }
    }

    /// The KL on the first 24 calibration images of the model built the obvious way: `ResNetToGhost.convert` with
    /// these per-conv ratios, no AdaBN.
    /// `recalibrated`: after the conversion's own AdaBN over `batches` (as `convert` saves it).
    static func builtKL(_ model: ResNet, _ arch: Architecture, ratios: [String: GhostSettings.ConvRatio],
                        batches: [Tensor], recalibrated: Bool = false) throws -> Double {
        let (ghost, _, _) = try ResNetToGhost.convert(model, architecture: arch,
                                                      settings: .init(ghost: GhostSettings(s: 2, d: 3, convs: ratios)),
                                                      calibration: batches)
        if recalibrated { ResNetToGhost.recalibrateBatchNorm(ghost, batches: batches) }
        let probe = Tensor(shape: [24, 1, 12, 12],
                           values: Array(batches[0].scalars + batches[1].scalars.prefix(8 * 144)))
        model.train(false)
        ghost.train(false)
        return kl(model(probe), ghost(probe))
    }

    /// A ResNet-20 whose layer1.0.conv2 has every odd output channel an exact copy of the even one before it, two
    /// calibration batches of 16 images and its convertible sites.
    static func duplicatedResNet20() throws -> (Architecture, ResNet, [Tensor], [ResNetToGhost.Site]) {
        let arch = try Architecture(name: "resnet20", inChannels: 1)
        let model = arch.buildResNet(seed: 5)
        let block = model.stages[0].layers[0] as! PlainResidualBlock
        let unit = block.convUnits.first { $0.name == "conv2" }!
        let per = unit.conv.weight.value.count / unit.conv.outChannels
        for c in stride(from: 1, to: unit.conv.outChannels, by: 2) {
            (unit.conv.weight.value.uncheckedMutablePointer + c * per).update(from: unit.conv.weight.value.uncheckedMutablePointer + (c - 1) * per,
                                                                count: per)
            for p in [unit.bn.weight, unit.bn.bias, unit.bn.runningMean, unit.bn.runningVar] {
                p.value.uncheckedMutablePointer[c] = p.value.uncheckedMutablePointer[c - 1]
            }
        }
        var rng = SplitMix64(seed: 6)
        let batches = (0..<2).map { _ in Tensor(gaussian: [16, 1, 12, 12], std: 1, rng: &rng) }
        var uniform = arch
        uniform.ghost = GhostSettings(s: 2, d: 3)
        return (arch, model, batches, try ResNetToGhost.sites(original: model, ghost: uniform.buildResNet()))
    }
}

import GhostCheckpoint
import GhostConvert
import GhostIO
import GhostModels
import GhostTensor
import GhostTestSupport
import XCTest

final class GuidedRefinementTests: XCTestCase {
    /// A ResNet-20, two calibration batches of 8 images and a small search (s ∈ {2, 4}, d = 1, 16 probe images).
    func setup() throws -> (Architecture, ResNet, [Tensor], GuidedSearch) {
        let arch = try Architecture(name: "resnet20", inChannels: 1)
        let model = arch.buildResNet(seed: 3)
        var rng = SplitMix64(seed: 4)
        let batches = (0..<2).map { _ in Tensor(gaussian: [8, 1, 12, 12], std: 1, rng: &rng) }
        var search = GuidedSearch()
        (search.ratios, search.kernels, search.probeImages) = ([2, 4], [1], 16)
        return (arch, model, batches, search)
    }

    /// The plan of `search` with the refinement off (the knapsack's), on 12×12 images.
    static func knapsack(_ model: ResNet, _ arch: Architecture, _ batches: [Tensor], _ search: GuidedSearch,
                         fraction: Double) throws -> GuidedRatios.Plan {
        var off = search
        off.refinement = .off
        return try GuidedRatios.plan(model, architecture: arch, calibration: batches, fraction: fraction,
                                     inputShape: [1, 1, 12, 12], search: off)
    }

    /// At uniform s = 2's MACs fraction: the refined plan's joint probe KL (recomputed independently) is never
    /// above its best start's, nor above uniform s = 2's; every accepted move lowers it; MACs stay within the
    /// budget (predicted = Σ chosen = the converted model's); the passes are bounded by starts + rounds × candidates;
    /// the single-conv damages are the knapsack's (refinement changes only the choice).
    func testRefinementNeverRaisesTheJointKLAndKeepsTheBudget() throws {
        let (arch, model, batches, base) = try setup()
        let shape = [1, 1, 12, 12]
        let knapsack = try Self.knapsack(model, arch, batches, base, fraction: 0.6)
        let uniformMACs = knapsack.fixedMACs + knapsack.convs.reduce(0) { $0 + $1.options[1].macs }
        let fraction = Double(uniformMACs) / Double(knapsack.originalMACs)
        var on = base
        on.refinement = .init(rounds: 3, candidates: 3, probeImages: 16)
        let plan = try GuidedRatios.plan(model, architecture: arch, calibration: batches, fraction: fraction,
                                         inputShape: shape, search: on)
        let r = try XCTUnwrap(plan.refinement)
        XCTAssertFalse(r.heldOut)
        XCTAssertEqual(r.probeImages, 16)

        let uniform = try XCTUnwrap(r.starts.first { $0.name == "uniform s=2 d=1" })
        XCTAssertEqual(uniform.macs, uniformMACs)
        XCTAssertTrue(r.starts.contains { $0.name == "knapsack" })
        XCTAssertFalse(r.starts.contains { $0.macs > r.budgetMACs })
        XCTAssertEqual(r.startKL, r.starts.map(\.kl).min()!)
        XCTAssertLessThanOrEqual(r.kl, r.startKL)
        XCTAssertLessThanOrEqual(r.kl, uniform.kl)
        for m in r.moves {
            XCTAssertLessThan(m.klAfter, m.klBefore)
            XCTAssertLessThanOrEqual(m.macs, r.budgetMACs)
            XCTAssertTrue((1...2).contains(m.changes.count))
        }
        XCTAssertEqual(r.moves.last?.klAfter ?? r.startKL, r.kl)
        XCTAssertLessThanOrEqual(r.passes, r.starts.count + 3 * 3)
        XCTAssertLessThanOrEqual(r.rounds, 3)

        XCTAssertEqual(r.budgetMACs, Int((fraction * Double(plan.originalMACs)).rounded()))
        XCTAssertLessThanOrEqual(plan.predictedMACs, r.budgetMACs)
        XCTAssertEqual(plan.predictedMACs, plan.fixedMACs + plan.convs.reduce(0) { $0 + $1.chosen.macs })
        XCTAssertEqual(plan.convs.map(\.options), knapsack.convs.map(\.options))
        let settings = GhostSettings(s: 2, d: 3, convs: plan.ratios)
        let (ghost, _, _) = try ResNetToGhost.convert(model, architecture: arch, settings: .init(ghost: settings),
                                                      calibration: batches)
        var p = Profiler()
        _ = ghost.profile(shape, &p)
        XCTAssertEqual(p.totalMACs, plan.predictedMACs)

        // The refined plan's joint KL, measured again from scratch.
        var uniformArch = arch
        uniformArch.ghost = GhostSettings(s: 2, d: 3)
        let sites = try ResNetToGhost.sites(original: model, ghost: uniformArch.buildResNet())
        let joint = try JointDamage(model, architecture: arch, sites: sites, calibration: CalibrationBatches(batches),
                                    probeImages: 16)
        let again = try joint.kl(Dictionary(uniqueKeysWithValues: plan.convs.enumerated().map {
            ($0, (s: $1.chosen.s, d: $1.chosen.d))
        }))
        XCTAssertEqual(again, r.kl, accuracy: 1e-9 + 1e-6 * r.kl)
    }

    /// Off: exactly the knapsack's plan (no log); a reused report's plan is refined without a damage pass (the
    /// reused damage passes are reported, the refinement's own are counted apart), on a held-out probe if given.
    func testOffIsTheKnapsackAndAReusedPlanIsRefined() throws {
        let (arch, model, batches, base) = try setup()
        let shape = [1, 1, 12, 12]
        let plan = try Self.knapsack(model, arch, batches, base, fraction: 0.5)
        XCTAssertNil(plan.refinement)
        let direct = try GuidedRatios.choose(plan.convs, originalMACs: plan.originalMACs, fixedMACs: plan.fixedMACs,
                                             fraction: 0.5, buckets: plan.buckets, noiseEnergy: plan.noiseEnergy)
        XCTAssertEqual(plan.convs.map(\.chosen), direct.convs.map(\.chosen))
        XCTAssertEqual(plan.predictedMACs, direct.predictedMACs)

        struct Report: Encodable {
            let source_sha256: String
            let guided: GuidedRatios.Plan?
        }
        let dir = Fixtures.temporaryDirectory()
        let ckpt = dir + "/model.safetensors"
        try Checkpoint.save(model, architecture: arch, to: ckpt)
        try JSONEncoder().encode(Report(source_sha256: try SHA256.hex(file: ckpt), guided: plan))
            .write(to: URL(fileURLWithPath: dir + "/report.json"))
        var on = base
        on.refinement = .init(rounds: 2, candidates: 2)
        var rng = SplitMix64(seed: 8)
        let heldOut = Tensor(gaussian: [12, 1, 12, 12], std: 1, rng: &rng)
        let reused = try GuidedRatios.plan(model, architecture: arch, calibration: CalibrationBatches(batches),
                                           fraction: 0.45, inputShape: shape, search: on,
                                           reuse: try .load(dir + "/report.json", checkpoint: ckpt),
                                           refinementProbe: heldOut)
        let r = try XCTUnwrap(reused.refinement)
        XCTAssertTrue(r.heldOut)
        XCTAssertEqual(r.probeImages, 12)
        XCTAssertEqual(reused.damageReusedFrom, dir + "/report.json")
        XCTAssertEqual(reused.damagePasses, plan.damagePasses)
        XCTAssertEqual(reused.convs.map(\.options), plan.convs.map(\.options))
        XCTAssertLessThanOrEqual(r.passes, r.starts.count + 2 * 2)
        XCTAssertLessThanOrEqual(r.kl, r.startKL)
        XCTAssertLessThanOrEqual(reused.predictedMACs, r.budgetMACs)
        let json = try JSONEncoder().encode(reused)
        XCTAssertEqual(try JSONDecoder().decode(GuidedRatios.Plan.self, from: json).refinement?.kl, r.kl)
    }

    /// Bad settings name the flag and the value.
    func testSettingsProblems() {
        XCTAssertNil(GuidedRefinement.Settings().problem())
        XCTAssertEqual(GuidedRefinement.Settings(), .off)  // the default
        XCTAssertFalse(GuidedRefinement.Settings.off.isOn)
        XCTAssertEqual(GuidedRefinement.Settings(rounds: 1, probeImages: 0).problem(),
                       "--guided-refine-probe-images must be ≥ 1 (got 0)")
        XCTAssertEqual(GuidedRefinement.Settings(rounds: -1).problem(), "--guided-refine-rounds must be ≥ 0 (got -1)")
        XCTAssertEqual(GuidedRefinement.Settings(rounds: 2, candidates: 0).problem(),
                       "--guided-refine-candidates must be ≥ 1 (got 0)")
        var search = GuidedSearch()
        search.refinement.candidates = 0
        XCTAssertEqual(search.problem(), "--guided-refine-candidates must be ≥ 1 (got 0)")
    }
}

import GhostCheckpoint
import GhostConvert
import GhostIO
import GhostModels
import GhostTensor
import GhostTestSupport
import XCTest

final class GuidedRatiosTests: XCTestCase {
    /// The knapsack against brute force over every combination (integer MACs, one MAC per bucket: exact).
    func testKnapsackIsExact() throws {
        var rng = SplitMix64(seed: 21)
        for trial in 0..<20 {
            let convs = (0..<4).map { i -> GuidedRatios.Conv in
                let plain = Int.random(in: 40...120, using: &rng)
                var options = [GuidedRatios.Option(s: 1, d: 1, macs: plain, residual: 0, damage: 0)]
                for s in 2...4 { for d in [1, 3] {
                    let damage = Double.random(in: 0...1, using: &rng)
                    options.append(.init(s: s, d: d, macs: plain / s + d, residual: damage, damage: damage))
                } }
                return GuidedRatios.Conv(name: "c\(i)", channels: 8, sensitivity: 1, options: options, chosen: options[0])
            }
            let original = convs.reduce(0) { $0 + $1.options[0].macs } + 100
            let fraction = Double.random(in: 0.45...0.9, using: &rng)
            let capacity = fraction * Double(original) - 100
            let plan = try GuidedRatios.choose(convs, originalMACs: original, fixedMACs: 100, fraction: fraction,
                                               buckets: Int(capacity.rounded(.down)), noiseEnergy: 0.05)
            var best = Double.infinity
            for code in 0..<(7 * 7 * 7 * 7) {
                var c = code, macs = 0, damage = 0.0
                for conv in convs { let o = conv.options[c % 7]; c /= 7; macs += o.macs; damage += o.damage }
                if Double(macs) <= capacity.rounded(.down) { best = min(best, damage) }
            }
            XCTAssertEqual(plan.damage, best, accuracy: 1e-12, "trial \(trial)")
            XCTAssertLessThanOrEqual(Double(plan.predictedMACs), fraction * Double(original))
            XCTAssertEqual(plan.predictedMACs, 100 + plan.convs.reduce(0) { $0 + $1.chosen.macs })
        }
        let one = [GuidedRatios.Conv(name: "c", channels: 8, sensitivity: 1,
                                     options: [.init(s: 1, d: 1, macs: 100, residual: 0, damage: 0),
                                               .init(s: 4, d: 1, macs: 30, residual: 1, damage: 1)],
                                     chosen: .init(s: 1, d: 1, macs: 100, residual: 0, damage: 0))]
        XCTAssertThrowsError(try GuidedRatios.choose(one, originalMACs: 200, fixedMACs: 100, fraction: 0.6, buckets: 100,
                                                     noiseEnergy: 0.05))
    }

    /// On a ResNet-20: the plan meets the budget, its predicted MACs are the converted model's measured ones,
    /// per-conv s/d survive a safetensors round trip, and a conv left plain (s = 1) reproduces the original's
    /// BN output exactly.
    func testPlanConvertAndRoundTrip() throws {
        let arch = try Architecture(name: "resnet20", inChannels: 1)
        let model = arch.buildResNet(seed: 3)
        var rng = SplitMix64(seed: 4)
        let batches = (0..<2).map { _ in Tensor(gaussian: [8, 1, 12, 12], std: 1, rng: &rng) }
        let shape = [1, 1, 12, 12]
        var knapsack = GuidedSearch()
        knapsack.refinement = .off  // the knapsack's plan, which fills the budget
        let plan = try GuidedRatios.plan(model, architecture: arch, calibration: batches, fraction: 0.6, inputShape: shape,
                                         search: knapsack)
        XCTAssertEqual(plan.convs.count, 18)
        XCTAssertLessThanOrEqual(Double(plan.predictedMACs), 0.6 * Double(plan.originalMACs))
        XCTAssertGreaterThan(Double(plan.predictedMACs), 0.55 * Double(plan.originalMACs))  // the budget is used
        XCTAssertTrue(plan.convs.allSatisfy { $0.sensitivity > 0 && $0.options.count == 7 })
        for c in plan.convs { for o in c.options.dropFirst() { XCTAssertTrue((0...1.0001).contains(o.residual), "\(c.name) \(o)") } }

        // Force one plain conv so that the s = 1 path is exercised whatever the plan chose.
        var ratios = plan.ratios
        ratios["layer1.0.conv2"] = .init(s: 1, d: 1)
        ratios["layer1.1.conv1"] = .init(s: 4, d: 1)
        let settings = GhostSettings(s: 2, d: 3, convs: ratios)
        let (ghost, ghostArch, units) = try ResNetToGhost.convert(model, architecture: arch, settings: .init(ghost: settings),
                                                                  calibration: batches)
        XCTAssertEqual(units.first { $0.name == "layer1.0.conv2" }?.s, 1)
        XCTAssertEqual(units.first { $0.name == "layer1.1.conv1" }?.intrinsic, 4)
        var p = Profiler()
        _ = ghost.profile(shape, &p)
        let expected = plan.fixedMACs + plan.convs.reduce(0) { total, c in
            let r = ratios[c.name]!
            return total + c.options.first { $0.s == r.s && ($0.s == 1 || $0.d == r.d) }!.macs
        }
        XCTAssertEqual(p.totalMACs, expected)
        if ratios == plan.ratios { XCTAssertEqual(p.totalMACs, plan.predictedMACs) }

        var relu1: Tensor?, bn2: Tensor?
        model.observeInsideBlocks = true
        model.observer = { name, t in
            if name == "layer1.0.relu1" { relu1 = t }
            if name == "layer1.0.bn2" { bn2 = t }
        }
        _ = model(batches[0])
        model.observer = nil
        let plain = (ghost.stages[0].layers[0] as! GhostResNetBasicBlock).conv2
        XCTAssertFalse(plain.hasGhosts)
        XCTAssertFalse(plain.namedParameters().contains { $0.0.contains("cheap") })
        assertClose(plain(relu1!), bn2!, relTol: 1e-5, "plain (s = 1) layer1.0.conv2")

        let dir = Fixtures.temporaryDirectory()
        try Checkpoint.save(ghost, architecture: ghostArch, to: dir + "/guided.safetensors")
        let loaded = try Checkpoint(path: dir + "/guided.safetensors")
        XCTAssertEqual(loaded.architecture.ghost?.convs, ratios)
        let (again, _) = try loaded.makeModel()
        ghost.train(false)
        XCTAssertEqual(again(batches[1]).scalars, ghost(batches[1]).scalars)

        // JSON written before per-conv ratios existed still decodes (no "convs").
        let old = try Architecture(json: #"{"depth":20,"family":"cifar-resnet","ghost":{"d":3,"s":2},"in_channels":1,"#
                                   + #""num_classes":10,"shortcut":"A"}"#)
        XCTAssertNil(old.ghost?.convs)
        var bad = ghostArch
        bad.ghost?.convs = ["layer1.0.conv9": .init(s: 2, d: 3)]
        XCTAssertThrowsError(try bad.validate())
        bad.ghost?.convs = ["layer1.0.conv1": .init(s: 0, d: 3)]
        XCTAssertThrowsError(try bad.validate())
    }

    /// An s = 1 module is conv + BN + ReLU: eval (routed, fused) path against the layers run one by one, and a
    /// training step runs through it.
    func testPlainModuleIsConvBN() {
        var rng = SplitMix64(seed: 2)
        let m = GhostModule(3, 5, kernel: 3, padding: 1, s: 1, d: 3, relu: true, rng: &rng)
        for i in 0..<5 { m.primaryBN.runningMean.value.uncheckedMutablePointer[i] = Float(i) * 0.1; m.primaryBN.runningVar.value.uncheckedMutablePointer[i] = 1.5 }
        let x = Tensor(gaussian: [2, 3, 6, 6], std: 1, rng: &rng)
        m.train(false)
        assertClose(m(x), Elementwise.relu(m.primaryBN(m.primaryConv(x))), relTol: 1e-5, "s = 1 eval forward")
        let residual = Tensor(gaussian: [2, 5, 6, 6], std: 1, rng: &rng)
        assertClose(m.forward(x, residual: residual, reluAfterResidual: true),
                    Elementwise.relu(Elementwise.add(Elementwise.relu(m.primaryBN(m.primaryConv(x))), residual)), relTol: 1e-5,
                    "s = 1 with residual")
        m.train(true)
        let y = m(x)
        XCTAssertEqual(y.shape, [2, 5, 6, 6])
        let g = m.backward(Tensor(gaussian: y.shape, std: 1, rng: &rng))
        XCTAssertEqual(g.shape, x.shape)
        XCTAssertGreaterThan(g.scalars.map(abs).max()!, 0)
    }
    /// A plan over a narrower search (s ∈ {2, 4}, d = 1, stage context) reused from a report at another budget:
    /// the same options re-solved (= `choose` on them), marked as reused; a report of another checkpoint, of
    /// other options, or without a plan is refused.
    func testReusedPlan() throws {
        let arch = try Architecture(name: "resnet20", inChannels: 1)
        let model = arch.buildResNet(seed: 3)
        var rng = SplitMix64(seed: 4)
        let batches = (0..<2).map { _ in Tensor(gaussian: [8, 1, 12, 12], std: 1, rng: &rng) }
        var search = GuidedSearch()
        (search.ratios, search.kernels, search.probeImages, search.damage) = ([2, 4], [1], 16, .stageContext)
        search.refinement = .off  // the knapsack re-solved (GuidedRefinementTests refines a reused plan)
        let shape = [1, 1, 12, 12]
        let plan = try GuidedRatios.plan(model, architecture: arch, calibration: batches, fraction: 0.6, inputShape: shape,
                                         search: search)
        XCTAssertTrue(plan.convs.allSatisfy { $0.options.map(\.s) == [1, 2, 4] && $0.options.dropFirst().allSatisfy { $0.d == 1 } })
        XCTAssertEqual(plan.damagePasses, 18 * 3)
        XCTAssertEqual(plan.damageModel, .stageContext)

        struct Report: Encodable {
            let source_sha256: String
            let guided: GuidedRatios.Plan?
        }
        let dir = Fixtures.temporaryDirectory()
        let (ckpt, other) = (dir + "/model.safetensors", dir + "/other.safetensors")
        try Checkpoint.save(model, architecture: arch, to: ckpt)
        try Checkpoint.save(arch.buildResNet(seed: 9), architecture: arch, to: other)
        try JSONEncoder().encode(Report(source_sha256: try SHA256.hex(file: ckpt), guided: plan))
            .write(to: URL(fileURLWithPath: dir + "/report.json"))
        try JSONEncoder().encode(Report(source_sha256: try SHA256.hex(file: ckpt), guided: nil))
            .write(to: URL(fileURLWithPath: dir + "/uniform.json"))
        let reused = try GuidedRatios.Reused.load(dir + "/report.json", checkpoint: ckpt)
        let again = try GuidedRatios.plan(model, architecture: arch, calibration: batches, fraction: 0.45, inputShape: shape,
                                          search: search, reuse: reused)
        let direct = try GuidedRatios.choose(plan.convs, originalMACs: plan.originalMACs, fixedMACs: plan.fixedMACs,
                                             fraction: 0.45, buckets: plan.buckets, noiseEnergy: plan.noiseEnergy)
        XCTAssertEqual(again.convs.map(\.chosen), direct.convs.map(\.chosen))
        XCTAssertLessThan(again.predictedMACs, plan.predictedMACs)
        XCTAssertEqual(again.damageReusedFrom, dir + "/report.json")
        XCTAssertEqual(again.damageSeconds, plan.damageSeconds)

        var wider = search
        wider.kernels = [1, 3]
        XCTAssertThrowsError(try GuidedRatios.plan(model, architecture: arch, calibration: batches, fraction: 0.45,
                                                   inputShape: shape, search: wider, reuse: reused))
        XCTAssertThrowsError(try GuidedRatios.Reused.load(dir + "/report.json", checkpoint: other))
        XCTAssertThrowsError(try GuidedRatios.Reused.load(dir + "/uniform.json", checkpoint: ckpt))
        search.ratios = [1, 2]
        XCTAssertNotNil(search.problem())
    }
}

import GhostConvert
import GhostIO
import GhostModels
import GhostReport
import GhostTensor
import GhostTestSupport
import XCTest

final class ResNetToGhostTests: XCTestCase {
    /// A ResNet-20 whose layer1.0.conv2 has exact ghosts: output channel c + 8 is 3 × channel c (c < 8) with
    /// BN statistics scaled to match, so its BN output equals channel c's. The data-driven conversion must
    /// find those pairs and reproduce the original BN output through the Ghost module (intrinsic copies,
    /// fitted identity kernels, channel order restored).
    func testExactGhostsAreFoundAndReproduced() throws {
        let arch = try Architecture(name: "resnet20", inChannels: 1)
        let model = arch.buildResNet(seed: 5)
        var rng = SplitMix64(seed: 6)
        let block = model.stages[0].layers[0] as! BasicBlock
        let w = block.conv2.weight.value, per = w.count / 16
        for c in 0..<8 { for i in 0..<per { w.uncheckedMutablePointer[(c + 8) * per + i] = 3 * w.uncheckedMutablePointer[c * per + i] } }
        let bn = block.bn2
        for c in 0..<8 {
            bn.runningMean.value.uncheckedMutablePointer[c] = Float.random(in: -0.1...0.1, using: &rng)
            bn.runningVar.value.uncheckedMutablePointer[c] = Float.random(in: 0.5...1.5, using: &rng)
            bn.weight.value.uncheckedMutablePointer[c] = Float.random(in: 0.5...1.5, using: &rng)
            bn.bias.value.uncheckedMutablePointer[c] = Float.random(in: -0.2...0.2, using: &rng)
            bn.runningMean.value.uncheckedMutablePointer[c + 8] = 3 * bn.runningMean.value.uncheckedMutablePointer[c]
            bn.runningVar.value.uncheckedMutablePointer[c + 8] = 9 * bn.runningVar.value.uncheckedMutablePointer[c]
            bn.weight.value.uncheckedMutablePointer[c + 8] = bn.weight.value.uncheckedMutablePointer[c]
            bn.bias.value.uncheckedMutablePointer[c + 8] = bn.bias.value.uncheckedMutablePointer[c]
        }
        let batches = (0..<2).map { _ in Tensor(gaussian: [12, 1, 10, 10], std: 1, rng: &rng) }
        let (ghost, ghostArch, units) = try ResNetToGhost.convert(model, architecture: arch,
                                                                  settings: .init(ghost: GhostSettings(s: 2, d: 3)), calibration: batches)
        XCTAssertEqual(ghostArch.ghost, GhostSettings(s: 2, d: 3))
        let unit = units.first { $0.name == "layer1.0.conv2" }!
        XCTAssertEqual(unit.intrinsic, 8)
        XCTAssertGreaterThan(unit.minR2!, 0.9999)
        XCTAssertEqual(units.count, 9 * 2)  // option A: no projections

        // The module on the original's relu1 output gives the original's bn2 output, channel for channel.
        var relu1: Tensor?, bn2: Tensor?
        model.observeInsideBlocks = true
        model.observer = { name, t in
            if name == "layer1.0.relu1" { relu1 = t }
            if name == "layer1.0.bn2" { bn2 = t }
        }
        _ = model(batches[0])
        let module = (ghost.stages[0].layers[0] as! GhostResNetBasicBlock).conv2
        let selection = module.index
        XCTAssertEqual(Set(selection.prefix(8) + selection.suffix(8)).count, 16)
        assertClose(module(relu1!), bn2!, relTol: 1e-3, "reconstructed layer1.0.bn2")

        // The "intrinsic vs ghost" figure of layer1.0.conv1 (its input, the stem's output, is the same in both
        // models): the intrinsic channels are the original's maps exactly, the ghosts are the outlined rest.
        let grids = try ConversionGrids(original: model, ghost: ghost, unit: "layer1.0.conv1", image: Tensor(gaussian: [1, 1, 10, 10], std: 1, rng: &rng))
        XCTAssertEqual(grids.unit, "layer1.0.conv1")
        XCTAssertEqual(grids.original.shape, [16, 10, 10])
        XCTAssertEqual(grids.ghost.shape, [16, 10, 10])
        XCTAssertEqual(grids.ghostChannels.count, 8)
        for c in 0..<16 where !grids.ghostChannels.contains(c) {
            for i in 0..<100 { XCTAssertEqual(grids.original.readPointer[c * 100 + i], grids.ghost.readPointer[c * 100 + i], accuracy: 1e-4) }
        }
        let pictures = grids.render()
        XCTAssertEqual(pictures.original.width, pictures.ghost.width)
        XCTAssertThrowsError(try ConversionGrids(original: model, ghost: ghost, unit: "layer9.0.conv1", image: Tensor(zeros: [1, 1, 10, 10])))
    }

    func testNaiveConversionKeepsFirstFiltersAndIdentityCheapOps() throws {
        let arch = try Architecture(name: "resnet18", stem: .cifar, width: 0.125, inChannels: 1, numClasses: 10)
        let model = arch.buildResNet(seed: 2)
        var rng = SplitMix64(seed: 3)
        let batches = [Tensor(gaussian: [4, 1, 8, 8], std: 1, rng: &rng)]
        let (ghost, _, units) = try ResNetToGhost.convert(model, architecture: arch,
                                                          settings: .init(ghost: GhostSettings(s: 3, d: 3), dataDriven: false), calibration: batches)
        XCTAssertTrue(units.contains { $0.name == "layer2.0.downsample" })
        let original = (model.stages[1].layers[0] as! BasicBlock).conv1
        let module = (ghost.stages[1].layers[0] as! GhostResNetBasicBlock).conv1
        XCTAssertEqual(module.index, Array(0..<16))          // n = 16, m = 6: plain slice
        let per = original.weight.value.count / 16
        XCTAssertEqual(module.primaryConv.weight.value.scalars, Array(original.weight.value.scalars.prefix(6 * per)))
        let k = module.cheapConv.weight.value.scalars        // identity 3×3 kernels for the 10 ghosts, unused slots zero
        for q in 0..<12 { XCTAssertEqual(Array(k[(q * 9)..<(q * 9 + 9)]), q < 10 ? [0, 0, 0, 0, 1, 0, 0, 0, 0] : [Float](repeating: 0, count: 9)) }
        // Converting a Ghost model again is refused.
        var ghostArch = arch
        ghostArch.ghost = GhostSettings(s: 2, d: 3)
        XCTAssertThrowsError(try ResNetToGhost.convert(ghost, architecture: ghostArch, settings: .init(ghost: GhostSettings(s: 2, d: 3)),
                                                      calibration: batches))
    }

    /// AdaBN: after recalibration on one batch, a Ghost module's BN running mean is the batch mean of its
    /// input (the module itself stays in eval mode while its BNs gather statistics).
    func testRecalibrationSetsTheGhostBatchNormStatistics() throws {
        let arch = try Architecture(name: "resnet20", inChannels: 1)
        let model = arch.buildResNet(seed: 2)
        var rng = SplitMix64(seed: 3)
        let x = Tensor(gaussian: [16, 1, 8, 8], std: 1, rng: &rng)
        let (ghost, _, _) = try ResNetToGhost.convert(model, architecture: arch, settings: .init(ghost: GhostSettings(s: 2, d: 3)),
                                                    calibration: [x])
        let module = (ghost.stages[0].layers[0] as! GhostResNetBasicBlock).conv1
        var stem: Tensor?
        ghost.observer = { name, t in if name == "stem" { stem = t } }
        ghost.train(false)
        _ = ghost(x)
        ghost.observer = nil
        let primary = module.primaryConv(try XCTUnwrap(stem))
        ResNetToGhost.recalibrateBatchNorm(ghost, batches: [x])
        let C = primary.shape[1], HW = primary.shape[2] * primary.shape[3]
        for c in 0..<C {
            var sum: Double = 0
            for n in 0..<16 { for i in 0..<HW { sum += Double(primary.readPointer[(n * C + c) * HW + i]) } }
            XCTAssertEqual(module.primaryBN.runningMean.value.readPointer[c], Float(sum / Double(16 * HW)), accuracy: 1e-4, "channel \(c)")
        }
    }

    /// Converting only layer3: layer1/2 stay plain blocks with the original weights (their outputs are
    /// identical), layer3's blocks become Ghost blocks, and the architecture round-trips through JSON.
    func testPartialConversionLeavesOtherBlocksUntouched() throws {
        let arch = try Architecture(name: "resnet20", inChannels: 1)
        let model = arch.build(seed: 8)
        var rng = SplitMix64(seed: 9)
        let batches = [Tensor(gaussian: [8, 1, 12, 12], std: 1, rng: &rng)]
        let chosen = ["layer3.0", "layer3.1", "layer3.2"]
        let (ghost, ghostArch, units) = try ResNetToGhost.convert(model, architecture: arch,
                                                                  settings: .init(ghost: GhostSettings(s: 2, d: 3, blocks: chosen)),
                                                                  calibration: batches)
        XCTAssertEqual(units.map(\.name), chosen.flatMap { ["\($0).conv1", "\($0).conv2"] })
        XCTAssertTrue(ghost.stages[0].layers.allSatisfy { $0 is BasicBlock } && ghost.stages[1].layers.allSatisfy { $0 is BasicBlock })
        XCTAssertTrue(ghost.stages[2].layers.allSatisfy { $0 is GhostResNetBasicBlock })
        XCTAssertEqual(try Architecture(json: ghostArch.json), ghostArch)
        XCTAssertTrue(ghostArch.displayName.contains("3 of 9 blocks"), ghostArch.displayName)
        var a: Tensor?, b: Tensor?
        model.observer = { name, t in if name == "layer2.2" { a = t } }
        ghost.observer = { name, t in if name == "layer2.2" { b = t } }
        model.train(false)
        _ = model(batches[0]); _ = ghost(batches[0])
        XCTAssertNotNil(a)
        XCTAssertEqual(a?.scalars, b?.scalars)
        var bad = ghostArch
        bad.ghost?.blocks = ["layer4.0"]
        XCTAssertThrowsError(try bad.validate()) { XCTAssertTrue("\($0)".contains("'layer4.0' is not a block of resnet20"), "\($0)") }
    }

    func testGreedySelectionRespectsCapacity() {
        // 7 channels, s = 3: m = 3 intrinsics, ≤ 2 ghosts each; channels 0, 1, 2 near copies, 3 ~ 4, 5 ~ 6.
        var r = [Float](repeating: 0.1, count: 49)
        for i in 0..<7 { r[i * 7 + i] = 1 }
        for (a, b, v) in [(0, 1, Float(0.99)), (0, 2, 0.98), (1, 2, 0.97), (3, 4, 0.9), (5, 6, 0.8)] { r[a * 7 + b] = v; r[b * 7 + a] = v }
        let sel = IntrinsicSelection.greedy(correlation: r, channels: 7, ratio: 3)
        XCTAssertEqual(sel.intrinsic.count, 3)
        XCTAssertTrue(sel.ghosts.allSatisfy { $0.count <= 2 })
        XCTAssertEqual(Set(sel.intrinsic + sel.ghosts.flatMap { $0 }), Set(0..<7))
        XCTAssertEqual(sel.intrinsic[0], 0)
        XCTAssertEqual(Set(sel.ghosts[0]), [1, 2])
        XCTAssertEqual(Set(sel.outputIndex), Set(sel.outputIndex))
        XCTAssertEqual(sel.outputIndex.count, 7)
        XCTAssertFalse(sel.outputIndex.contains(-1))
    }
}

import GhostModels
import GhostTensor
import GhostTestSupport
import XCTest

/// The G-bneck: structure and names as the official module, finite-difference gradients of input and parameters.
final class GhostBottleneckTests: XCTestCase {
    func testNamesAndShortcutChoice() {
        var rng = SplitMix64(seed: 1)
        let keep = GhostBottleneck(inChannels: 8, midChannels: 24, outChannels: 8, kernel: 3, stride: 1, attention: .none, rng: &rng)
        XCTAssertNil(keep.shortcut)
        XCTAssertEqual(keep.namedParameters().map(\.0).filter { $0.hasSuffix("weight") },
                       ["ghost1.primary_conv.0.weight", "ghost1.primary_conv.1.weight", "ghost1.cheap_operation.0.weight",
                        "ghost1.cheap_operation.1.weight", "ghost2.primary_conv.0.weight", "ghost2.primary_conv.1.weight",
                        "ghost2.cheap_operation.0.weight", "ghost2.cheap_operation.1.weight"])
        let down = GhostBottleneck(inChannels: 8, midChannels: 24, outChannels: 12, kernel: 5, stride: 2, attention: .officialSE, rng: &rng)
        let names = down.namedParameters().map(\.0)
        for n in ["conv_dw.weight", "bn_dw.running_var", "se.conv_reduce.weight", "se.conv_reduce.bias", "se.conv_expand.bias",
                  "shortcut.0.weight", "shortcut.1.weight", "shortcut.2.weight", "shortcut.3.running_mean"] {
            XCTAssertTrue(names.contains(n), n)
        }
        XCTAssertFalse(names.contains { $0.contains("output_index") }, "GhostNet's Ghost modules store no output_index")
        XCTAssertEqual(down.convDW?.weight.shape, [24, 1, 5, 5])
        XCTAssertEqual((down.shortcut?.layers[0] as? Conv2D)?.weight.shape, [8, 1, 5, 5])
        XCTAssertEqual((down.attention as? SqueezeExcite)?.convReduce.outChannels, 8)   // makeDivisible(24/4, 4) = 8
        XCTAssertEqual(down(Tensor(zeros: [1, 8, 9, 9])).shape, [1, 12, 5, 5])
        let eca = GhostBottleneck(inChannels: 8, midChannels: 16, outChannels: 8, kernel: 3, stride: 1, attention: .eca, rng: &rng)
        XCTAssertEqual(eca.namedParameters().filter { $0.0.hasPrefix("eca.") }.map(\.0), ["eca.conv.weight"])
    }
}

extension BlockGradientTests {
    func testGhostBottleneckInputGradients() {
        var rng = SplitMix64(seed: 5)
        directional(GhostBottleneck(inChannels: 6, midChannels: 12, outChannels: 6, kernel: 3, stride: 1, attention: .none, rng: &rng),
                    input: [2, 6, 5, 5])
        directional(GhostBottleneck(inChannels: 6, midChannels: 16, outChannels: 8, kernel: 5, stride: 2, attention: .officialSE, rng: &rng),
                    input: [2, 6, 7, 7])
        directional(GhostBottleneck(inChannels: 8, midChannels: 12, outChannels: 8, kernel: 3, stride: 1,
                                    attention: .se(ratio: 0.5, gate: .sigmoid), rng: &rng), input: [2, 8, 4, 4])
        directional(GhostBottleneck(inChannels: 4, midChannels: 8, outChannels: 8, kernel: 3, stride: 1, attention: .eca, rng: &rng),
                    input: [2, 4, 5, 5])
    }

    /// ⟨∂L/∂θ, V⟩ against the central difference along a random V, for every trainable tensor of a strided G-bneck with SE.
    func testGhostBottleneckParameterGradients() {
        var rng = SplitMix64(seed: 9)
        let block = GhostBottleneck(inChannels: 4, midChannels: 12, outChannels: 8, kernel: 3, stride: 2, attention: .officialSE, rng: &rng)
        let x = Tensor(gaussian: [2, 4, 6, 6], std: 1, rng: &rng)
        assertParameterGradientsMatchFiniteDifferences(block, input: x, rng: &rng, eps: 1e-4, tolerance: 3e-2)
    }
}

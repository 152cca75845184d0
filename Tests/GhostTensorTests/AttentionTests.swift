import GhostTensor
import GhostTestSupport
import XCTest

/// Squeeze-and-excitation and ECA: sizes, errors, reference forward and finite-difference gradients.
final class AttentionTests: XCTestCase {
    func testReducedChannelsFollowTheOfficialRounding() throws {
        XCTAssertEqual(try SqueezeExcite.reducedChannels(72, ratio: 0.25), 20)   // 18 → 20
        XCTAssertEqual(try SqueezeExcite.reducedChannels(960, ratio: 0.25), 240)
        XCTAssertEqual(try SqueezeExcite.reducedChannels(8, ratio: 0.25), 4)     // 2 → at least the divisor
        XCTAssertThrowsError(try SqueezeExcite.reducedChannels(16, ratio: 0.05)) { e in
            XCTAssertEqual("\(e)", "SE ratio 0.05 leaves zero channels of 16 (need ratio ≥ 1/16)")
        }
        XCTAssertThrowsError(try SqueezeExcite.reducedChannels(16, ratio: 0))
        XCTAssertEqual(makeDivisible(16 * 0.1, 4), 4)
        XCTAssertEqual(makeDivisible(40 * 0.35, 4), 16)   // 14 → 16 (ties up)
        XCTAssertEqual(makeDivisible(24 * 1.3, 4), 32)    // 31.2 → 32
        XCTAssertEqual(makeDivisible(10.5, 8), 16)        // 8 would be more than 10 % below
    }

    func testECAKernelSize() {
        XCTAssertEqual([16, 64, 256, 512, 1024].map { ECA.kernelSize(channels: $0) }, [3, 3, 5, 5, 5])
        XCTAssertEqual(ECA.kernelSize(channels: 4), 1)     // (2 + 1)/2 → 1, odd already
    }

    /// SE by hand on one image: gate = hard-sigmoid(W₂·relu(W₁·mean + b₁) + b₂).
    func testSqueezeExciteForwardByHand() {
        var rng = SplitMix64(seed: 11)
        let se = SqueezeExcite(channels: 8, ratio: 0.5, gate: .sigmoid, rng: &rng)
        let x = Tensor(gaussian: [1, 8, 3, 3], std: 1, rng: &rng)
        let y = se(x)
        let w1 = se.convReduce.weight.value, b1 = se.convReduce.bias!.value
        let w2 = se.convExpand.weight.value, b2 = se.convExpand.bias!.value
        let mean = (0..<8).map { c in (0..<9).reduce(Float(0)) { $0 + x.readPointer[c * 9 + $1] } / 9 }
        let hidden = (0..<4).map { r in max(0, (0..<8).reduce(b1.readPointer[r]) { $0 + w1.readPointer[r * 8 + $1] * mean[$1] }) }
        for c in 0..<8 {
            let z = (0..<4).reduce(b2.readPointer[c]) { $0 + w2.readPointer[c * 4 + $1] * hidden[$1] }
            let g = 1 / (1 + exp(-z))
            for i in 0..<9 { XCTAssertEqual(y.readPointer[c * 9 + i], x.readPointer[c * 9 + i] * g, accuracy: 1e-5) }
        }
    }

}

extension GradientCheckTests {
    func testAttentionGradients() {
        var rng = SplitMix64(seed: 12)
        check(SqueezeExcite(channels: 8, ratio: 0.25, gate: .hardSigmoid, rng: &rng), input: [2, 8, 5, 5], eps: 1e-3, tol: 1e-2)
        check(SqueezeExcite(channels: 6, ratio: 0.5, gate: .sigmoid, rng: &rng), input: [3, 6, 4, 3], eps: 1e-3, tol: 1e-2)
        check(ECA(channels: 64, rng: &rng), input: [2, 64, 3, 3], eps: 1e-3, tol: 1e-2)
        check(ECA(channels: 300, rng: &rng), input: [2, 300, 2, 2], eps: 1e-3, tol: 1e-2)  // k = 5
    }
}

import GhostModels
import GhostTensor
import GhostTestSupport
import XCTest

/// Finite-difference checks of the residual blocks' and a whole ResNet's backward passes.
final class BlockGradientTests: XCTestCase {
    /// Directional derivative check: ⟨∇L, v⟩ ≈ (L(x + εv) − L(x − εv)) / 2ε for L = Σ r ⊙ f(x).
    func directional(_ module: Module, input shape: [Int], file: StaticString = #filePath, line: UInt = #line) {
        var rng = SplitMix64(seed: 11)
        let x = Tensor(gaussian: shape, std: 1, rng: &rng)
        let v = Tensor(gaussian: shape, std: 1, rng: &rng)
        module.train(true)
        let y = module(x)
        let r = Tensor(gaussian: y.shape, std: 1, rng: &rng)
        let gx = module.backward(r)
        func loss(_ t: Float) -> Double {
            var xt = Tensor(uninitialized: shape)
            for i in 0..<x.count { xt.uncheckedMutablePointer[i] = x.uncheckedMutablePointer[i] + t * v.uncheckedMutablePointer[i] }
            xt.makeUnique()
            let yt = module(xt)
            _ = module.backward(r)
            var s: Double = 0
            for i in 0..<yt.count { s += Double(yt.readPointer[i]) * Double(r.readPointer[i]) }
            return s
        }
        // Small ε: BN centres pre-activations at 0, so many ReLUs sit near their kink.
        let eps: Float = 3e-4
        let numeric = (loss(eps) - loss(-eps)) / Double(2 * eps)
        var analytic: Double = 0
        for i in 0..<x.count { analytic += Double(gx.readPointer[i]) * Double(v.readPointer[i]) }
        XCTAssertEqual(analytic, numeric, accuracy: 2.5e-2 * max(1, abs(numeric)), "\(type(of: module))", file: file, line: line)
    }

    func testBlocks() {
        var rng = SplitMix64(seed: 2)
        directional(BasicBlock(inChannels: 4, planes: 4, stride: 1, shortcut: .projection, rng: &rng), input: [2, 4, 6, 6])
        directional(BasicBlock(inChannels: 4, planes: 8, stride: 2, shortcut: .projection, rng: &rng), input: [2, 4, 6, 6])
        directional(BasicBlock(inChannels: 4, planes: 8, stride: 2, shortcut: .zeroPad, rng: &rng), input: [2, 4, 6, 6])
        directional(Bottleneck(inChannels: 8, planes: 4, stride: 2, shortcut: .projection, rng: &rng), input: [2, 8, 7, 7])
    }

    func testGhostModuleAndBlocks() {
        var rng = SplitMix64(seed: 4)
        // s = 3 with n = 8: m = 3 intrinsic + 6 ghost maps, sliced to 8 (the last ghost map is dropped).
        directional(GhostModule(4, 8, kernel: 3, stride: 2, padding: 1, s: 3, d: 3, relu: true, rng: &rng), input: [2, 4, 7, 7])
        directional(GhostModule(4, 6, kernel: 1, s: 2, d: 5, relu: false, rng: &rng), input: [2, 4, 5, 5])
        // A permuted output index (as a conversion stores), one intrinsic channel used twice.
        let permuted = GhostModule(4, 6, kernel: 3, padding: 1, s: 2, d: 3, relu: true, rng: &rng)
        permuted.outputIndex.value = Tensor(shape: [6], values: [4, 0, 5, 2, 0, 1])
        directional(permuted, input: [2, 4, 5, 5])
        let g = GhostSettings(s: 2, d: 3)
        directional(GhostResNetBasicBlock(inChannels: 4, planes: 8, stride: 2, shortcut: .projection, ghost: g, rng: &rng), input: [2, 4, 6, 6])
        directional(GhostResNetBasicBlock(inChannels: 4, planes: 8, stride: 2, shortcut: .zeroPad, ghost: g, rng: &rng), input: [2, 4, 6, 6])
        directional(GhostResNetBottleneck(inChannels: 8, planes: 4, stride: 2, shortcut: .projection, ghost: GhostSettings(s: 3, d: 3), rng: &rng),
                    input: [2, 8, 7, 7])
    }

    /// Parameter gradients of a Ghost module: ⟨∂L/∂W, V⟩ against the central difference along V, for the
    /// primary conv, the cheap (depthwise) conv and both BN scales.
    func testGhostModuleParameterGradients() {
        var rng = SplitMix64(seed: 8)
        let module = GhostModule(3, 7, kernel: 3, padding: 1, s: 3, d: 3, relu: true, rng: &rng)
        let x = Tensor(gaussian: [2, 3, 6, 6], std: 1, rng: &rng)
        // Small ε: with BN centring pre-activations, a larger step crosses ReLU kinks (at 1e-3 the
        // primary-conv estimate is 20 % off; it converges to the analytic value by 1e-4).
        assertParameterGradientsMatchFiniteDifferences(module, input: x, rng: &rng, eps: 1e-4, tolerance: 2.5e-2)
    }

    func testWholeResNetInputGradient() throws {
        let model = try Architecture(name: "resnet20", inChannels: 1).buildResNet(seed: 3)
        model.conv1.needsInputGradient = true
        directional(model, input: [2, 1, 8, 8])
    }
}

import GhostTensor
import GhostTestSupport
import XCTest

/// Finite-difference checks of every backward pass: for L = Σ r ⊙ f(x), compare the analytic
/// dL/dx and dL/dθ with central differences at randomly chosen coordinates.
final class GradientCheckTests: XCTestCase {
    /// Checks a module: input gradient and every trainable parameter's gradient.
    func check(_ module: Module, input shape: [Int], seed: UInt64 = 1, eps: Float = 1e-2, tol: Float = 2e-2,
               file: StaticString = #filePath, line: UInt = #line) {
        var rng = SplitMix64(seed: seed)
        let x = Tensor(gaussian: shape, std: 1, rng: &rng)
        module.train(true)
        let y0 = module(x)
        let r = Tensor(gaussian: y0.shape, std: 1, rng: &rng)
        module.zeroGradients()
        let gx = module.backward(r)
        func loss(_ input: Tensor) -> Double {
            let y = module(input)
            _ = module.backward(r)  // clears saved state; gradients below are re-zeroed anyway
            var s: Double = 0
            for i in 0..<y.count { s += Double(y.readPointer[i]) * Double(r.readPointer[i]) }
            return s
        }
        let analyticParams = module.trainableParameters().map { ($0.0, $0.1, $0.1.grad!) }
        var rng2 = SplitMix64(seed: seed + 99)
        // Input gradient.
        for _ in 0..<6 {
            let i = Int(rng2.next() % UInt64(x.count))
            var xp = x, xm = x
            xp[flat: i] += eps
            xm[flat: i] -= eps
            let numeric = Float((loss(xp) - loss(xm)) / Double(2 * eps))
            XCTAssertEqual(gx.readPointer[i], numeric, accuracy: tol * max(1, abs(numeric)), "dL/dx[\(i)] of \(type(of: module))", file: file, line: line)
        }
        // Parameter gradients.
        for (name, p, g) in analyticParams {
            for _ in 0..<3 {
                let i = Int(rng2.next() % UInt64(p.value.count))
                let orig = p.value.readPointer[i]
                p.value.makeUnique()
                p.value.uncheckedMutablePointer[i] = orig + eps
                let lp = loss(x)
                p.value.uncheckedMutablePointer[i] = orig - eps
                let lm = loss(x)
                p.value.uncheckedMutablePointer[i] = orig
                let numeric = Float((lp - lm) / Double(2 * eps))
                XCTAssertEqual(g.readPointer[i], numeric, accuracy: tol * max(1, abs(numeric)), "dL/d\(name)[\(i)] of \(type(of: module))", file: file, line: line)
            }
        }
    }

    func testConvolutions() {
        var rng = SplitMix64(seed: 3)
        check(Conv2D(3, 5, kernel: 3, stride: 1, padding: 1, bias: true, rng: &rng), input: [2, 3, 7, 6])
        check(Conv2D(4, 6, kernel: 3, stride: 2, padding: 1, rng: &rng), input: [2, 4, 9, 9])
        check(Conv2D(8, 4, kernel: 1, rng: &rng), input: [3, 8, 5, 5])
        check(Conv2D(8, 4, kernel: 1, stride: 2, rng: &rng), input: [2, 8, 6, 6])
        check(Conv2D(8, 12, kernel: 3, padding: 1, groups: 4, bias: true, rng: &rng), input: [2, 8, 5, 5])
        check(Conv2D(6, 6, kernel: 3, padding: 1, groups: 6, rng: &rng), input: [2, 6, 7, 7])          // depthwise
        check(Conv2D(6, 6, kernel: 5, stride: 2, padding: 2, groups: 6, bias: true, rng: &rng), input: [2, 6, 9, 8])
        check(Conv2D(4, 8, kernel: 3, padding: 1, groups: 4, rng: &rng), input: [2, 4, 6, 6])          // multiplier 2
        check(Conv2D(3, 4, kernel: 7, stride: 2, padding: 3, rng: &rng), input: [1, 3, 20, 20])        // large image tiles
        check(Conv2D(4, 4, kernel: 5, stride: 2, padding: 2, groups: 4, rng: &rng), input: [2, 4, 2, 2])  // taps past the padded row
        check(Conv2D(3, 4, kernel: 5, stride: 2, padding: 2, rng: &rng), input: [2, 3, 2, 3])
        // TapGEMMKernel's backward: several stacked images per tile (5×5), a map of ≥ 256 pixels.
        check(Conv2D(3, 4, kernel: 5, padding: 2, bias: true, rng: &rng), input: [3, 3, 6, 5])
        check(Conv2D(2, 3, kernel: 3, padding: 1, rng: &rng), input: [1, 2, 17, 16])
    }

    func testBatchNormTrainingMode() {
        let bn = BatchNorm2D(4)
        var rng = SplitMix64(seed: 4)
        bn.weight.value = Tensor(gaussian: [4], std: 1, rng: &rng)
        bn.bias.value = Tensor(gaussian: [4], std: 1, rng: &rng)
        check(bn, input: [3, 4, 5, 5], eps: 1e-2, tol: 3e-2)
    }

    func testPoolsLinearAndReLU() {
        var rng = SplitMix64(seed: 5)
        check(MaxPool2D(kernel: 3, stride: 2, padding: 1), input: [2, 3, 7, 7], eps: 1e-3)
        check(AvgPool2D(kernel: 2, stride: 2), input: [2, 3, 6, 6])
        check(AvgPool2D(kernel: 3, stride: 1, padding: 1), input: [1, 2, 5, 5])
        check(GlobalAvgPool(), input: [2, 3, 4, 4])
        check(Linear(7, 5, rng: &rng), input: [4, 7])
        check(ReLU(), input: [2, 3, 4, 4], eps: 1e-3)
        check(Sequential([Conv2D(2, 3, kernel: 3, padding: 1, rng: &rng), BatchNorm2D(3), ReLU()]), input: [2, 2, 5, 5], eps: 1e-3)
    }
}

extension Tensor {
    /// Element by flat index (tests only).
    subscript(flat i: Int) -> Float {
        get { readPointer[i] }
        set { makeUnique(); uncheckedMutablePointer[i] = newValue }
    }
}

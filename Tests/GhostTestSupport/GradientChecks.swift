import GhostTensor
import XCTest

/// For every trainable tensor θ of `module`: ⟨∂L/∂θ, V⟩ against the central difference
/// (L(θ + εV) − L(θ − εV)) / 2ε along a random V, with L = Σ r ⊙ module(x) for a fixed random r.
/// Training mode; `tolerance` is relative to max(1, |numeric|).
public func assertParameterGradientsMatchFiniteDifferences(_ module: Module, input x: Tensor, rng: inout SplitMix64,
                                                           eps: Float = 1e-4, tolerance: Double,
                                                           file: StaticString = #filePath, line: UInt = #line) {
    module.train(true)
    let r = Tensor(gaussian: module(x).shape, std: 1, rng: &rng)
    module.zeroGradients()
    _ = module.backward(r)
    let parameters = module.trainableParameters()
    let grads = Dictionary(uniqueKeysWithValues: parameters.map { ($0.0, $0.1.grad!.scalars) })
    XCTAssertEqual(grads.count, parameters.count, "parameter names are unique", file: file, line: line)
    for (name, p) in parameters {
        let w0 = p.value.scalars, grad = grads[name]!
        func loss(_ t: Float, _ v: [Float]) -> Double {
            p.value = Tensor(shape: p.value.shape, values: zip(w0, v).map { $0 + t * $1 })
            let y = module(x)
            _ = module.backward(r)
            var s = 0.0
            for i in 0..<y.count { s += Double(y.readPointer[i]) * Double(r.readPointer[i]) }
            return s
        }
        // A central difference is only meaningful where the loss is smooth along v: when the estimates at eps and
        // eps/2 disagree, the segment crosses a ReLU/clamp kink (which of them it crosses depends on the BLAS
        // kernel's rounding), so another direction is drawn (at most 8).
        var (v, numeric, analytic) = ([Float](), 0.0, 0.0)
        for _ in 0..<8 {
            v = (0..<w0.count).map { _ in Float.random(in: -1...1, using: &rng) }
            numeric = (loss(eps, v) - loss(-eps, v)) / Double(2 * eps)
            let half = (loss(eps / 2, v) - loss(-eps / 2, v)) / Double(eps)
            analytic = zip(grad, v).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            if abs(numeric - half) <= tolerance / 2 * max(1, abs(numeric)) { break }
        }
        p.value = Tensor(shape: p.value.shape, values: w0)
        XCTAssertEqual(analytic, numeric, accuracy: tolerance * max(1, abs(numeric)), name, file: file, line: line)
    }
}

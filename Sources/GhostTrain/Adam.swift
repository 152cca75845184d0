import Foundation
import GhostTensor

/// Adam and AdamW with PyTorch's semantics (`torch.optim.Adam` / `AdamW`, no amsgrad): per parameter, step t += 1;
/// Adam adds L2 weight decay to the gradient (g + λ·p), AdamW decays the weight itself (p ← p·(1 − lr·λ));
/// m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g², p ← p − lr/(1 − β₁ᵗ) · m / (√v/√(1 − β₂ᵗ) + ε).
public final class Adam: Optimizer {
    public var learningRate: Float
    public let beta1, beta2, eps, weightDecay: Float
    /// AdamW: decoupled weight decay.
    public let decoupled: Bool
    public let parameters: [(String, Parameter)]
    private var expAvg: [String: Tensor] = [:], expAvgSq: [String: Tensor] = [:], steps: [String: Int] = [:]

    public init(
        parameters: [(String, Parameter)], learningRate: Float, beta1: Float = 0.9, beta2: Float = 0.999,
        eps: Float = 1e-8, weightDecay: Float = 0, decoupled: Bool = false
    ) {
        precondition(
            (0..<1).contains(beta1) && (0..<1).contains(beta2) && eps >= 0 && weightDecay >= 0, "Adam hyper-parameters")
        self.parameters = parameters
        self.learningRate = learningRate
        (self.beta1, self.beta2, self.eps, self.weightDecay, self.decoupled) = (
            beta1, beta2, eps, weightDecay, decoupled
        )
    }

    public func step() {
        let lr = learningRate
        let b1 = beta1
        let b2 = beta2
        let eps = eps
        let wd = weightDecay
        for (name, p) in parameters {
            guard let g = p.grad else { continue }
            let n = p.value.count
            let t = (steps[name] ?? 0) + 1
            steps[name] = t
            var m = expAvg.removeValue(forKey: name) ?? Tensor(zeros: p.value.shape)
            var v = expAvgSq.removeValue(forKey: name) ?? Tensor(zeros: p.value.shape)
            m.makeUnique()
            v.makeUnique()
            p.value.makeUnique()
            // Scalars in Double, as PyTorch computes them in Python.
            let stepSize = Float(Double(lr) / (1 - pow(Double(b1), Double(t))))
            let bc2Sqrt = Float((1 - pow(Double(b2), Double(t))).squareRoot())
            let w = p.value.uncheckedMutablePointer
            let gp = g.readPointer
            let mp = m.uncheckedMutablePointer
            let vp = v.uncheckedMutablePointer
            let decay = decoupled ? 1 - lr * wd : 1
            for i in 0..<n {
                var gi = gp[i]
                if decoupled { w[i] *= decay } else { gi += wd * w[i] }
                mp[i] = b1 * mp[i] + (1 - b1) * gi
                vp[i] = b2 * vp[i] + (1 - b2) * gi * gi
                w[i] -= stepSize * (mp[i] / (vp[i].squareRoot() / bc2Sqrt + eps))
            }
            expAvg[name] = m
            expAvgSq[name] = v
        }
    }

    public var state: [String: Tensor] {
        var out: [String: Tensor] = [:]
        for (k, t) in expAvg { out["exp_avg." + k] = t }
        for (k, t) in expAvgSq { out["exp_avg_sq." + k] = t }
        for (k, s) in steps { out["step." + k] = Tensor(shape: [1], values: [Float(s)]) }
        return out
    }

    public func loadState(_ state: [String: Tensor]) throws {
        try validate(state, kinds: ["exp_avg": nil, "exp_avg_sq": nil, "step": 1])
        let shapes = Dictionary(parameters.map { ($0.0, $0.1.shape) }, uniquingKeysWith: { a, _ in a })
        (expAvg, expAvgSq, steps) = ([:], [:], [:])
        for (key, t) in state {
            let kind = String(key.prefix { $0 != "." })
            let name = String(key.dropFirst(kind.count + 1))
            switch kind {
            case "exp_avg": expAvg[name] = t.reshaped(shapes[name]!)
            case "exp_avg_sq": expAvgSq[name] = t.reshaped(shapes[name]!)
            default: steps[name] = Int(t.scalars[0])
            }
        }
    }
}

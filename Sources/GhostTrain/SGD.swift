import GhostTensor

/// Stochastic gradient descent with PyTorch's `torch.optim.SGD` semantics:
/// coupled L2 weight decay (d = g + λ·p), momentum buffer b = μ·b + (1 − dampening)·d (b = d on the
/// first step), Nesterov d + μ·b, then p −= lr·d.
public final class SGD: Optimizer {
    public var learningRate: Float
    public let momentum: Float
    public let dampening: Float
    public let weightDecay: Float
    public let nesterov: Bool
    /// Parameters being optimised, by state-dict name.
    public let parameters: [(String, Parameter)]
    /// Momentum buffers by parameter name (saved in training checkpoints for exact resume).
    public private(set) var momentumBuffers: [String: Tensor] = [:]

    public init(
        parameters: [(String, Parameter)], learningRate: Float, momentum: Float = 0, dampening: Float = 0,
        weightDecay: Float = 0, nesterov: Bool = false
    ) {
        precondition(
            !nesterov || (momentum > 0 && dampening == 0), "Nesterov momentum requires momentum > 0 and no dampening")
        self.parameters = parameters
        self.learningRate = learningRate
        self.momentum = momentum
        self.dampening = dampening
        self.weightDecay = weightDecay
        self.nesterov = nesterov
    }

    /// One update of every parameter that has a gradient.
    public func step() {
        let lr = learningRate
        let mu = momentum
        let wd = weightDecay
        let damp = 1 - dampening
        for (name, p) in parameters {
            guard let g = p.grad else { continue }
            let n = p.value.count
            p.value.makeUnique()
            let w = p.value.uncheckedMutablePointer
            let gp = g.uncheckedMutablePointer
            if mu == 0 {
                for i in 0..<n { w[i] -= lr * (gp[i] + wd * w[i]) }
                continue
            }
            if var buf = momentumBuffers[name] {
                momentumBuffers[name] = nil
                buf.makeUnique()
                let b = buf.uncheckedMutablePointer
                for i in 0..<n {
                    let d = gp[i] + wd * w[i]
                    b[i] = mu * b[i] + damp * d
                    w[i] -= lr * (nesterov ? d + mu * b[i] : b[i])
                }
                momentumBuffers[name] = buf
            } else {
                let buf = Tensor(uninitialized: p.value.shape)
                let b = buf.uncheckedMutablePointer
                for i in 0..<n {
                    let d = gp[i] + wd * w[i]
                    b[i] = d
                    w[i] -= lr * (nesterov ? d + mu * d : d)
                }
                momentumBuffers[name] = buf
            }
        }
    }

    /// The momentum buffers as "momentum.<name>".
    public var state: [String: Tensor] {
        Dictionary(uniqueKeysWithValues: momentumBuffers.map { ("momentum." + $0.key, $0.value) })
    }

    public func loadState(_ state: [String: Tensor]) throws {
        try validate(state, kinds: ["momentum": nil])
        let shapes = Dictionary(parameters.map { ($0.0, $0.1.shape) }, uniquingKeysWith: { a, _ in a })
        momentumBuffers = Dictionary(
            uniqueKeysWithValues: state.map { k, t in
                let name = String(k.dropFirst("momentum.".count))
                return (name, t.reshaped(shapes[name]!))
            })
    }
}

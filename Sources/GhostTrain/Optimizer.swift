import GhostTensor

/// An optimiser `TrainStep` can drive (SGD, Adam, AdamW), with its state as named tensors for exact resume.
public protocol Optimizer: AnyObject {
    /// Parameters being optimised, by state-dict name.
    var parameters: [(String, Parameter)] { get }
    /// Set by the schedule before every step.
    var learningRate: Float { get set }
    /// One update of every parameter that has a gradient.
    func step()
    /// Per-parameter state by key ("momentum.<name>", "exp_avg.<name>", "step.<name>", …), saved in checkpoints.
    var state: [String: Tensor] { get }
    /// Restores `state`; a key this optimiser does not keep (another optimiser's state) is an error naming it.
    func loadState(_ state: [String: Tensor]) throws
}

/// The optimisers `ghostkit train --optimizer` accepts.
public enum OptimizerKind: String, CaseIterable {
    case sgd, adam, adamw

    /// Parses a name (case-insensitive); the error lists every valid name.
    public init(name: String) throws {
        guard let k = OptimizerKind(rawValue: name.lowercased()) else {
            throw GhostError(
                "unknown optimizer '\(name)' (valid: \(OptimizerKind.allCases.map(\.rawValue).joined(separator: ", ")))"
            )
        }
        self = k
    }
}

extension Optimizer {
    /// Scales every gradient so their global L2 norm is at most `maxNorm`; returns the norm before clipping.
    @discardableResult
    public func clipGradientNorm(_ maxNorm: Float) -> Float {
        var sq: Double = 0
        for (_, p) in parameters {
            if let g = p.grad { for i in 0..<g.count { sq += Double(g.readPointer[i] * g.readPointer[i]) } }
        }
        let norm = Float(sq.squareRoot())
        if norm > maxNorm && norm > 0 {
            let s = maxNorm / (norm + 1e-6)
            for (_, p) in parameters {
                guard var g = p.grad else { continue }
                p.grad = nil
                g.withUnsafeMutableBufferPointer { b in for i in 0..<b.count { b[i] *= s } }
                p.grad = g
            }
        }
        return norm
    }

    /// Checks restored state: every key is "<kind>.<parameter>" with a known kind and parameter and the right
    /// element count (`perParameter` elements, or the parameter's own count when nil).
    func validate(_ state: [String: Tensor], kinds: [String: Int?]) throws {
        let sizes = Dictionary(parameters.map { ($0.0, $0.1.value.count) }, uniquingKeysWith: { a, _ in a })
        for (key, t) in state {
            let kind = String(key.prefix { $0 != "." })
            let name = String(key.dropFirst(kind.count + 1))
            guard let per = kinds[kind], let n = sizes[name] else {
                throw GhostError(
                    "optimizer state '\(key)' does not belong to \(type(of: self)) (was the checkpoint trained with " +
                        "another --optimizer?)"
                )
            }
            guard t.count == (per ?? n) else {
                throw GhostError("optimizer state '\(key)' has \(t.count) values, expected \(per ?? n)")
            }
        }
    }
}

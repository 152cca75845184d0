import Foundation

/// Softmax cross-entropy over logits [N, classes] with integer targets.
public enum CrossEntropy {
    /// Mean loss and its gradient with respect to the logits (PyTorch `F.cross_entropy`,
    /// mean reduction, optional label smoothing ε: target = (1−ε)·onehot + ε/classes).
    public static func lossAndGradient(
        logits: Tensor, targets: [Int], labelSmoothing: Float = 0
    ) -> (loss: Float, grad: Tensor) {
        precondition(
            logits.rank == 2 && logits.shape[0] == targets.count, "logits \(logits.shape) vs \(targets.count) targets")
        let (N, K) = (logits.shape[0], logits.shape[1])
        let grad = Tensor(uninitialized: [N, K])
        let lp = logits.pointer
        let gp = grad.pointer
        var total: Double = 0
        let eps = labelSmoothing
        for n in 0..<N {
            let row = lp + n * K
            let g = gp + n * K
            let t = targets[n]
            precondition(t >= 0 && t < K, "target \(t) outside 0..<\(K)")
            var m = -Float.infinity
            for k in 0..<K { m = max(m, row[k]) }
            var sum: Float = 0
            for k in 0..<K {
                let e = expf(row[k] - m)
                g[k] = e
                sum += e
            }
            let logZ = m + logf(sum)
            var loss: Float = 0
            for k in 0..<K {
                let p = g[k] / sum
                let q = (k == t ? 1 - eps : 0) + eps / Float(K)
                loss -= q * (row[k] - logZ)
                g[k] = (p - q) / Float(N)
            }
            total += Double(loss)
        }
        return (Float(total / Double(N)), grad)
    }

    /// Row-wise softmax probabilities.
    public static func softmax(_ logits: Tensor) -> Tensor {
        let (N, K) = (logits.shape[0], logits.shape[1])
        let y = Tensor(uninitialized: [N, K])
        for n in 0..<N {
            let row = logits.pointer + n * K
            let out = y.pointer + n * K
            var m = -Float.infinity
            for k in 0..<K { m = max(m, row[k]) }
            var s: Float = 0
            for k in 0..<K {
                out[k] = expf(row[k] - m)
                s += out[k]
            }
            for k in 0..<K { out[k] /= s }
        }
        return y
    }
}

import Foundation
import GhostTensor

/// Knowledge distillation (Hinton et al. 2015) from a fixed teacher: the training loss becomes
/// (1 − α)·CE(student, labels) + α·T²·KL(softmax(teacher/T) ‖ softmax(student/T)), averaged over the batch
/// (the T² keeps the soft term's gradient scale independent of T, as in the paper and PyTorch recipes).
public struct Distillation {
    public let teacher: Module
    public let temperature: Float
    public let weight: Float

    public init(teacher: Module, temperature: Float, weight: Float) {
        precondition(temperature > 0 && (0...1).contains(weight), "need T > 0 and 0 ≤ α ≤ 1")
        self.teacher = teacher
        self.temperature = temperature
        self.weight = weight
    }

    /// T²·KL(p_teacher ‖ p_student) at temperature T, mean over the batch, and its gradient w.r.t. the
    /// student logits: T·(p_student − p_teacher)/N.
    public static func softLossAndGradient(
        student: Tensor, teacher: Tensor, temperature T: Float
    ) -> (loss: Float, grad: Tensor) {
        precondition(
            student.shape == teacher.shape && student.rank == 2, "student \(student.shape) vs teacher \(teacher.shape)")
        let (N, K) = (student.shape[0], student.shape[1])
        let grad = Tensor(uninitialized: [N, K])
        var total = 0.0
        func logSoftmax(_ row: UnsafeMutablePointer<Float>, _ out: inout [Double]) {
            var m = -Double.infinity
            for k in 0..<K { m = max(m, Double(row[k]) / Double(T)) }
            var s = 0.0
            for k in 0..<K { s += exp(Double(row[k]) / Double(T) - m) }
            let logZ = m + log(s)
            for k in 0..<K { out[k] = Double(row[k]) / Double(T) - logZ }
        }
        var ls = [Double](repeating: 0, count: K)
        var lt = [Double](repeating: 0, count: K)
        for n in 0..<N {
            logSoftmax(student.uncheckedMutablePointer + n * K, &ls)
            logSoftmax(teacher.uncheckedMutablePointer + n * K, &lt)
            for k in 0..<K {
                let pt = exp(lt[k])
                total += pt * (lt[k] - ls[k])
                grad.uncheckedMutablePointer[n * K + k] = Float(Double(T) * (exp(ls[k]) - pt) / Double(N))
            }
        }
        return (Float(Double(T * T) * total / Double(N)), grad)
    }

    /// The combined loss and gradient for a batch; the teacher runs in evaluation mode.
    public func lossAndGradient(
        student: Tensor, input x: Tensor, labels: [Int], labelSmoothing: Float
    ) -> (loss: Float, grad: Tensor) {
        teacher.train(false)
        let t = teacher(x)
        let (ce, gce) = CrossEntropy.lossAndGradient(logits: student, targets: labels, labelSmoothing: labelSmoothing)
        let (kd, gkd) = Self.softLossAndGradient(student: student, teacher: t, temperature: temperature)
        let g = Tensor(uninitialized: student.shape)
        for i in 0..<g.count {
            g.uncheckedMutablePointer[i] =
                (1 - weight) * gce.uncheckedMutablePointer[i] + weight * gkd.uncheckedMutablePointer[i]
        }
        return ((1 - weight) * ce + weight * kd, g)
    }
}

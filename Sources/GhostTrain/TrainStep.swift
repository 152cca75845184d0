import GhostDistributed
import GhostTensor

/// One optimisation step of a classifier: forward (training mode), softmax cross-entropy,
/// backward, optional gradient clipping, optimiser update (SGD, Adam or AdamW).
public struct TrainStep {
    public let model: Module
    public let optimizer: Optimizer
    public var labelSmoothing: Float = 0
    public var clipNorm: Float?
    /// When set, the loss mixes in the teacher's softened predictions.
    public var distillation: Distillation?
    /// The data-parallel job this step is one rank of (each rank runs its share of the global batch).
    public var communicator: Communicator = SingleProcess()

    public init(
        model: Module, optimizer: Optimizer, labelSmoothing: Float = 0, clipNorm: Float? = nil,
        distillation: Distillation? = nil
    ) {
        self.model = model
        self.optimizer = optimizer
        self.labelSmoothing = labelSmoothing
        self.clipNorm = clipNorm
        self.distillation = distillation
    }

    /// Returns the batch loss and the number of correct predictions. Data-parallel: `x`, `labels` are this rank's
    /// share of a global batch of `globalCount` images; the loss's gradient is scaled by share/global batch, so the
    /// all-reduced gradients (and loss and count returned) are those of the global batch's mean loss.
    @discardableResult
    public func callAsFunction(_ x: Tensor, _ labels: [Int], globalCount: Int? = nil) -> (loss: Float, correct: Int) {
        model.train(true)
        model.zeroGradients()
        let logits = model(x)
        var (loss, grad) =
            distillation?.lossAndGradient(student: logits, input: x, labels: labels, labelSmoothing: labelSmoothing)
            ?? CrossEntropy.lossAndGradient(logits: logits, targets: labels, labelSmoothing: labelSmoothing)
        let share = Float(labels.count) / Float(globalCount ?? labels.count)
        if communicator.size > 1 {
            grad.withUnsafeMutableBufferPointer { g in for i in 0..<g.count { g[i] *= share } }
        }
        _ = model.backward(grad)
        var correct = countCorrect(logits, labels)
        if communicator.size > 1 {
            GradientAllReduce(parameters: optimizer.parameters).run(communicator)
            var totals = [Double(loss * share), Double(correct)]
            communicator.allReduceSum(&totals)
            (loss, correct) = (Float(totals[0]), Int(totals[1]))
        }
        if let c = clipNorm { optimizer.clipGradientNorm(c) }
        optimizer.step()
        return (loss, correct)
    }

    /// Rows of `logits` whose arg-max is the label.
    private func countCorrect(_ logits: Tensor, _ labels: [Int]) -> Int {
        let K = logits.shape[1]
        var correct = 0
        for (n, label) in labels.enumerated() {
            let row = logits.readPointer + n * K
            var best = 0
            for k in 1..<K where row[k] > row[best] { best = k }
            if best == label { correct += 1 }
        }
        return correct
    }
}

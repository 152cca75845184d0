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

    public init(model: Module, optimizer: Optimizer, labelSmoothing: Float = 0, clipNorm: Float? = nil, distillation: Distillation? = nil) {
        self.model = model
        self.optimizer = optimizer
        self.labelSmoothing = labelSmoothing
        self.clipNorm = clipNorm
        self.distillation = distillation
    }

    /// Returns the batch loss and the number of correct predictions.
    @discardableResult
    public func callAsFunction(_ x: Tensor, _ labels: [Int]) -> (loss: Float, correct: Int) {
        model.train(true)
        model.zeroGradients()
        let logits = model(x)
        let (loss, grad) = distillation?.lossAndGradient(student: logits, input: x, labels: labels, labelSmoothing: labelSmoothing)
            ?? CrossEntropy.lossAndGradient(logits: logits, targets: labels, labelSmoothing: labelSmoothing)
        _ = model.backward(grad)
        if let c = clipNorm { optimizer.clipGradientNorm(c) }
        optimizer.step()
        let K = logits.shape[1]
        var correct = 0
        for (n, label) in labels.enumerated() {
            let row = logits.pointer + n * K
            var best = 0
            for k in 1..<K where row[k] > row[best] { best = k }
            if best == label { correct += 1 }
        }
        return (loss, correct)
    }
}

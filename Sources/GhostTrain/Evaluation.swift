import GhostData
import GhostIO
import GhostTensor

/// Accuracy, per-class accuracy and the confusion matrix of a classifier on a dataset.
public struct Evaluation {
    /// confusion[true][predicted]
    public var confusion: [[Int]]
    public var lossSum: Double = 0
    public var count: Int = 0

    public init(classes: Int) { confusion = Array(repeating: Array(repeating: 0, count: classes), count: classes) }

    public var correct: Int { confusion.indices.reduce(0) { $0 + confusion[$1][$1] } }
    public var accuracy: Double { count == 0 ? 0 : Double(correct) / Double(count) }
    public var meanLoss: Double { count == 0 ? 0 : lossSum / Double(count) }
    public var perClassAccuracy: [Double] {
        confusion.indices.map { c in
            let n = confusion[c].reduce(0, +)
            return n == 0 ? 0 : Double(confusion[c][c]) / Double(n)
        }
    }

    /// Adds a batch of logits [N, classes].
    public mutating func add(logits: Tensor, labels: [Int]) {
        let K = logits.shape[1]
        let (loss, _) = CrossEntropy.lossAndGradient(logits: logits, targets: labels)
        lossSum += Double(loss) * Double(labels.count)
        for (n, label) in labels.enumerated() {
            let row = logits.readPointer + n * K
            var best = 0
            for k in 1..<K where row[k] > row[best] { best = k }
            confusion[label][best] += 1
        }
        count += labels.count
    }

    /// Runs `model` (eval mode) over every batch of `loader`.
    public static func run(
        _ model: Module, loader: BatchLoader, classes: Int, progress: ((Int, Int) -> Void)? = nil
    ) -> Evaluation {
        model.train(false)
        var e = Evaluation(classes: classes)
        let order = loader.order(epoch: 0)
        // Packed once per evaluation: the weights stay fixed while it runs (training may change them between runs).
        model.withPackedWeights {
            for b in 0..<loader.batchesPerEpoch {
                let (x, y) = loader.batch(b, order: order, epoch: 0)
                e.add(logits: model(x), labels: y)
                progress?(b + 1, loader.batchesPerEpoch)
            }
        }
        return e
    }
}

/// A named tensor owned by a module: a trainable weight, or a buffer such as BatchNorm's running stats.
public final class Parameter {
    public var value: Tensor
    /// Accumulated gradient (training only).
    public var grad: Tensor?
    /// Buffers are saved in checkpoints but not trained (running_mean, running_var, num_batches_tracked).
    public let isBuffer: Bool
    /// Stored as an integer in checkpoints (num_batches_tracked is int64 in PyTorch).
    public let isInteger: Bool

    public init(_ value: Tensor, isBuffer: Bool = false, isInteger: Bool = false) {
        self.value = value
        self.isBuffer = isBuffer
        self.isInteger = isInteger
    }

    public var shape: [Int] { value.shape }

    /// Adds `g` to the gradient (allocating it on first use).
    public func accumulate(_ g: Tensor) {
        precondition(
            g.shape == value.shape || g.count == value.count, "gradient \(g.shape) for parameter \(value.shape)")
        guard var acc = grad else {
            grad = g.reshaped(value.shape)
            return
        }
        grad = nil
        acc.withUnsafeMutableBufferPointer { a in for i in 0..<a.count { a[i] += g.pointer[i] } }
        grad = acc
    }
}

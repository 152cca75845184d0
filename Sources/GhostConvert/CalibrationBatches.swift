import GhostData
import GhostDistributed
import GhostTensor

/// Normalised calibration inputs made one batch at a time (decoded from their source when asked for), so a
/// conversion holds one batch of images, never the whole calibration set. Under mpirun (`sharded`) each rank
/// passes its contiguous share `local` of the batches; sums over the batches are then all-reduced over `communicator`.
public struct CalibrationBatches {
    /// Number of batches (of the whole job).
    public let count: Int
    let make: (Int) throws -> Tensor
    /// The batches this rank passes over (all of them in one process).
    public private(set) var local: Range<Int>
    /// The job whose ranks hold the other shares.
    public private(set) var communicator: Communicator = SingleProcess()

    /// Batches made by `batch(i)` for i in 0..<count.
    public init(count: Int, batch: @escaping (Int) throws -> Tensor) {
        (self.count, make, local) = (count, batch, 0..<count)
    }

    /// Batches already in memory.
    public init(_ tensors: [Tensor]) { self.init(count: tensors.count) { tensors[$0] } }

    /// A stream's images in order, `batchSize` at a time, normalised as `BatchLoader` normalises them.
    public init(stream: ImageStream, normalization: Normalization, batchSize: Int = 64) {
        let n = stream.count
        self.init(count: (n + batchSize - 1) / batchSize) { b in
            let range = (b * batchSize)..<min(n, (b + 1) * batchSize)
            let d = try stream.images(range)
            return BatchLoader(dataset: d, batchSize: d.count, normalization: normalization)
                .batch(0, order: Array(0..<d.count), epoch: 0).images
        }
    }

    /// Images per eval-mode forward pass over a batch (observation, evaluation): the pass's activations scale
    /// with it (a ResNet-50 forward at 224² holds ≈ 20 MB per image in flight), and eval-mode outputs depend on
    /// each image alone, so a batch passed in parts gives the same per-image outputs at a quarter of the memory.
    public static let forwardImages = 16

    /// `x` [N, …] in consecutive parts of at most `forwardImages` images (`x` itself when it is no larger).
    public static func parts(of x: Tensor) -> [Range<Int>] {
        let n = x.shape[0]
        return stride(from: 0, to: n, by: forwardImages).map { $0..<min(n, $0 + forwardImages) }
    }

    /// Images `range` of `x` [N, …] as their own tensor (`x` itself for all of them).
    public static func images(_ range: Range<Int>, of x: Tensor) -> Tensor {
        guard range != 0..<x.shape[0] else { return x }
        let per = x.count / max(x.shape[0], 1)
        let t = Tensor(uninitialized: [range.count] + x.shape.dropFirst())
        t.uncheckedMutablePointer.update(from: x.readPointer + range.lowerBound * per, count: range.count * per)
        return t
    }

    /// Batch `i` (0 ≤ i < count).
    public func batch(_ i: Int) throws -> Tensor { try make(i) }

    /// The same batches with this rank's contiguous share of `comm` (`Shard`) as `local`.
    public func sharded(_ comm: Communicator) -> CalibrationBatches {
        var b = self
        b.local = Shard.range(count: count, parts: comm.size, index: comm.rank)
        b.communicator = comm
        return b
    }
}

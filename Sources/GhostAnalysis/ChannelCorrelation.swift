import GhostDistributed
import GhostTensor

/// Streaming Pearson correlation between every pair of channels of a layer, over all pixels of all
/// images seen: a Gram matrix accumulated with sgemm (one GEMM per image), never a double loop over pairs.
public struct ChannelCorrelation {
    public let channels: Int
    /// Σ x_c over samples (Double).
    private var sums: [Double]
    /// Σ x_i x_j over samples (Double, C × C).
    private var gram: [Double]
    /// Samples (images × pixels) seen.
    public private(set) var samples = 0
    /// Floating-point operations spent in GEMMs (for throughput figures).
    public private(set) var flops: Double = 0

    public init(channels: Int) {
        self.channels = channels
        sums = [Double](repeating: 0, count: channels)
        gram = [Double](repeating: 0, count: channels * channels)
    }

    /// Adds a batch of activations [N, C, H, W].
    public mutating func add(_ x: Tensor) {
        precondition(x.rank == 4 && x.shape[1] == channels, "expected [N, \(channels), H, W], got \(x.shape)")
        let (N, C, HW) = (x.shape[0], channels, x.shape[2] * x.shape[3])
        let g = Tensor(zeros: [C, C])
        for n in 0..<N {
            let xn = x.readPointer + n * C * HW
            gemm(
                transB: true, m: C, n: C, k: HW, a: xn, lda: HW, b: xn, ldb: HW, beta: 1, c: g.uncheckedMutablePointer,
                ldc: C)
            for c in 0..<C {
                var s: Float = 0
                let row = xn + c * HW
                for i in 0..<HW { s += row[i] }
                sums[c] += Double(s)
            }
        }
        for i in 0..<(C * C) { gram[i] += Double(g.readPointer[i]) }
        samples += N * HW
        flops += 2 * Double(N) * Double(C * C) * Double(HW)
    }

    /// Sums the accumulators of every rank of `comm` (each rank saw its own images): afterwards every rank holds
    /// what one process that saw all the images would hold, up to the order of the Double additions.
    public mutating func allReduce(_ comm: Communicator) {
        guard comm.size > 1 else { return }
        var counts = [Double(samples), flops]
        comm.allReduceSum(&counts)
        comm.allReduceSum(&sums)
        comm.allReduceSum(&gram)
        samples = Int(counts[0])
        flops = counts[1]
    }

    /// Channel covariance over the samples seen (C × C, row-major, Double, exactly symmetric).
    public func covariance() -> [Double] {
        let C = channels
        let M = Double(max(samples, 1))
        let mean = sums.map { $0 / M }
        var cov = [Double](repeating: 0, count: C * C)
        for i in 0..<C {
            for j in i..<C {
                let v = gram[i * C + j] / M - mean[i] * mean[j]
                cov[i * C + j] = v
                cov[j * C + i] = v
            }
        }
        return cov
    }

    /// Effective rank of the channel covariance (`EffectiveRank`): nil before any sample or when every
    /// channel is constant.
    public func effectiveRank() -> Double? {
        samples > 0 ? EffectiveRank.of(symmetric: covariance(), n: channels) : nil
    }

    /// Pearson r (C × C, row-major, exactly symmetric, clamped to [−1, 1]); a channel with zero variance
    /// correlates 0 with every other channel.
    public func pearson() -> [Float] {
        let C = channels
        let M = Double(max(samples, 1))
        let mean = sums.map { $0 / M }
        let std = (0..<C).map { c in max(gram[c * C + c] / M - mean[c] * mean[c], 0).squareRoot() }
        var r = [Float](repeating: 0, count: C * C)
        for i in 0..<C {
            r[i * C + i] = 1
            for j in (i + 1)..<max(C, i + 1) {
                let d = std[i] * std[j]
                let v = d > 1e-12 ? Float(min(max((gram[i * C + j] / M - mean[i] * mean[j]) / d, -1), 1)) : 0
                r[i * C + j] = v
                r[j * C + i] = v  // symmetric by construction
            }
        }
        return r
    }
}

import GhostDistributed
import GhostTensor

/// Data-parallel gradient exchange: the gradients of `parameters` packed into buckets of at most `bucketFloats`
/// floats, each bucket all-reduced (summed over ranks) with one MPI_Allreduce and unpacked in place.
public struct GradientAllReduce {
    public let parameters: [(String, Parameter)]
    /// 4 Mi floats = 16 MiB per bucket: few calls per step, bounded extra memory.
    public var bucketFloats = 1 << 22

    public init(parameters: [(String, Parameter)]) { self.parameters = parameters }

    /// Floats one step all-reduces: every trainable parameter's gradient.
    public var floatsPerStep: Int { parameters.reduce(0) { $0 + $1.1.value.count } }

    /// Sums every present gradient over the ranks of `comm` (a parameter without a gradient has none on any rank:
    /// every rank runs the same model).
    public func run(_ comm: Communicator) {
        guard comm.size > 1 else { return }
        let withGrad = parameters.map(\.1).filter { $0.grad != nil }
        var bucket = [Float](repeating: 0, count: min(bucketFloats, max(1, withGrad.reduce(0) { $0 + $1.grad!.count })))
        var start = 0
        while start < withGrad.count {
            var end = start
            var used = 0
            while end < withGrad.count, end == start || used + withGrad[end].grad!.count <= bucket.count {
                used += withGrad[end].grad!.count
                end += 1
            }
            if used > bucket.count { bucket = [Float](repeating: 0, count: used) }  // one tensor larger than a bucket
            bucket.withUnsafeMutableBufferPointer { b in
                var o = 0
                for p in withGrad[start..<end] {
                    let g = p.grad!
                    (b.baseAddress! + o).update(from: g.readPointer, count: g.count)
                    o += g.count
                }
                comm.allReduceSum(UnsafeMutableBufferPointer(rebasing: b[0..<used]))
                o = 0
                for p in withGrad[start..<end] {
                    var g = p.grad!
                    p.grad = nil  // unique, so the write below does not copy
                    g.withUnsafeMutableBufferPointer {
                        $0.baseAddress!.update(from: b.baseAddress! + o, count: $0.count)
                    }
                    o += g.count
                    p.grad = g
                }
            }
            start = end
        }
    }
}

/// The processes of one job and the collective operations GhostKit's pipelines need: every rank calls each
/// operation in the same order with buffers of the same length. `SingleProcess` is the one-process job;
/// GhostMPI's `MPICommunicator` runs over Open MPI.
public protocol Communicator: AnyObject {
    /// This process's index in 0..<size.
    var rank: Int { get }
    /// Number of processes in the job.
    var size: Int { get }
    /// Replaces `buffer` on every rank by the element-wise sum over all ranks.
    func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>)
    /// Replaces `buffer` on every rank by the element-wise sum over all ranks.
    func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Double>)
    /// Replaces `buffer` on every rank by the element-wise maximum over all ranks.
    func allReduceMax(_ buffer: UnsafeMutableBufferPointer<Double>)
    /// Copies `buffer` of rank `root` into `buffer` of every other rank.
    func broadcast(_ buffer: UnsafeMutableBufferPointer<Float>, root: Int)
    /// Returns when every rank has called it.
    func barrier()
    /// Ends the whole job with exit status `code` (after the caller has printed why).
    func abort(code: Int32) -> Never
    /// Seconds spent inside collective operations since the start (for the share of time in communication).
    var communicationSeconds: Double { get }
}

extension Communicator {
    /// True on the rank that prints and writes reports, checkpoints and figures.
    public var isRoot: Bool { rank == 0 }

    /// All-reduces an array of Double in place.
    public func allReduceSum(_ values: inout [Double]) {
        values.withUnsafeMutableBufferPointer { allReduceSum($0) }
    }

    /// All-reduces an array of Float in place.
    public func allReduceSum(_ values: inout [Float]) {
        values.withUnsafeMutableBufferPointer { allReduceSum($0) }
    }

    /// The sum over all ranks of one integer (exact for |sum| < 2^53).
    public func sum(_ value: Int) -> Int {
        var v = [Double(value)]
        allReduceSum(&v)
        return Int(v[0])
    }
}

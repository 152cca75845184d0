import CMPI
import Foundation
import GhostDistributed

/// `Communicator` over Open MPI's MPI_COMM_WORLD (C API through the CMPI shim). A failed MPI call cannot be
/// recovered from (the other ranks would wait forever), so it prints one line and aborts the job.
public final class MPICommunicator: Communicator {
    public let rank: Int
    public let size: Int
    public private(set) var communicationSeconds: Double = 0
    /// The largest element count one MPI call takes (its count is a C int).
    static let chunk = Int(Int32.max)

    /// Initialises MPI (once per process) and reads rank and size.
    public init() throws {
        let rc = gk_mpi_init()
        guard rc == 0 else { throw MPIError(call: "MPI_Init", code: rc) }
        rank = Int(gk_mpi_rank())
        size = Int(gk_mpi_size())
    }

    /// Calls `body` on pieces of at most `chunk` elements, timing it; a failure aborts the job.
    private func collective<T>(_ name: String, _ buffer: UnsafeMutableBufferPointer<T>,
                               _ body: (UnsafeMutablePointer<T>, Int32) -> Int32) {
        let t0 = gk_mpi_wtime()
        var offset = 0
        repeat {
            let n = min(buffer.count - offset, Self.chunk)
            let rc = n == 0 ? 0 : body(buffer.baseAddress! + offset, Int32(n))
            if rc != 0 { fail(MPIError(call: name, code: rc)) }
            offset += n
        } while offset < buffer.count
        communicationSeconds += gk_mpi_wtime() - t0
    }

    public func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) {
        collective("MPI_Allreduce", buffer) { gk_mpi_allreduce_sum_float($0, $1) }
    }

    public func allReduceSum(_ buffer: UnsafeMutableBufferPointer<Double>) {
        collective("MPI_Allreduce", buffer) { gk_mpi_allreduce_sum_double($0, $1) }
    }

    public func allReduceMax(_ buffer: UnsafeMutableBufferPointer<Double>) {
        collective("MPI_Allreduce", buffer) { gk_mpi_allreduce_max_double($0, $1) }
    }

    public func broadcast(_ buffer: UnsafeMutableBufferPointer<Float>, root: Int) {
        collective("MPI_Bcast", buffer) { gk_mpi_bcast_float($0, $1, Int32(root)) }
    }

    public func barrier() {
        let t0 = gk_mpi_wtime()
        let rc = gk_mpi_barrier()
        if rc != 0 { fail(MPIError(call: "MPI_Barrier", code: rc)) }
        communicationSeconds += gk_mpi_wtime() - t0
    }

    public func abort(code: Int32) -> Never {
        _ = gk_mpi_abort(code)
        exit(code)  // MPI_Abort does not return; this only satisfies Never
    }

    /// Ends MPI cleanly at the end of a successful run.
    public func finalize() { _ = gk_mpi_finalize() }

    private func fail(_ error: MPIError) -> Never {
        FileHandle.standardError.write(Data("error: rank \(rank): \(error.description)\n".utf8))
        abort(code: 1)
    }
}

/// A failed MPI call: its name and MPI's text for the error code.
public struct MPIError: Error, CustomStringConvertible {
    public let call: String, code: Int32

    public var description: String {
        var buf = [CChar](repeating: 0, count: 512)
        gk_mpi_error_string(code, &buf, Int32(buf.count))
        return "\(call) failed: \(String(cString: buf))"
    }
}

import Foundation
import GhostDistributed

/// Start-up and shutdown of a process that may have been launched by `mpirun`.
public enum MPIWorld {
    /// True when Open MPI's launcher started this process (it sets OMPI_COMM_WORLD_SIZE).
    public static var launchedByMPIRun: Bool { ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_SIZE"] != nil }

    /// Under mpirun: initialises MPI, sets `World.current`, and on ranks other than 0 sends standard output and
    /// standard error to /dev/null (only rank 0 prints); returns a handle to standard error kept for this rank's
    /// fatal error line. Without mpirun it does nothing (MPI is never initialised) and returns nil.
    public static func start() throws -> FileHandle? {
        guard launchedByMPIRun else { return nil }
        let comm = try MPICommunicator()
        World.current = comm
        let saved = dup(STDERR_FILENO)
        if comm.rank != 0 {
            let null = open("/dev/null", O_WRONLY)
            if null >= 0 { dup2(null, STDOUT_FILENO); dup2(null, STDERR_FILENO); close(null) }
        }
        return FileHandle(fileDescriptor: saved, closeOnDealloc: true)
    }

    /// A successful end: finalises MPI (when it was started).
    public static func finish() {
        (World.current as? MPICommunicator)?.finalize()
    }

    /// A failed rank: prints `message` as one line naming the rank on `stderr`, then takes the whole job down with
    /// exit status 1 (MPI_Abort), so no rank waits forever in a collective operation.
    public static func fail(_ message: String, stderr: FileHandle) -> Never {
        let comm = World.current
        stderr.write(Data("error: rank \(comm.rank) of \(comm.size): \(message)\n".utf8))
        comm.abort(code: 1)
    }
}

import ArgumentParser
import Foundation
import GhostDistributed
import GhostMPI

/// Runs the parsed command in a plain process or as one rank of an `mpirun` job (MPI initialised only then).
enum DistributedLaunch {
    /// Parses and runs `Root`; under mpirun a failure on any rank prints one line and aborts the whole job.
    static func run<Root: ParsableCommand>(_ root: Root.Type) {
        let errorStream: FileHandle?
        do { errorStream = try MPIWorld.start() } catch { root.exit(withError: error) }
        do {
            var command = try root.parseAsRoot()
            try command.run()
        } catch {
            let code = root.exitCode(for: error)
            if let errorStream, code != .success {
                // Ranks other than 0 give rank 0 two seconds to abort the job, so that an error every rank hits
                // (a NaN loss, a bad flag) is printed once; an error of one rank alone is printed by that rank.
                // The trainer's interrupt handler would hold off the SIGTERM that mpirun's abort sends: default it.
                if World.current.rank != 0 { signal(SIGTERM, SIG_DFL); signal(SIGINT, SIG_DFL); sleep(2) }
                MPIWorld.fail(root.message(for: error), stderr: errorStream)
            }
            MPIWorld.finish()
            root.exit(withError: error)
        }
        MPIWorld.finish()
    }
}

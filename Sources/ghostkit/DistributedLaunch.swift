import ArgumentParser
import Foundation
import GhostDistributed
import GhostIO
import GhostMPI

/// Runs the parsed command in a plain process or as one rank of an `mpirun` job (MPI initialised only then).
enum DistributedLaunch {
    /// Parses and runs `Root` with the interrupt handler installed. In a plain process a failure ends as
    /// `CommandFailure` says (one line, status 1; 130/143 after a signal); under mpirun a failure on any rank
    /// prints one line and aborts the whole job.
    static func run<Root: ParsableCommand>(_ root: Root.Type) {
        let errorStream: FileHandle?
        do { errorStream = try MPIWorld.start() } catch { CommandFailure.exit(error, command: nil) }
        var command: ParsableCommand
        do { command = try root.parseAsRoot() } catch { fail(error, command: nil, errorStream: errorStream) }
        let name = type(of: command).configuration.commandName ?? "ghostkit"
        InterruptHandler.install(command: name)
        do {
            try command.run()
        } catch {
            fail(error, command: type(of: command), errorStream: errorStream)
        }
        MPIWorld.finish()
        CommandFailure.exitIfInterrupted()
    }

    private static func fail(_ error: Error, command: ParsableCommand.Type?, errorStream: FileHandle?) -> Never {
        if let errorStream, GhostKitCommand.exitCode(for: error) != .success {
            // Ranks other than 0 give rank 0 two seconds to abort the job, so that an error every rank hits
            // (a NaN loss, a bad flag) is printed once; an error of one rank alone is printed by that rank.
            // The interrupt handler would hold off the SIGTERM that mpirun's abort sends: default it.
            if World.current.rank != 0 { signal(SIGTERM, SIG_DFL); signal(SIGINT, SIG_DFL); sleep(2) }
            MPIWorld.fail(GhostKitCommand.message(for: error), stderr: errorStream)
        }
        MPIWorld.finish()
        CommandFailure.exit(error, command: command)
    }
}

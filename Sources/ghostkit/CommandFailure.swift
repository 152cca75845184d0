import ArgumentParser
import Foundation
import GhostIO
#if canImport(Glibc)
import Glibc
#endif

/// How `ghostkit` ends on an error: status 1 for every kind of bad input (argument-parser would use 64 for
/// validation and parse errors; the README promises 1), 0 for --help, 130/143 after SIGINT/SIGTERM.
enum CommandFailure {
    /// Prints the message for `error` (with the usage of the command that failed, for argument errors) and exits.
    static func exit(_ error: Error, command: ParsableCommand.Type?) -> Never {
        if InterruptHandler.requested { interrupted(error) }
        let code = GhostKitCommand.exitCode(for: error)
        if code != .success { TempFiles.removeCreatedDirectories() }  // an output directory it made, still empty
        if code == .success {
            print(GhostKitCommand.fullMessage(for: error))
            Glibc.exit(0)
        }
        var text: String
        if let command, error is ValidationError {
            // Thrown by a command's run(): argument-parser would print the root's usage; show the command's.
            let name = command.configuration.commandName ?? ""
            text = "Error: \(GhostKitCommand.message(for: error))\n"
                + "Usage: " + GhostKitCommand.usageString(for: command) + "\n"
                + "  See 'ghostkit \(name) --help' for more information."
        } else {
            // argument-parser's "Help:" line repeats the flag's --help text after a bad value; the error names
            // the valid values already.
            text = GhostKitCommand.fullMessage(for: error).split(separator: "\n", omittingEmptySubsequences: false)
                .filter { !$0.hasPrefix("Help:  ") }.joined(separator: "\n")
        }
        FileHandle.standardError.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
        Glibc.exit(code == .failure || code.rawValue == ExitCode.validationFailure.rawValue ? 1 : code.rawValue)
    }

    /// `ghostkit help <topic>` for a topic that is no subcommand: one line and status 1 (argument-parser
    /// would print the overview and exit 0).
    static func refuseUnknownHelpTopic(_ arguments: [String]) {
        guard arguments.count > 1, arguments[0] == "help" else { return }
        var names: [String] = []
        for sub in GhostKitCommand.configuration.subcommands {
            if let name = sub.configuration.commandName { names.append(name) }
        }
        guard !names.contains(arguments[1]) else { return }
        FileHandle.standardError.write(Data(("Error: no help topic '\(arguments[1])' (subcommands: "
            + names.joined(separator: ", ") + ")\n").utf8))
        Glibc.exit(1)
    }

    /// A signal arrived while the command stopped itself cleanly (training writes its checkpoint first).
    static func interrupted(_ error: Error) -> Never {
        TempFiles.removeCreatedDirectories()
        let message = GhostKitCommand.message(for: error)
        if let out = Self.checkpoint, message.contains("checkpoint written") {
            InterruptHandler.report("last checkpoint kept at \(out); continue with --resume \(out)")
        } else {
            InterruptHandler.report(message)
        }
        Glibc.exit(InterruptHandler.exitStatus(for: InterruptHandler.signalNumber))
    }

    /// After a command that finished although a signal arrived (it came after the last poll): all written.
    static func exitIfInterrupted() {
        guard InterruptHandler.requested else { return }
        InterruptHandler.report("it had finished; every output written")
        Glibc.exit(InterruptHandler.exitStatus(for: InterruptHandler.signalNumber))
    }

    /// The checkpoint a training command writes (named in its interrupt message).
    nonisolated(unsafe) static var checkpoint: String?
}

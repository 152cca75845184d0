import ArgumentParser
import GhostIO

#if canImport(Glibc)
import Glibc
#endif

@main
struct GhostKitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ghostkit",
        abstract: "Find and exploit the redundancy (\"ghost\" feature maps) inside trained CNNs.",
        subcommands: [
            ScanCommand.self, FitKernelsCommand.self, ConvertCommand.self, FinetuneCommand.self, DumpCommand.self,
            GridCommand.self,
            ReportCommand.self, PlotCommand.self, InfoCommand.self, TrainCommand.self, EvalCommand.self,
            PredictCommand.self,
            ConvertCheckpointCommand.self, CompareCommand.self, BenchCommand.self, ExportCommand.self,
            SimilarityCommand.self, ProbeHDF5Command.self,
        ])

    /// Ignores SIGXFSZ first, so that a write past a file-size limit (RLIMIT_FSIZE) fails with EFBIG and
    /// becomes a one-line error naming the file instead of killing the process; installs the interrupt
    /// handler (SIGINT/SIGTERM: temp files removed, one line, exit 130/143); then parses and runs. Bad input
    /// of any kind (unknown flag, value out of range, bad file) exits 1 (`CommandFailure`).
    static func main() {
        signal(SIGXFSZ, SIG_IGN)
        CommandFailure.refuseUnknownHelpTopic(Array(CommandLine.arguments.dropFirst()))
        DistributedLaunch.run(Self.self)  // parses and runs, as one rank when started by mpirun
    }
}

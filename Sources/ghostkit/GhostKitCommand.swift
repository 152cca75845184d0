import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif

@main
struct GhostKitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ghostkit",
        abstract: "Find and exploit the redundancy (\"ghost\" feature maps) inside trained CNNs.",
        subcommands: [ScanCommand.self, FitKernelsCommand.self, ConvertCommand.self, FinetuneCommand.self, DumpCommand.self, GridCommand.self,
                      ReportCommand.self, PlotCommand.self, InfoCommand.self, TrainCommand.self, EvalCommand.self, PredictCommand.self,
                      ConvertCheckpointCommand.self, CompareCommand.self, BenchCommand.self, ExportCommand.self,
                      SimilarityCommand.self])

    /// Ignores SIGXFSZ first, so that a write past a file-size limit (RLIMIT_FSIZE) fails with EFBIG and
    /// becomes a one-line error naming the file instead of killing the process; then parses and runs.
    static func main() {
        signal(SIGXFSZ, SIG_IGN)
        DistributedLaunch.run(Self.self)  // parses and runs, as one rank when started by mpirun
    }
}

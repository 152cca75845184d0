import ArgumentParser

@main
struct GhostKitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ghostkit",
        abstract: "Find and exploit the redundancy (\"ghost\" feature maps) inside trained CNNs.",
        subcommands: [ScanCommand.self, FitKernelsCommand.self, ConvertCommand.self, FinetuneCommand.self, DumpCommand.self, GridCommand.self, ReportCommand.self, InfoCommand.self, TrainCommand.self, EvalCommand.self, BenchCommand.self, ConvertCheckpointCommand.self, PredictCommand.self])
}

import ArgumentParser

@main
struct GhostKitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ghostkit",
        abstract: "Find and exploit the redundancy (\"ghost\" feature maps) inside trained CNNs.",
        subcommands: [ScanCommand.self, FitKernelsCommand.self, ConvertCommand.self, FinetuneCommand.self, DumpCommand.self, GridCommand.self,
                      ReportCommand.self, PlotCommand.self, InfoCommand.self, TrainCommand.self, EvalCommand.self, PredictCommand.self,
                      ConvertCheckpointCommand.self, BenchCommand.self])
}

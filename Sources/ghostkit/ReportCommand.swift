import ArgumentParser
import Foundation
import GhostIO
import GhostReport
import GhostTensor

/// `ghostkit report`: one static HTML page gathering every run under outputs/ and the checkpoints' provenance.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract:
            "Write outputs/index.html: every run's tables and figures, and each checkpoint's provenance (no " +
                "JavaScript, no external assets).",
        discussion: HelpText.fit(
            """
              ghostkit report                 # reads outputs/ and checkpoints/, writes outputs/index.html
              ghostkit report runs/ --checkpoints my-checkpoints/
            """))

    @Argument(help: "Folder of runs (each sub-folder written by scan, fit-kernels, convert, …).") var directory:
        String = "outputs"
    @Option(help: "Folder of checkpoints with provenance JSON files.") var checkpoints: String = "checkpoints"
    @Option(help: "HTML file to write (default: <directory>/index.html).") var out: String?
    @OptionGroup var existing: OverwriteOption

    func run() throws {
        let path = out ?? directory + "/index.html"
        try existing.check([path])
        let (runs, provenance) = try HTMLReport(directory: directory, checkpoints: checkpoints).write(to: path)
        print("wrote \(path) (\(runs) runs, \(provenance) checkpoint provenance files)")
    }
}

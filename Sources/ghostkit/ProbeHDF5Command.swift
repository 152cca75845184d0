import ArgumentParser
import Foundation
import GhostIO

/// `ghostkit _probe-hdf5` (hidden): the child side of `HDF5Probe.checkInChild`. Makes the calls the dump reader will
/// make on an untrusted HDF5 file, so that a libhdf5 crash or hang ends this child, not the command that asked.
struct ProbeHDF5Command: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: HDF5Probe.subcommand,
        abstract: "Check that libhdf5 can open an HDF5 dump (run in a child process by grid and fit-kernels).",
        shouldDisplay: false)

    @Option(help: "Layer to check (repeatable; default: every layer).") var layer: [String] = []
    @Option(help: "Row to read from each layer (repeatable; default: the first and the last).") var row: [Int] = []
    @Option(help: "Read rows 0..<N of each layer, in blocks (what fit-kernels reads).") var leading: Int?
    @Argument(help: "HDF5 activation file.") var file: String

    func run() throws {
        // A parent killed by a signal cannot wait for the answer: the child then ends too, rather than reading on
        // (or hanging in libhdf5) until its alarm.
        let parent = getppid()
        Thread.detachNewThread {
            while getppid() == parent { usleep(100_000) }
            _exit(1)
        }
        let coverage: HDF5Probe.Coverage = leading.map { .leading($0) } ?? (row.isEmpty ? .firstAndLast : .rows(row))
        try HDF5Probe.runAsChild(file, layers: layer, coverage: coverage)
    }
}

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// libhdf5 1.10.8 itself crashes (SIGSEGV) or loops forever on some corrupt metadata (a virtual dataset's layout
/// message, fuzz/libhdf5-crashes/) before any of GhostKit's checks can run. So a command handed an HDF5 dump it did
/// not write first has a child process (ghostkit re-executed with the hidden `_probe-hdf5` subcommand) make every
/// call `ActivationReader` will make: open the file, its root attributes and /layers, then for each layer used its
/// links, dataset, creation properties, type, dataspace, layout, chunking, filters and virtual sources, and read
/// its first and last rows (or the rows the command will read). Only metadata and a few rows are read, so the
/// check costs a small fraction of the real read. The child dying by a signal, or not answering within
/// `timeLimit` seconds, becomes one line naming the file and the step; a GhostError in the child is passed on.
public enum HDF5Probe {
    /// The hidden subcommand that runs `check` in the child.
    public static let subcommand = "_probe-hdf5"
    /// Seconds the child may take before it is killed (a valid dump's check takes well under one).
    public static let timeLimit = 10.0
    /// Prefix of the child's progress lines on stdout (the parent names the last one when the child dies).
    static let stepPrefix = "step: "

    /// In-process check (what the child runs): opens `path` as `ActivationReader` does, then each of `layers`
    /// (all of the file's when empty; names the file lacks are left to the caller's own error), reading `rows`
    /// of each (nil: the first and the last; rows outside the dataset are skipped). `progress` hears each step.
    public static func check(_ path: String, layers: [String], rows: [Int]?, progress: (String) -> Void) throws {
        progress("opening the file")
        let reader = try ActivationReader(path: path)
        for layer in layers.isEmpty ? reader.layerNames : layers where reader.layerNames.contains(layer) {
            let name = "layers/" + layer
            progress("opening dataset /\(name)")
            let n = try reader.shape(name)[0]
            for row in Set(rows ?? [0, n - 1]).sorted() where (0..<n).contains(row) {
                progress("reading row \(row) of /\(name)")
                _ = try reader.read(name, start: row, count: 1)
            }
        }
    }

    /// Runs `check` in a child process (`executable` re-executed with `subcommand`; by default this very
    /// binary) and throws one line if the child failed, crashed or hung. Returns when the file is safe to open.
    public static func checkInChild(
        _ path: String, layers: [String], rows: [Int]? = nil, executable: String = "/proc/self/exe"
    ) throws {
        var args = [subcommand]
        for l in layers { args += ["--layer", l] }
        for r in rows ?? [] { args += ["--row", String(r)] }
        args += ["--", path]
        // The child must not join an mpirun job (it would initialise MPI as a new rank).
        let env = ProcessInfo.processInfo.environment.filter {
            !$0.key.hasPrefix("OMPI_") && !$0.key.hasPrefix("PMIX_")
        }
        let result = try ChildProcess.run(executable, args, environment: env, timeLimit: timeLimit)
        let step =
            result.stdout.split(separator: "\n").last { $0.hasPrefix(stepPrefix) }
            .map { String($0.dropFirst(stepPrefix.count)) } ?? "starting"
        func unsafe(_ what: String) -> GhostError {
            GhostError.file(path, "libhdf5 could not read this file safely (\(what) while \(step)); refused")
        }
        switch result.ending {
        case .exited(0):
            return
        case .exited(1):
            guard let line = result.stderr.split(separator: "\n").last(where: { !$0.isEmpty }) else {
                throw unsafe("the check failed without a message")
            }
            throw GhostError(line.hasPrefix("Error: ") ? String(line.dropFirst(7)) : String(line))
        case .exited(let status):
            throw unsafe("the check exited with status \(status)")
        case .signalled(let signal):
            throw unsafe("crashed with \(ChildProcess.signalName(signal))")
        case .timedOut:
            throw unsafe("no answer within \(Int(timeLimit)) s")
        }
    }

    /// The child's side: an alarm a little after `timeLimit` (so a child whose parent died cannot hang forever),
    /// then `check` with each step printed on stdout for the parent.
    public static func runAsChild(_ path: String, layers: [String], rows: [Int]) throws {
        alarm(UInt32(timeLimit) + 2)
        try check(path, layers: layers, rows: rows.isEmpty ? nil : rows) { step in
            FileHandle.standardOutput.write(Data((stepPrefix + step + "\n").utf8))
        }
    }
}

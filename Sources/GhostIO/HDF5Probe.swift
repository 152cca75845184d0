import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// libhdf5 1.10.8 itself crashes (SIGSEGV) or loops forever on some corrupt metadata (a virtual dataset's layout
/// message, fuzz/libhdf5-crashes/) or chunk index before any of GhostKit's checks can run. So a command handed an
/// HDF5 dump it did not write first has a child process (ghostkit re-executed with the hidden `_probe-hdf5`
/// subcommand) make every call `ActivationReader` will make: open the file, its root attributes and /layers, then
/// for each layer used its links, dataset, creation properties, type, dataspace, layout, chunking, filters and
/// virtual sources, and read the rows the command will read (`Coverage`). The child dying by a signal, or printing
/// no progress for `timeLimit` seconds, becomes one line naming the file and the step; a GhostError in the child is
/// passed on.
public enum HDF5Probe {
    /// The rows of each layer the child reads.
    public enum Coverage: Equatable, Sendable {
        /// The first and the last row: the metadata and both ends of the chunk index.
        case firstAndLast
        /// Exactly these rows (what `grid` draws).
        case rows([Int])
        /// Rows 0..<n (all of them when there are fewer), in blocks of at most `blockBytes`: every chunk a full read
        /// (`fit-kernels`) reaches, with memory bounded by the block.
        case leading(Int)
    }

    /// The hidden subcommand that runs `check` in the child.
    public static let subcommand = "_probe-hdf5"
    /// Seconds the child may go without a progress line (one per step: the open, each dataset, each block read)
    /// before it is killed; a valid dump's step takes well under one.
    public static let timeLimit = 10.0
    /// Bytes of one block of rows read by `.leading` (as fit-kernels reads).
    public static let blockBytes = 64 << 20
    /// Prefix of the child's progress lines on stdout (the parent names the last one when the child dies).
    static let stepPrefix = "step: "

    /// In-process check (what the child runs): opens `path` as `ActivationReader` does, then each of `layers`
    /// (all of the file's when empty; names the file lacks are left to the caller's own error), reading the rows
    /// `coverage` names (rows outside the dataset are skipped). `progress` hears each step.
    public static func check(
        _ path: String, layers: [String], coverage: Coverage, progress: (String) -> Void
    ) throws {
        progress("opening the file")
        let reader = try ActivationReader(path: path)
        for layer in layers.isEmpty ? reader.layerNames : layers where reader.layerNames.contains(layer) {
            let name = "layers/" + layer
            progress("opening dataset /\(name)")
            let shape = try reader.shape(name)
            let n = shape[0]
            let rows: [Int]
            switch coverage {
            case .firstAndLast: rows = [0, n - 1]
            case .rows(let r): rows = r
            case .leading(let count):
                let end = min(max(count, 0), n)
                let step = max(1, blockBytes / 4 / shape.dropFirst().reduce(1, *))
                for start in stride(from: 0, to: end, by: step) {
                    let count = min(step, end - start)
                    progress("reading rows \(start)..<\(start + count) of /\(name)")
                    _ = try reader.read(name, start: start, count: count)
                }
                continue
            }
            for row in Set(rows).sorted() where (0..<n).contains(row) {
                progress("reading row \(row) of /\(name)")
                _ = try reader.read(name, start: row, count: 1)
            }
        }
    }

    /// Runs `check` in a child process (`executable` re-executed with `subcommand`; by default this very
    /// binary) and throws one line if the child failed, crashed or hung. Returns when the file is safe to open.
    public static func checkInChild(
        _ path: String, layers: [String], coverage: Coverage = .firstAndLast, executable: String = "/proc/self/exe"
    ) throws {
        var args = [subcommand]
        for l in layers { args += ["--layer", l] }
        switch coverage {
        case .firstAndLast: break
        case .rows(let rows): for r in rows { args += ["--row", String(r)] }
        case .leading(let n): args += ["--leading", String(n)]
        }
        args += ["--", path]
        // The child must not join an mpirun job (it would initialise MPI as a new rank).
        let env = ProcessInfo.processInfo.environment.filter {
            !$0.key.hasPrefix("OMPI_") && !$0.key.hasPrefix("PMIX_")
        }
        // Wall clock: a generous 10 s plus 1 s per 4 MB of file; the real watchdog is `timeLimit` without progress.
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        let result = try ChildProcess.run(
            executable, args, environment: env, timeLimit: timeLimit + Double(size >> 22), quietLimit: timeLimit)
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

    /// The child's side: an alarm a little after `timeLimit`, re-armed at each step (so a child whose parent died
    /// cannot hang forever), then `check` with each step printed on stdout for the parent.
    public static func runAsChild(_ path: String, layers: [String], coverage: Coverage) throws {
        try check(path, layers: layers, coverage: coverage) { step in
            alarm(UInt32(timeLimit) + 2)
            FileHandle.standardOutput.write(Data((stepPrefix + step + "\n").utf8))
        }
    }
}

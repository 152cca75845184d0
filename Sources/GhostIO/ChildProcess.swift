import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs a program in a child process (Foundation's `Process`, which spawns it with posix_spawn: safe from a
/// threaded process) under a wall-clock limit, and optionally a limit on silence (time without output on stdout or
/// stderr), with both streams captured and stdin empty. A child still running at a limit is killed with SIGKILL.
public enum ChildProcess {
    /// How the child ended.
    public enum Ending: Equatable {
        /// It exited with this status.
        case exited(Int32)
        /// A signal killed it (SIGSEGV, SIGABRT, …).
        case signalled(Int32)
        /// It was still running at the time limit and was killed.
        case timedOut
    }

    /// The child's ending and what it printed (the last `outputLimit` bytes of each stream).
    public struct Result {
        public let ending: Ending
        public let stdout: String
        public let stderr: String
    }

    /// Bytes kept of each output stream.
    public static let outputLimit = 64 << 10

    /// Runs `executable` with `arguments` and `environment` (nil: this process's) for at most `timeLimit` seconds,
    /// and (when `quietLimit` is given) at most `quietLimit` seconds without printing anything.
    public static func run(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil, timeLimit: Double,
        quietLimit: Double? = nil
    ) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        if let environment { p.environment = environment }
        let out = Pipe(), err = Pipe()
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = out
        p.standardError = err
        do { try p.run() } catch {
            throw GhostError.file(executable, "cannot start a child process: \(error.localizedDescription)")
        }
        // Both pipes are drained while the child runs, so a chatty child never blocks on a full pipe.
        let streams = Captured()
        let group = DispatchGroup()
        for (i, handle) in [out.fileHandleForReading, err.fileHandleForReading].enumerated() {
            DispatchQueue.global().async(group: group) {
                while true {
                    let d = handle.availableData
                    if d.isEmpty { break }
                    streams.append(i, d)
                }
            }
        }
        let deadline = Date().addingTimeInterval(timeLimit)
        var timedOut = false
        while p.isRunning {
            let now = Date()
            if now >= deadline || quietLimit.map({ now.timeIntervalSince(streams.lastOutput) >= $0 }) == true {
                kill(p.processIdentifier, SIGKILL)
                timedOut = true
                break
            }
            usleep(5_000)
        }
        p.waitUntilExit()
        group.wait()
        let ending: Ending =
            timedOut
            ? .timedOut
            : p.terminationReason == .uncaughtSignal ? .signalled(p.terminationStatus) : .exited(p.terminationStatus)
        return Result(ending: ending, stdout: streams.text(0), stderr: streams.text(1))
    }

    /// "SIGSEGV", "SIGABRT", … for the signals a crashing library raises; "signal N" otherwise.
    public static func signalName(_ signal: Int32) -> String {
        let names: [Int32: String] = [
            SIGSEGV: "SIGSEGV", SIGBUS: "SIGBUS", SIGABRT: "SIGABRT", SIGILL: "SIGILL", SIGFPE: "SIGFPE",
            SIGKILL: "SIGKILL", SIGTRAP: "SIGTRAP", SIGALRM: "SIGALRM", SIGTERM: "SIGTERM", SIGINT: "SIGINT",
        ]
        return names[signal] ?? "signal \(signal)"
    }

    /// The two streams, filled by the reader threads, and when either last grew.
    private final class Captured: @unchecked Sendable {
        private let lock = NSLock()
        private var data = [Data(), Data()]
        private var last = Date()

        func append(_ i: Int, _ d: Data) {
            lock.lock()
            data[i].append(d)
            if data[i].count > 2 * ChildProcess.outputLimit { data[i] = data[i].suffix(ChildProcess.outputLimit) }
            last = Date()
            lock.unlock()
        }

        var lastOutput: Date {
            lock.lock()
            defer { lock.unlock() }
            return last
        }

        func text(_ i: Int) -> String {
            lock.lock()
            defer { lock.unlock() }
            return String(decoding: data[i].suffix(ChildProcess.outputLimit), as: UTF8.self)
        }
    }
}

import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// SIGINT and SIGTERM for every command: the signal handler only writes the signal number into a pipe
/// (async-signal-safe); a watcher thread reads it and, in normal thread context, removes every in-flight temp
/// file (`TempFiles`), prints one line ("interrupted: scan; nothing written") and exits with 128 + signal
/// (130 for SIGINT, 143 for SIGTERM). A long loop that can stop cleanly (training) calls `pollInstead()`:
/// the first signal then only sets `requested`, which the loop polls; a second one stops at once.
public enum InterruptHandler {
    /// Write end of the self-pipe (set once by `install`, before any handler can run).
    nonisolated(unsafe) private static var pipeWrite: Int32 = -1

    private final class State: @unchecked Sendable {
        let lock = NSLock()
        var installed = false
        var command = "ghostkit"
        var polled = false
        var signal: Int32 = 0
    }
    private static let state = State()

    /// Installs the handlers for `command` (idempotent: the first call names the command); a signal ignored at
    /// start-up (a background job of a non-interactive shell ignores SIGINT) stays ignored.
    public static func install(command: String) {
        state.lock.lock()
        defer { state.lock.unlock() }
        guard !state.installed else { return }
        state.command = command
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        _ = fcntl(fds[1], F_SETFL, O_NONBLOCK)  // a burst of signals never blocks the handler
        pipeWrite = fds[1]
        state.installed = true
        for sig in [SIGINT, SIGTERM] {
            let previous = signal(sig) { number in
                var byte = UInt8(truncatingIfNeeded: number)
                _ = write(InterruptHandler.pipeWrite, &byte, 1)
            }
            if let previous, unsafeBitCast(previous, to: Int.self) == 1 { signal(sig, SIG_IGN) }  // SIG_IGN
        }
        let readEnd = fds[0]
        let watcher = Thread { watch(readEnd) }
        watcher.name = "ghostkit-interrupt"
        watcher.start()
    }

    /// From now on the first signal only sets `requested` (the caller polls it and stops cleanly).
    public static func pollInstead() {
        state.lock.lock()
        defer { state.lock.unlock() }
        state.polled = true
    }

    /// True once SIGINT or SIGTERM arrived.
    public static var requested: Bool { signalNumber != 0 }

    /// The first signal received (0 if none).
    public static var signalNumber: Int32 {
        state.lock.lock()
        defer { state.lock.unlock() }
        return state.signal
    }

    /// The exit status for `signal`: 128 + its number (130 for SIGINT, 143 for SIGTERM).
    public static func exitStatus(for signal: Int32) -> Int32 { 128 + signal }

    /// Prints "interrupted: <command>; <what>" on stderr (one line).
    public static func report(_ what: String) {
        state.lock.lock()
        let command = state.command
        state.lock.unlock()
        let tty = isatty(2) != 0 ? "\n" : ""
        let line = Array("\(tty)interrupted: \(command); \(what)\n".utf8)
        line.withUnsafeBytes { _ = write(2, $0.baseAddress, $0.count) }
    }

    private static func watch(_ fd: Int32) {
        while true {
            var byte: UInt8 = 0
            let n = read(fd, &byte, 1)
            if n < 0 && errno == EINTR { continue }
            guard n == 1 else { return }
            state.lock.lock()
            let first = state.signal == 0
            if first { state.signal = Int32(byte) }
            let polled = state.polled && first
            let signal = state.signal
            state.lock.unlock()
            if polled { continue }
            let written = TempFiles.removeAllBeforeExit()
            report(summary(written))
            _exit(exitStatus(for: signal))
        }
    }

    /// "nothing written", or which outputs were completed before the signal.
    static func summary(_ written: [String]) -> String {
        switch written.count {
        case 0: return "nothing written"
        case 1...3: return "only \(written.joined(separator: ", ")) written; the rest not written"
        default: return "\(written.count) files written (the last \(written.last!)); the rest not written"
        }
    }
}

import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The temp files this process is writing right now (AtomicFile's and the HDF5 ActivationWriter's), so that
/// an interrupt (`InterruptHandler`) removes every one of them before the process exits, and the outputs
/// already renamed into place, so that its message can say what was written.
public enum TempFiles {
    private final class State: @unchecked Sendable {
        let lock = NSLock()
        var temps: [String] = []
        var written: [String] = []
        var directories: [String] = []
    }
    private static let state = State()

    /// Runs `create` (which creates the temp file `temp`) and registers `temp`, both under the registry's lock,
    /// so an interrupt either sees the file registered or stops the process before it exists.
    public static func creating<T>(_ temp: String, _ create: () throws -> T) rethrows -> T {
        state.lock.lock()
        defer { state.lock.unlock() }
        let result = try create()
        state.temps.append(temp)
        return result
    }

    /// Forgets `temp` (renamed into place as `output`, or removed when `output` is nil).
    public static func finished(_ temp: String, output: String?) {
        state.lock.lock()
        defer { state.lock.unlock() }
        if let i = state.temps.lastIndex(of: temp) { state.temps.remove(at: i) }
        if let output { state.written.append(output) }
    }

    /// Renames `temp` over `output` and records it as written, both under the registry's lock, so an interrupt
    /// either removes the temp (the old `output` stays) or reports `output` as written: never a replaced file
    /// behind "nothing written". Returns `rename`'s result; on failure `temp` stays registered for the caller.
    public static func renameIntoPlace(_ temp: String, _ output: String) -> Int32 {
        state.lock.lock()
        defer { state.lock.unlock() }
        let result = rename(temp, output)
        if result == 0 {
            if let i = state.temps.lastIndex(of: temp) { state.temps.remove(at: i) }
            state.written.append(output)
        }
        return result
    }

    /// Registers an output directory this process created (`OutputDirectory.create`): removed again if it is still
    /// empty when the command fails or is interrupted (`removeCreatedDirectories`), never if it existed before.
    public static func createdDirectory(_ dir: String) {
        state.lock.lock()
        defer { state.lock.unlock() }
        state.directories.append(dir)
    }

    /// Removes the registered directories that are still empty, the most recently created first (rmdir removes
    /// only an empty directory, so nothing written is lost). For a command about to exit with a failure.
    public static func removeCreatedDirectories() {
        state.lock.lock()
        defer { state.lock.unlock() }
        removeDirectoriesLocked()
    }

    private static func removeDirectoriesLocked() {
        for dir in state.directories.reversed() { rmdir(dir) }
        state.directories = []
    }

    /// The temp files registered now (tests and diagnostics).
    public static var inFlight: [String] {
        state.lock.lock()
        defer { state.lock.unlock() }
        return state.temps
    }

    /// The outputs renamed into place so far (tests and diagnostics).
    public static var written: [String] {
        state.lock.lock()
        defer { state.lock.unlock() }
        return state.written
    }

    /// Removes every registered temp file (and the created directories left empty) and returns the outputs
    /// written so far. The lock is kept, so no
    /// writer can create, rename or register anything after this: only for a process about to `_exit`.
    static func removeAllBeforeExit() -> [String] {
        state.lock.lock()
        for temp in state.temps { unlink(temp) }
        removeDirectoriesLocked()
        return state.written
    }
}

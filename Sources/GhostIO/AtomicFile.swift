import Foundation
import GhostTensor
#if canImport(Glibc)
import Glibc
#endif

/// Crash-safe file output: write a temp file in the destination's directory, fsync, rename over
/// the destination, fsync the directory. Readers see the old file or the new one, never a mix.
public enum AtomicFile {
    /// Writes `data` to `path` atomically. Errors name the path and the OS reason.
    public static func write(_ data: Data, to path: String) throws {
        try write(to: path) { fd in
            try data.withUnsafeBytes { raw in try writeAll(fd, raw, path: path) }
        }
    }

    /// Opens a temp file next to `path`, lets `body` write to its descriptor, then commits it.
    public static func write(to path: String, _ body: (Int32) throws -> Void) throws {
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        let temp = dir + "/." + url.lastPathComponent + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw GhostError.file(path, "cannot write: \(String(cString: strerror(errno)))") }
        var committed = false
        defer {
            if !committed { unlink(temp) }
        }
        do {
            try body(fd)
            guard fsync(fd) == 0 else { throw GhostError.file(path, "cannot write: \(String(cString: strerror(errno)))") }
        } catch {
            close(fd)
            throw error
        }
        guard close(fd) == 0 else { throw GhostError.file(path, "cannot write: \(String(cString: strerror(errno)))") }
        guard rename(temp, path) == 0 else { throw GhostError.file(path, "cannot replace: \(String(cString: strerror(errno)))") }
        committed = true
        let dfd = open(dir.isEmpty ? "." : dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 { fsync(dfd); close(dfd) }
    }

    /// Writes every byte of `buffer` to `fd`, retrying short writes; errors (ENOSPC, EFBIG …) name `path`.
    public static func writeAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, path: String) throws {
        var offset = 0
        while offset < buffer.count {
            let n = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw GhostError.file(path, "cannot write: \(String(cString: strerror(errno)))")
            }
            offset += n
        }
    }

    /// Removes temp files left by a killed writer of `basename` in `directory`.
    public static func removeStaleTemps(in directory: String, for basename: String) {
        let prefix = "." + basename + ".tmp-"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] where name.hasPrefix(prefix) {
            unlink(directory + "/" + name)
        }
    }
}

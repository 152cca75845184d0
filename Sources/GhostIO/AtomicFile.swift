import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Crash-safe file output: write a temp file in the destination's directory, fsync it, rename it over
/// the destination, fsync the directory. Readers see the old file or the new one, never a mix; a
/// failed write (ENOSPC, EACCES, …) leaves the old file untouched and no temp file behind.
/// Temp files are named `.<basename>.tmp-<pid>-<random>`; those of a killed writer (SIGKILL, power
/// loss) are removed by the next write of the same destination.
public enum AtomicFile {
    /// Sequential writer handed to `AtomicFile.write(to:_:)`; every error names the destination path.
    public struct Writer {
        /// Descriptor of the temp file (open for writing).
        public let fd: Int32
        /// The destination path (used in error messages).
        public let path: String

        /// Writes all `bytes`, retrying short writes and EINTR.
        public func write(_ bytes: UnsafeRawBufferPointer) throws {
            guard var p = bytes.baseAddress else { return }
            var left = bytes.count
            while left > 0 {
                let n = posixWrite(fd, p, min(left, 1 << 30))
                if n < 0 {
                    if errno == EINTR { continue }
                    throw AtomicFile.osError(path, "cannot write")
                }
                if n == 0 { throw GhostError.file(path, "cannot write: the system accepted 0 bytes") }
                p += n
                left -= n
            }
        }

        /// Writes all of `data`.
        public func write(_ data: Data) throws { try data.withUnsafeBytes { try write($0) } }

        /// Writes all of `bytes`.
        public func write(_ bytes: [UInt8]) throws { try bytes.withUnsafeBytes { try write($0) } }
    }

    /// Writes `data` to `path` atomically. Errors name the path and the OS reason.
    public static func write(_ data: Data, to path: String) throws {
        try write(to: path) { try $0.write(data) }
    }

    /// Opens a temp file next to `path`, lets `body` fill it, then fsyncs and renames it over `path`.
    /// If `body` or any step throws, the temp file is removed and the destination is left as it was.
    public static func write(to path: String, _ body: (Writer) throws -> Void) throws {
        let (dir, temp, fd) = try openTemp(for: path)
        var committed = false
        var isOpen = true
        defer {
            if isOpen { close(fd) }
            if !committed {
                unlink(temp)
                TempFiles.finished(temp, output: nil)
            }
        }
        try body(Writer(fd: fd, path: path))
        while fsync(fd) != 0 {
            if errno != EINTR { throw osError(path, "cannot write") }
        }
        isOpen = false
        guard close(fd) == 0 else { throw osError(path, "cannot write") }
        guard TempFiles.renameIntoPlace(temp, path) == 0 else { throw osError(path, "cannot replace") }
        committed = true
        syncDirectory(dir)
    }

    /// Writes several files as one set (e.g. a figure's PNG, SVG and PDF): every temp file is written and
    /// fsync'd first, and only when all of them are complete are they renamed into place, one after another.
    /// A failure while writing leaves every destination as it was; only a failing rename (after the others
    /// succeeded) can leave a mixed set (best effort: POSIX has no multi-file rename).
    public static func write(_ files: [(path: String, data: Data)]) throws {
        var temps: [(temp: String, path: String)] = []
        var renamed = 0
        defer {
            for t in temps.dropFirst(renamed) {
                unlink(t.temp)
                TempFiles.finished(t.temp, output: nil)
            }
        }
        for (path, data) in files {
            let (_, temp, fd) = try openTemp(for: path)
            temps.append((temp, path))
            do {
                try Writer(fd: fd, path: path).write(data)
                while fsync(fd) != 0 { if errno != EINTR { throw osError(path, "cannot write") } }
            } catch {
                close(fd)
                throw error
            }
            guard close(fd) == 0 else { throw osError(path, "cannot write") }
        }
        for t in temps {
            guard TempFiles.renameIntoPlace(t.temp, t.path) == 0 else { throw osError(t.path, "cannot replace") }
            renamed += 1
        }
        for dir in Set(temps.map { split($0.path).dir }) { syncDirectory(dir) }
    }

    /// Creates and registers a fresh temp file next to `path` (stale temps of earlier runs removed first), with the
    /// permissions of the file it will replace; returns the directory, the temp path and its descriptor.
    static func openTemp(for path: String) throws -> (dir: String, temp: String, fd: Int32) {
        let (dir, _, base) = split(path)
        guard !base.isEmpty, base != ".", base != ".." else {
            throw GhostError.file(path, "cannot write: not a file name")
        }
        removeStaleTemps(in: dir, for: base, includingOwn: false)
        let temp = tempPath(for: path)
        let fd = TempFiles.creating(temp) { open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644) }
        guard fd >= 0 else {
            TempFiles.finished(temp, output: nil)
            throw osError(path, "cannot write")
        }
        var st = stat()
        if stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG { _ = fchmod(fd, st.st_mode & 0o7777) }
        return (dir, temp, fd)
    }

    /// A fresh temp name `.<basename>.tmp-<pid>-<random>` next to `path` (the name `removeStaleTemps` recognises).
    public static func tempPath(for path: String) -> String {
        let (_, prefix, base) = split(path)
        return prefix + "." + base + ".tmp-\(getpid())-" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
    }

    /// fsyncs a directory so that a rename inside it is durable (best effort).
    public static func syncDirectory(_ dir: String) {
        let dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 {
            _ = fsync(dfd)
            close(dfd)
        }
    }

    /// Removes temp files `.<basename>.tmp-<pid>-<random>` left in `directory` by a killed writer.
    /// Temps of another live process (a concurrent writer) are kept; with `includingOwn` false, so are
    /// this process's own (another thread may be writing them). Every `write` does this for its destination.
    public static func removeStaleTemps(in directory: String, for basename: String, includingOwn: Bool = true) {
        let prefix = "." + basename + ".tmp-"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        let me = getpid()
        for name in names where name.hasPrefix(prefix) {
            let rest = name.dropFirst(prefix.count)
            if let pidText = rest.split(separator: "-", maxSplits: 1).first, let pid = Int32(pidText), pid > 0,
                pid == me ? !includingOwn : (kill(pid, 0) == 0 || errno == EPERM)
            {
                continue  // its writer may still be running
            }
            unlink((directory.hasSuffix("/") ? directory : directory + "/") + name)
        }
    }

    /// "path: what: strerror(errno)".
    static func osError(_ path: String, _ what: String) -> GhostError {
        GhostError.file(path, "\(what): \(String(cString: strerror(errno)))")
    }

    /// Directory (for fsync), the path up to its last "/" inclusive, and the last component.
    static func split(_ path: String) -> (dir: String, prefix: String, base: String) {
        let u = path.utf8
        guard let slash = u.lastIndex(of: UInt8(ascii: "/")) else { return (".", "", path) }
        let dir = String(path[..<slash])
        return (dir.isEmpty ? "/" : dir, String(path[...slash]), String(path[u.index(after: slash)...]))
    }
}

@inline(__always)
private func posixWrite(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.write(fd, p, n)
    #else
    return Darwin.write(fd, p, n)
    #endif
}

import Foundation
import GhostTensor

#if canImport(Glibc)
import Glibc
#endif

/// Creates an output directory, turning failures into one-line errors, and locks it for this run.
public enum OutputDirectory {
    private final class Held: @unchecked Sendable {
        let lock = NSLock()
        var directories: Set<[UInt64]> = []
    }
    private static let held = Held()

    /// Creates `dir` (and its parents), checks that it is writable and locks it (`lock`). Each directory this call
    /// made is registered with `TempFiles.createdDirectory`, so a run that fails or is interrupted before writing
    /// anything into it leaves no empty directory behind; a directory that existed before is never removed.
    public static func create(_ dir: String) throws {
        var made: [String] = []
        var prefix = dir.hasPrefix("/") ? "/" : ""
        for part in dir.split(separator: "/") where part != "." {
            prefix += (prefix.isEmpty || prefix.hasSuffix("/") ? "" : "/") + part
            if mkdir(prefix, 0o777) == 0 {
                made.append(prefix)
            } else if errno != EEXIST {
                let e = String(cString: strerror(errno))
                for m in made.reversed() { rmdir(m) }
                throw GhostError.file(dir, "cannot create output directory: \(e)")
            }
        }
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
            for m in made.reversed() { rmdir(m) }
            throw GhostError.file(dir, "cannot create output directory (a file of that name exists)")
        }
        guard FileManager.default.isWritableFile(atPath: dir) else {
            for m in made.reversed() { rmdir(m) }
            throw GhostError.file(dir, "output directory is not writable")
        }
        do { try lock(dir) } catch {
            for m in made.reversed() { rmdir(m) }
            throw error
        }
        for m in made { TempFiles.createdDirectory(m) }
    }

    /// Takes an advisory exclusive `flock` on the directory `dir` until the process exits, so that a second
    /// ghostkit run writing into it is refused with one line naming the directory and the holder's pid
    /// (from /proc/locks). Re-locking a directory this process holds is a no-op; under mpirun only rank 0
    /// locks (the other ranks write their shards beside it).
    public static func lock(_ dir: String) throws {
        if let rank = ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_RANK"], rank != "0" { return }
        let fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else {
            throw GhostError.file(dir, "cannot open output directory: \(String(cString: strerror(errno)))")
        }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            close(fd)
            throw GhostError.file(dir, "cannot stat output directory")
        }
        let key = [UInt64(st.st_dev), UInt64(st.st_ino)]
        held.lock.lock()
        defer { held.lock.unlock() }
        if held.directories.contains(key) {
            close(fd)
            return
        }
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let e = errno
            if e == EINTR { continue }
            close(fd)
            if e == EWOULDBLOCK {
                let pid = holder(device: UInt64(st.st_dev), inode: UInt64(st.st_ino)).map { " (pid \($0))" } ?? ""
                throw GhostError.file(
                    dir,
                    "another ghostkit run\(pid) is writing into this directory; "
                        + "wait for it to finish or choose another output directory")
            }
            throw GhostError.file(dir, "cannot lock output directory: \(String(cString: strerror(e)))")
        }
        held.directories.insert(key)  // fd stays open: the lock lasts until the process exits
    }

    /// The pid holding a FLOCK on (device, inode), from /proc/locks ("1: FLOCK ADVISORY WRITE pid maj:min:ino …").
    static func holder(device: UInt64, inode: UInt64) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/locks", encoding: .utf8) else { return nil }
        let major = ((device >> 8) & 0xfff) | ((device >> 32) & ~0xfff)
        let minor = (device & 0xff) | ((device >> 12) & ~0xff)
        let want = String(format: "%02llx:%02llx:%llu", major, minor, inode)
        for line in text.split(separator: "\n") {
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            if f.count > 5, f[1] == "FLOCK", f[5] == want, let pid = Int(f[4]) { return pid }
        }
        return nil
    }
}

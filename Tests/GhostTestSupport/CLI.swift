import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Runs the built `ghostkit` binary (next to the test bundle) and captures its output.
public enum CLI {
    public struct Result { public let status: Int32; public let stdout: String; public let stderr: String }

    public static var binary: String {
        let dir = Bundle.allBundles.map(\.bundlePath).first { $0.hasSuffix(".xctest") }
            .map { URL(fileURLWithPath: $0).deletingLastPathComponent().path } ?? Fixtures.repoRoot + "/.build/release"
        return dir + "/ghostkit"
    }

    /// Runs ghostkit with `args`; with a `wrapper` (a command line that ends by exec-ing its arguments, see
    /// `fileSizeLimit` and `unprivileged`) the binary runs under it.
    public static func run(_ args: [String], cwd: String = Fixtures.repoRoot, wrapper: [String] = []) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: wrapper.first ?? binary)
        p.arguments = wrapper.isEmpty ? args : Array(wrapper.dropFirst()) + [binary] + args
        p.currentDirectoryURL = URL(fileURLWithPath: cwd)
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Result(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    /// Wrapper: RLIMIT_FSIZE of `kib` KiB in the child (a stand-in for a full disk: writes past it fail with EFBIG,
    /// or kill the process with SIGXFSZ if it does not ignore that signal).
    public static func fileSizeLimit(kib: Int) -> [String] { ["/bin/bash", "-c", "ulimit -f \(kib) && exec \"$0\" \"$@\""] }

    /// Wrapper: run as user nobody (so that directory permissions apply even when the tests run as root),
    /// or nil when that is impossible here.
    public static func unprivileged() -> [String]? {
        guard geteuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else { return nil }
        return ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    }

    /// Starts ghostkit in the background (output discarded); the caller waits for or kills it.
    public static func start(_ args: [String], cwd: String = Fixtures.repoRoot) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        p.currentDirectoryURL = URL(fileURLWithPath: cwd)
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }
}

/// Fixtures the CLI tests share.
public enum CLIFixtures {
    public static let fashionMNIST = "/usr/share/datasets/fashion-mnist"

    /// Skips unless the ghostkit binary is built and Debian's Fashion-MNIST is installed.
    public static func requireBinaryAndData() throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: CLI.binary), "ghostkit binary not built")
        try XCTSkipUnless(FileManager.default.fileExists(atPath: fashionMNIST + "/t10k-images-idx3-ubyte.gz"),
                          "Debian's dataset-fashion-mnist is not installed")
    }

    /// A CIFAR ResNet-20 (1 input channel) trained for one epoch on 64 images, written to `dir`/tiny.safetensors.
    public static func tinyCheckpoint(in dir: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let path = dir + "/tiny.safetensors"
        let r = try CLI.run(["train", "--arch", "resnet20", "--in-channels", "1", "--epochs", "1", "--limit-train", "64",
                             "--limit-test", "32", "--batch-size", "32", "--threads", "2", "--out", path])
        XCTAssertEqual(r.status, 0, r.stderr, file: file, line: line)
        return path
    }
}

/// Base class of CLI tests that need a scratch directory and a tiny trained checkpoint in it.
open class TinyCheckpointTestCase: XCTestCase {
    public var dir = ""
    public var checkpoint = ""

    open override func setUpWithError() throws {
        try CLIFixtures.requireBinaryAndData()
        dir = Fixtures.temporaryDirectory()
        checkpoint = try CLIFixtures.tinyCheckpoint(in: dir)
    }

    open override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }
}

import Foundation
import XCTest

/// Runs the built `ghostkit` binary (next to the test bundle) and captures its output.
public enum CLI {
    public struct Result { public let status: Int32; public let stdout: String; public let stderr: String }

    public static var binary: String {
        let dir = Bundle.allBundles.map(\.bundlePath).first { $0.hasSuffix(".xctest") }
            .map { URL(fileURLWithPath: $0).deletingLastPathComponent().path } ?? Fixtures.repoRoot + "/.build/release"
        return dir + "/ghostkit"
    }

    public static func run(_ args: [String], cwd: String = Fixtures.repoRoot) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
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
}

import Foundation
import GhostIO
import GhostTensor
import XCTest

/// Paths and helpers shared by GhostKit's test targets.
public enum Fixtures {
    /// Tests/Fixtures (golden files written by tools/make_fixtures.py with PyTorch).
    public static let directory: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures").path

    /// Repository root.
    public static let repoRoot: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    public static func path(_ name: String) -> String { directory + "/" + name }

    /// All tensors of a fixture file by name.
    public static func tensors(_ name: String) throws -> [String: Tensor] {
        let f = try SafetensorsFile(path: path(name))
        return Dictionary(try f.allTensors(), uniquingKeysWith: { a, _ in a })
    }

    /// A fresh empty temporary directory.
    public static func temporaryDirectory() -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ghostkit-test-" + UUID().uuidString).path
        try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }
}

/// max |a − b| ≤ tol · max |b|, with a readable failure message.
public func assertClose(_ a: Tensor, _ b: Tensor, relTol: Float = 1e-4, _ message: String = "",
                        file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.shape, b.shape, "\(message): shape", file: file, line: line)
    guard a.shape == b.shape else { return }
    let scale = max(b.maxAbs, 1e-12)
    var worst: Float = 0
    for i in 0..<a.count { worst = max(worst, abs(a.readPointer[i] - b.readPointer[i])) }
    XCTAssertLessThanOrEqual(worst, relTol * scale, "\(message): max |Δ| = \(worst), max |ref| = \(scale)", file: file, line: line)
}

/// Image `i` of a batch (dimension 0), as a batch of one.
public func batchImage(_ i: Int, of batch: Tensor) -> Tensor {
    let per = batch.count / batch.shape[0]
    let values = Array(UnsafeBufferPointer(start: batch.readPointer + i * per, count: per))
    return Tensor(shape: [1] + batch.shape.dropFirst(), values: values)
}

import Foundation
import GhostCheckpoint
import GhostIO
import GhostModels
import GhostTensor
import GhostTestSupport
import XCTest

final class CheckpointTests: XCTestCase {
    /// A safetensors header length whose low byte is 0x80 or 0x50 ('P') must not be mistaken for a
    /// PyTorch pickle or zip: pad metadata until every low byte value has been seen.
    func testAnyHeaderLengthLoads() throws {
        let dir = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let arch = try Architecture(name: "resnet20", inChannels: 1)
        let model = arch.build()
        for pad in 0..<40 {
            let path = dir + "/m\(pad).safetensors"
            try Checkpoint.save(model, architecture: arch, to: path, metadata: ["pad": String(repeating: "x", count: pad * 8)])
            XCTAssertNoThrow(try Checkpoint(path: path).makeModel(), "padding \(pad)")
        }
    }

    func testPyTorchFilesGetAClearMessage() throws {
        let dir = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for (name, bytes) in [("zip.pth", [0x50, 0x4B, 0x03, 0x04, 0, 0, 0, 0, 0, 0]), ("pickle.pth", [0x80, 0x02, 0x8A, 0x0A, 0, 0, 0, 0, 0, 0])] {
            let path = dir + "/" + name
            FileManager.default.createFile(atPath: path, contents: Data(bytes.map(UInt8.init)))
            XCTAssertThrowsError(try Checkpoint(path: path)) { e in
                XCTAssertTrue("\(e)".contains("PyTorch"), "\(e)")
            }
        }
    }
}

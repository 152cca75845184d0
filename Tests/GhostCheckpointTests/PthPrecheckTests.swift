import Foundation
import GhostCheckpoint
import GhostIO
import GhostModels
import GhostTestSupport
import XCTest

/// A torch.save zip's keys and shapes are checked against --arch from its listing, before any storage is
/// inflated: a file whose every storage is garbage deflate data is still refused for its architecture, not its data.
final class PthPrecheckTests: XCTestCase {
    var dir = ""
    override func setUpWithError() throws { dir = Fixtures.temporaryDirectory() }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    /// r18.deflated.pth with the compressed bytes of every storage overwritten (headers, sizes and CRCs intact).
    func garbled() throws -> String {
        let src = Fixtures.path("pth/r18.deflated.pth")
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: src)))
        let zip = try ZipArchive(data: Data(bytes), name: src)
        var storages = 0
        for e in zip.entries where e.name.contains("/data/") && e.method == 8 {
            for i in e.dataOffset..<(e.dataOffset + e.compressedSize) { bytes[i] = 0xFF }
            storages += 1
        }
        XCTAssertGreaterThan(storages, 50)
        let path = dir + "/garbled.pth"
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        return path
    }

    func testWrongArchitectureIsRefusedBeforeInflating() throws {
        let path = try garbled()
        XCTAssertThrowsError(try Checkpoint(path: path, architecture: try Architecture(name: "resnet50"))) { e in
            XCTAssertEqual("\(e)", "\(path): file is resnet18 (width 0.03125, 3→10), not resnet50 (3→1000)")
        }
        let narrow = try Architecture(name: "resnet18", width: 0.03125, numClasses: 7)
        XCTAssertThrowsError(try Checkpoint(path: path, architecture: narrow)) { e in
            XCTAssertEqual("\(e)",
                           "\(path): file is resnet18 (width 0.03125, 3→10), not resnet18 (width 0.03125, 3→7)")
        }
        // Keys renamed away: the key report with its suggestion, still before any storage is read.
        let right = try Architecture(name: "resnet18", width: 0.03125, numClasses: 10)
        let renamed = [try RenameRule("fc=head")]
        XCTAssertThrowsError(try Checkpoint(path: path, architecture: right, renames: renamed)) { e in
            XCTAssertTrue("\(e)".contains("missing keys: fc.") && "\(e)".contains("try --rename head=fc"), "\(e)")
        }
        // The right architecture gets as far as the data, which is refused as such.
        XCTAssertThrowsError(try Checkpoint(path: path, architecture: right)) { e in
            XCTAssertFalse("\(e)".contains("not resnet"), "\(e)")
        }
        // Non-strict loads skip the check (they load what matches, with a warning, after inflating).
        XCTAssertThrowsError(try Checkpoint(path: path, architecture: narrow, strict: false)) { e in
            XCTAssertFalse("\(e)".contains("fc.weight"), "\(e)")
        }
    }

    /// The listing holds every key and shape the full load holds, and no tensor data.
    func testListingMatchesTheLoadedStateDict() throws {
        let path = Fixtures.path("pth/r18.zip.pth")
        let listing = try XCTUnwrap(try TorchCheckpoint.listing(path: path))
        let shapes = try StateDictKeys.extractShapes(listing.root, name: path)
        let full = try StateDictKeys.extract(try TorchCheckpoint(path: path).root, name: path).tensors
        XCTAssertEqual(shapes.map(\.0), full.map(\.0))
        XCTAssertEqual(shapes.map(\.1), full.map(\.1.shape))
        XCTAssertNil(try TorchCheckpoint.listing(path: Fixtures.path("pth/r18.legacy.pth")))
    }
}

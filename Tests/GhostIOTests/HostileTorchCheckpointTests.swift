import Foundation
import GhostIO
import GhostTestSupport
import XCTest

/// Decompression bombs in torch.save zips (tools/make_hostile_pth.py): every storage's claimed size is checked
/// against the pickle's tensors and the zip header before any entry is inflated.
final class HostileTorchCheckpointTests: XCTestCase {
    func testStorageLargerThanThePickleClaimsIsRefusedBeforeInflating() {
        let path = Fixtures.path("hostile/bomb_claim.pth")
        XCTAssertThrowsError(try TorchCheckpoint(path: path)) { e in
            XCTAssertEqual("\(e)", path + ": PyTorch zip checkpoint: storage \"0\" claims 4 elements of F32 but its zip "
                           + "entry holds 16777216 bytes")
        }
    }

    func testViewLargerThanItsStorageIsRefused() {
        let path = Fixtures.path("hostile/bomb_view.pth")
        XCTAssertThrowsError(try TorchCheckpoint(path: path)) { e in
            XCTAssertTrue("\(e)".hasPrefix(path + ": PyTorch zip checkpoint: tensor on storage \"0\" claims 1000000000 "
                                           + "elements but its storage holds 4194304"), "\(e)")
        }
    }

    func testDeflatedCheckpointStillLoads() throws {
        let c = try TorchCheckpoint(path: Fixtures.path("pth/r18.deflated.pth"))
        guard case .dict(let items) = c.root else { return XCTFail("root is not a dict") }
        XCTAssertFalse(items.isEmpty)
    }
}

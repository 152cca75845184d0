import Foundation
import GhostIO
import GhostTensor
import GhostTestSupport
import XCTest

final class TorchCheckpointTests: XCTestCase {
    static func tensors(_ v: TorchValue) -> [String: (Tensor, SafetensorsDType)] {
        guard case .dict(let d) = v else { return [:] }
        var out: [String: (Tensor, SafetensorsDType)] = [:]
        for (k, x) in d { if case .tensor(let t, let dt) = x { out[k] = (t, dt) } }
        return out
    }

    /// Zip, legacy, re-zipped (DEFLATE) and non-contiguous files hold the same tensors, bit for bit.
    func testFormatsAgree() throws {
        let ref = try TorchCheckpoint(path: Fixtures.path("pth/r18.zip.pth"))
        XCTAssertEqual(ref.format, .zip)
        let a = Self.tensors(ref.root)
        XCTAssertEqual(a.count, 122)
        XCTAssertEqual(a["fc.weight"]?.0.shape, [10, 16])
        XCTAssertEqual(a["bn1.num_batches_tracked"]?.1, .I64)
        XCTAssertEqual(a["bn1.num_batches_tracked"]?.0.scalars, [7])
        for (name, format) in [("r18.legacy.pth", TorchCheckpoint.Format.legacy), ("r18.deflated.pth", .zip), ("r18.noncontig.pth", .zip)] {
            let c = try TorchCheckpoint(path: Fixtures.path("pth/" + name))
            XCTAssertEqual(c.format, format, name)
            let b = Self.tensors(c.root)
            XCTAssertEqual(Set(b.keys), Set(a.keys), name)
            for (k, (t, dt)) in a {
                XCTAssertEqual(b[k]?.1, dt, "\(name) \(k)")
                XCTAssertEqual(b[k]?.0.shape, t.shape, "\(name) \(k)")
                XCTAssertEqual(b[k]?.0.scalars, t.scalars, "\(name) \(k)")
            }
        }
    }

    func testHalfPrecisionStorages() throws {
        let ref = Self.tensors(try TorchCheckpoint(path: Fixtures.path("pth/r18.zip.pth")).root)
        for (name, dtype, tol) in [("r18.f16.pth", SafetensorsDType.F16, Float(1e-3)), ("r18.bf16.pth", .BF16, 8e-3)] {
            let t = Self.tensors(try TorchCheckpoint(path: Fixtures.path("pth/" + name)).root)
            XCTAssertEqual(t["conv1.weight"]?.1, dtype)
            XCTAssertEqual(t["bn1.num_batches_tracked"]?.1, .I64)
            assertClose(try XCTUnwrap(t["layer1.0.conv1.weight"]?.0), try XCTUnwrap(ref["layer1.0.conv1.weight"]?.0), relTol: tol, name)
        }
    }

    func testWrapperKeepsExtras() throws {
        let c = try TorchCheckpoint(path: Fixtures.path("pth/r18.wrapped.pth"))
        guard case .dict(let top) = c.root else { return XCTFail("not a dict") }
        XCTAssertEqual(top.map(\.0), ["state_dict", "best_prec1", "epoch", "arch"])
        if case .scalar(let s) = top[1].1 { XCTAssertEqual(s, "91.5") } else { XCTFail("best_prec1") }
        if case .scalar(let s) = top[2].1 { XCTAssertEqual(s, "7") } else { XCTFail("epoch") }
        XCTAssertEqual(Self.tensors(top[0].1).keys.filter { $0.hasPrefix("module.linear.") }.count, 2)
    }

    /// Hostile or broken files: one error naming the file and the problem, at once, before any big allocation.
    func testBadFilesAreRefused() throws {
        let cases = [
            "evil/os_system_in_zip.pth": "refusing global \"os.system\"",
            "evil/huge_tensor_claim.pth": "claims 1000000000000 elements",
            "evil/view_out_of_range.pth": "claims 3 elements but its storage holds 2",
            "evil/truncated_zip.pth": "end-of-central-directory",
            "evil/truncated_legacy.pth": "truncated",
            "evil/os_system.pkl": "not a PyTorch checkpoint",
        ]
        for (name, expected) in cases {
            let path = Fixtures.path("pth/" + name)
            let t0 = Date()
            XCTAssertThrowsError(try TorchCheckpoint(path: path), name) { e in
                XCTAssertTrue("\(e)".hasPrefix(path + ": "), "\(e)")
                XCTAssertTrue("\(e)".contains(expected), "\(name): \(e)")
                XCTAssertFalse("\(e)".contains("\n"))
            }
            XCTAssertLessThan(Date().timeIntervalSince(t0), 1, name)
        }
    }

    /// A 16-byte legacy-looking file and random corruptions of real files: errors, never traps.
    func testCorruptFilesNeverTrap() throws {
        XCTAssertThrowsError(try TorchCheckpoint.parse(data: Data([0x80, 2, 0x8A, 0x0A] + [UInt8](repeating: 0xFF, count: 12)), name: "16"))
        for name in ["r18.zip.pth", "r18.legacy.pth"] {
            let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("pth/" + name)))
            var rng = SystemRandomNumberGenerator()
            for i in 0..<150 {
                var b = [UInt8](data)
                for _ in 0..<4 { b[Int.random(in: 0..<b.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng) }
                _ = try? TorchCheckpoint.parse(data: Data(b), name: name)
                _ = try? TorchCheckpoint.parse(data: data.prefix(i * data.count / 150), name: name)
            }
        }
    }
}

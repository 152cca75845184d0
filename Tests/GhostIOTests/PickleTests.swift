import Foundation
import GhostIO
import GhostTestSupport
import XCTest

final class PickleTests: XCTestCase {
    /// pickle.dumps({'a': [1, 2.5, 'x', None, True, False, -5, 300, 70000, -(2**40), 2**70], 'b': (1, 2, 3),
    /// 'c': b'\x00\x01', 'd': OrderedDict([('k', ())])}) with protocols 2 (bytes via _codecs.encode), 4 and 5 (FRAME, MEMOIZE).
    static let samples: [Int: String] = [
        2: "80027d71002858010000006171015d7102284b0147400400000000000058010000007871034e88894afbffffff4d2c014a701101008a060000000000ff8a090000000000000000406558010000006271044b014b024b038771055801000000637106635f636f646563730a656e636f64650a710758020000000001710858060000006c6174696e31710986710a52710b580100000064710c63636f6c6c656374696f6e730a4f726465726564446963740a710d2952710e58010000006b710f2973752e",
        4: "8004957f000000000000007d94288c0161945d94284b014740040000000000008c0178944e88894afbffffff4d2c014a701101008a060000000000ff8a09000000000000000040658c0162944b014b024b0387948c01639443020001948c0164948c0b636f6c6c656374696f6e73948c0b4f726465726564446963749493942952948c016b942973752e",
        5: "8005957f000000000000007d94288c0161945d94284b014740040000000000008c0178944e88894afbffffff4d2c014a701101008a060000000000ff8a09000000000000000040658c0162944b014b024b0387948c01639443020001948c0164948c0b636f6c6c656374696f6e73948c0b4f726465726564446963749493942952948c016b942973752e",
    ]

    static func hex(_ s: String) -> Data {
        var out = Data()
        var i = s.startIndex
        while i < s.endIndex {
            let j = s.index(i, offsetBy: 2)
            out.append(UInt8(s[i..<j], radix: 16)!)
            i = j
        }
        return out
    }

    func testDecodesEveryProtocol() throws {
        for (proto, text) in Self.samples {
            let v = try Pickle.load(data: Self.hex(text))
            guard case .dict(let d) = v else { return XCTFail("protocol \(proto): \(v.kind)") }
            XCTAssertEqual(d.entries.map { $0.key.stringValue ?? "?" }, ["a", "b", "c", "d"], "protocol \(proto)")
            let a = try XCTUnwrap(d["a"]?.items, "protocol \(proto)")
            XCTAssertEqual(a.count, 11)
            XCTAssertEqual(a[0].intValue, 1)
            if case .float(let f) = a[1] { XCTAssertEqual(f, 2.5) } else { XCTFail("\(a[1].kind)") }
            XCTAssertEqual(a[2].stringValue, "x")
            if case .none = a[3] {} else { XCTFail("None") }
            if case .bool(true) = a[4], case .bool(false) = a[5] {} else { XCTFail("bools") }
            XCTAssertEqual(a.dropFirst(6).prefix(4).map { $0.intValue }, [-5, 300, 70000, -(1 << 40)])
            if case .bigInt(let b) = a[10] { XCTAssertEqual(b, [0, 0, 0, 0, 0, 0, 0, 0, 0x40]) } else { XCTFail("2**70: \(a[10].kind)") }
            XCTAssertEqual(d["b"]?.items?.map { $0.intValue }, [1, 2, 3])
            if case .bytes(let b)? = d["c"] { XCTAssertEqual(b, [0, 1]) } else { XCTFail("bytes, protocol \(proto)") }
            guard case .dict(let od)? = d["d"] else { return XCTFail("OrderedDict") }
            XCTAssertTrue(od.ordered)
            XCTAssertEqual(od["k"]?.items?.count, 0)
        }
    }

    /// Each hostile pickle is refused with an error naming the problem; nothing runs.
    func testHostilePicklesAreRefused() throws {
        let cases = [
            "os_system.pkl": "refusing global \"os.system\"",
            "builtins_eval.pkl": "refusing global \"builtins.eval\"",
            "posix_stack_global.pkl": "refusing global \"posix.system\"",
            "load_from_bytes.pkl": "refusing global \"torch.storage._load_from_bytes\"",
            "huge_memo.pkl": "memo index 4294967295 was never stored",
            "deep_nesting.pkl": "nesting deeper than 64 levels",
            "huge_string.pkl": "length 4294967295 exceeds the 4 bytes left",
            "huge_bytes8.pkl": "exceeds the 4 bytes left",
            "truncated.pkl": "truncated",
            "bad_opcode.pkl": "unsupported opcode 0xfe",
            "ext1.pkl": "EXT",
        ]
        for (name, expected) in cases {
            let path = Fixtures.path("pth/evil/" + name)
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            XCTAssertThrowsError(try Pickle.load(data: data, name: name), name) { e in
                XCTAssertTrue("\(e)".hasPrefix(name + ": pickle byte "), "\(e)")
                XCTAssertTrue("\(e)".contains(expected), "\(name): \(e)")
            }
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/tmp/ghostkit-pwned"))
    }

    /// A list appended to itself (or any container changed after nesting) is refused: no cycles, exact depths.
    func testCyclesAreRefused() {
        // EMPTY_LIST, BINPUT 0, BINGET 0, APPEND, STOP
        XCTAssertThrowsError(try Pickle.load(data: Data([0x80, 2, 0x5D, 0x71, 0, 0x68, 0, 0x61, 0x2E]))) { e in
            XCTAssertTrue("\(e)".contains("appended to itself"), "\(e)")
        }
        // a = [], b = [a] (a nested), then a.append(1): a changed after nesting
        XCTAssertThrowsError(try Pickle.load(data: Data([0x80, 2, 0x5D, 0x71, 0, 0x5D, 0x68, 0, 0x61, 0x68, 0, 0x4B, 1, 0x61, 0x2E]))) { e in
            XCTAssertTrue("\(e)".contains("after being nested"), "\(e)")
        }
    }

    /// The allocation bound is enforced.
    func testAllocationLimit() {
        var limits = Pickle.Limits()
        limits.maxAllocation = 100
        let big = Data([0x80, 2, 0x58, 200, 0, 0, 0] + [UInt8](repeating: 0x61, count: 200) + [0x2E])
        XCTAssertNoThrow(try Pickle.load(data: big))
        XCTAssertThrowsError(try Pickle.load(data: big, limits: limits)) { e in XCTAssertTrue("\(e)".contains("allocation"), "\(e)") }
    }

    /// Every truncation and many random corruptions of a real state-dict pickle end in a value or an error, never a trap.
    func testCorruptInputsNeverTrap() throws {
        let zip = try ZipArchive(data: try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("pth/r18.zip.pth"))), name: "r18")
        let pkl = try zip.contents(of: try XCTUnwrap(zip.entry("r18.zip/data.pkl")))
        XCTAssertNoThrow(try Pickle.load(data: pkl))
        for n in stride(from: 0, to: pkl.count, by: 97) { XCTAssertThrowsError(try Pickle.load(data: pkl.prefix(n)), "prefix \(n)") }
        var rng = SystemRandomNumberGenerator()
        var failures = 0
        for _ in 0..<2000 {
            var bytes = [UInt8](pkl)
            for _ in 0..<Int.random(in: 1...8, using: &rng) { bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng) }
            do { _ = try Pickle.load(data: Data(bytes)) } catch { failures += 1 }
        }
        XCTAssertGreaterThan(failures, 0)
    }
}

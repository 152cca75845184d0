import Foundation
import GhostIO
import GhostTensor
import GhostTestSupport
import XCTest

final class SafetensorsTests: XCTestCase {
    var dir = ""
    override func setUp() { dir = Fixtures.temporaryDirectory() }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    /// Hand-assembled file: header JSON (tensors listed out of offset order) + raw bytes.
    func makeFile(_ header: String, _ payload: [UInt8], name: String = "x.safetensors") -> String {
        var bytes = [UInt8](repeating: 0, count: 8)
        let h = Array(header.utf8)
        for i in 0..<8 { bytes[i] = UInt8((UInt64(h.count) >> (8 * UInt64(i))) & 0xFF) }
        let path = dir + "/" + name
        FileManager.default.createFile(atPath: path, contents: Data(bytes + h + payload))
        return path
    }

    func testDecodesHandAssembledFile() throws {
        var payload: [UInt8] = []
        for v: Float in [1.5, -2] { withUnsafeBytes(of: v.bitPattern.littleEndian) { payload += $0 } }
        payload += [0x00, 0x3C, 0x00, 0xC0]                     // F16 1.0, -2.0
        payload += [0x80, 0x3F]                                 // BF16 1.0
        withUnsafeBytes(of: Int64(7).littleEndian) { payload += $0 }
        let header = """
        {"c":{"dtype":"BF16","shape":[1],"data_offsets":[12,14]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},
         "b":{"dtype":"F16","shape":[2,1],"data_offsets":[8,12]},"n":{"dtype":"I64","shape":[],"data_offsets":[14,22]},
         "__metadata__":{"k":"v"}}
        """
        let f = try SafetensorsFile(path: makeFile(header, payload))
        XCTAssertEqual(f.names, ["a", "b", "c", "n"])
        XCTAssertEqual(f.metadata, ["k": "v"])
        XCTAssertEqual(try f.tensor("a").scalars, [1.5, -2])
        XCTAssertEqual(try f.tensor("b").shape, [2, 1])
        XCTAssertEqual(try f.tensor("b").scalars, [1, -2])
        XCTAssertEqual(try f.tensor("c").scalars, [1])
        XCTAssertEqual(try f.tensor("n").scalars, [7])
        XCTAssertEqual(try f.tensor("n").shape, [])
    }

    func testRoundTripAllWritableDTypes() throws {
        let values: [Float] = [0, 1, -1, 0.5, 3.140625, -1000, 65504, 1e-3, 2.5e-6]
        let t = Tensor(shape: [3, 3], values: values)
        let path = dir + "/rt.safetensors"
        try SafetensorsFile.write(path: path, tensors: [("f32", t, .F32), ("f16", t, .F16), ("bf16", t, .BF16),
                                                        ("i64", Tensor(shape: [2], values: [3, -4]), .I64)],
                                  metadata: ["ghostkit.arch": "{\"x\": \"quote \\\" ok\"}", "other": "ünïcode"])
        let f = try SafetensorsFile(path: path)
        XCTAssertEqual(f.metadata["other"], "ünïcode")
        XCTAssertEqual(f.metadata["ghostkit.arch"], "{\"x\": \"quote \\\" ok\"}")
        XCTAssertEqual(try f.tensor("f32").scalars, values)
        XCTAssertEqual(try f.tensor("i64").scalars, [3, -4])
        for (name, rel) in [("f16", Float(1) / 2048), ("bf16", Float(1) / 256)] {
            let got = try f.tensor(name).scalars
            for (g, v) in zip(got, values) {
                if abs(v) >= 1e-4 { XCTAssertEqual(g, v, accuracy: abs(v) * rel, "\(name) \(v)") }
            }
            XCTAssertEqual(got[1], 1); XCTAssertEqual(got[3], 0.5)  // exactly representable
        }
        XCTAssertEqual(f.entry("f16")?.dtype, .F16)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.contains(".tmp-") }
        XCTAssertEqual(leftovers, [])
    }

    func testHostileFilesAreRefusedWithThePath() throws {
        let good = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}"
        let cases: [(String, String, [UInt8])] = [
            ("short", "", []),
            ("truncated-data", good, [0, 0, 0]),
            ("bad-json", "{\"a\": [", [UInt8](repeating: 0, count: 8)),
            ("not-object", "[1,2]", []),
            ("bad-dtype", "{\"a\":{\"dtype\":\"Q7\",\"shape\":[2],\"data_offsets\":[0,8]}}", [UInt8](repeating: 0, count: 8)),
            ("offset-mismatch", "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", [UInt8](repeating: 0, count: 8)),
            ("huge", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1000000,1000000],\"data_offsets\":[0,4000000000000]}}", [0, 0, 0, 0]),
            ("overflow", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,8]}}", []),
            ("negative", "{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", [UInt8](repeating: 0, count: 8)),
            ("bool-dim", "{\"a\":{\"dtype\":\"F32\",\"shape\":[true, 2],\"data_offsets\":[0,8]}}", [UInt8](repeating: 0, count: 8)),
            ("fraction", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}}", [UInt8](repeating: 0, count: 8)),
            ("overlap", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
             [UInt8](repeating: 0, count: 12)),
            ("meta-not-string", "{\"__metadata__\":{\"k\":3}}", []),
            ("missing-offsets", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", [UInt8](repeating: 0, count: 8)),
            ("deep", String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000), []),
        ]
        for (name, header, payload) in cases {
            let path = makeFile(header, payload, name: name + ".safetensors")
            XCTAssertThrowsError(try SafetensorsFile(path: path), name) { error in
                let msg = (error as? GhostError)?.message ?? ""
                XCTAssertTrue(msg.hasPrefix(path + ":"), "\(name): \(msg)")
                XCTAssertFalse(msg.contains("\n"), "\(name): one line")
            }
        }
        // A header length larger than the file.
        let path = dir + "/len.safetensors"
        FileManager.default.createFile(atPath: path, contents: Data([0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0x7B, 0x7D]))
        XCTAssertThrowsError(try SafetensorsFile(path: path))
        // 16-byte file claiming 10^12 elements: refused before allocating.
        XCTAssertThrowsError(try SafetensorsFile(path: makeFile("{\"a\":{\"dtype\":\"F32\",\"shape\":[1000000000000],\"data_offsets\":[0,4000000000000]}}", [])))
        XCTAssertThrowsError(try SafetensorsFile(path: dir + "/missing.safetensors")) { e in
            XCTAssertEqual((e as? GhostError)?.message, dir + "/missing.safetensors: no such file")
        }
    }

    func testEveryTruncationOfARealFileIsRefusedOrConsistent() throws {
        let path = dir + "/full.safetensors"
        try SafetensorsFile.write(path: path, tensors: [("w", Tensor(repeating: 1, shape: [4, 4]), .F32),
                                                        ("b", Tensor(repeating: 2, shape: [4]), .F16)], metadata: ["m": "x"])
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        for cut in stride(from: 0, to: bytes.count, by: 3) {
            XCTAssertThrowsError(try SafetensorsFile(path: "cut\(cut)", data: bytes.prefix(cut)), "cut at \(cut)")
        }
    }

    func testDuplicateNamesRefusedOnWrite() {
        let t = Tensor(zeros: [1])
        XCTAssertThrowsError(try SafetensorsFile.write(path: dir + "/d.safetensors", tensors: [("a", t, .F32), ("a", t, .F32)], metadata: [:]))
    }
}

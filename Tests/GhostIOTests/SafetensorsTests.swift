import Foundation
import GhostIO
import GhostTensor
import XCTest

final class SafetensorsTests: XCTestCase {
    var dir = ""

    override func setUp() {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("ghostkit-st-" + UUID().uuidString).path
        try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    // MARK: helpers

    /// 8-byte little-endian length + header bytes + payload, written to `dir/name`.
    func makeFile(_ header: [UInt8], _ payload: [UInt8], name: String, claimedLength: UInt64? = nil) -> String {
        var bytes: [UInt8] = []
        let n = claimedLength ?? UInt64(header.count)
        for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: n >> (8 * UInt64(i)))) }
        let path = dir + "/" + name
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(bytes + header + payload)))
        return path
    }

    func makeFile(_ header: String, _ payload: [UInt8], name: String = "x.safetensors") -> String {
        makeFile(Array(header.utf8), payload, name: name)
    }

    func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }

    func message(_ error: Error) -> String { (error as? GhostError)?.message ?? "not a GhostError: \(error)" }

    /// Header length, header text and data section of a written file.
    func split(_ path: String) throws -> (header: String, data: [UInt8]) {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        var n = 0
        for i in 0..<8 { n |= Int(bytes[i]) << (8 * i) }
        return (String(decoding: bytes[8..<(8 + n)], as: UTF8.self), Array(bytes[(8 + n)...]))
    }

    func u16s(_ bytes: [UInt8]) -> [UInt16] {
        stride(from: 0, to: bytes.count, by: 2).map { UInt16(bytes[$0]) | UInt16(bytes[$0 + 1]) << 8 }
    }

    // MARK: reading a hand-assembled file

    func testDecodesHandAssembledFileWithTensorsOutOfOffsetOrder() throws {
        var payload: [UInt8] = []
        payload += le(Float(1.5).bitPattern) + le(Float(-2).bitPattern)          // a  F32  [0, 8)
        payload += le(UInt16(0x3C00)) + le(UInt16(0xC000))                     // b  F16  [8, 12): 1, -2
        payload += le(UInt16(0x0001)) + le(UInt16(0x7BFF)) + le(UInt16(0xFC00)) // c  F16  [12, 18): 2^-24, 65504, -inf
        payload += le(UInt16(0x3F80)) + le(UInt16(0xC0A0))                     // d  BF16 [18, 22): 1, -5
        payload += le(Int64(-7)) + le(Int64(1 << 40))                          // e  I64  [22, 38)
        payload += le(Double(0.25).bitPattern)                                 // f  F64  [38, 46)
        payload += le(Int32(-123456))                                          // g  I32  [46, 50)
        payload += le(Int16(-300))                                             // h  I16  [50, 52)
        payload += [0xFE, 0xFF, 0x01, 0x02]                                    // i  I8 [52,53) -2, U8 [53,54) 255, BOOL [54,56)
        let header = """
        {"d":{"dtype":"BF16","shape":[2],"data_offsets":[18,22]},
         "__metadata__":{"format":"pt","note":"é \\"q\\" \\u00e9\\ud83d\\ude00"},
         "a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},
         "z":{"dtype":"F32","shape":[0,3],"data_offsets":[56,56]},
         "c":{"dtype":"F16","shape":[3],"data_offsets":[12,18]},
         "b":{"dtype":"F16","shape":[2,1],"data_offsets":[8,12]},
         "e":{"dtype":"I64","shape":[2],"data_offsets":[22,38]},
         "bool":{"dtype":"BOOL","shape":[2],"data_offsets":[54,56]},
         "f":{"dtype":"F64","shape":[],"data_offsets":[38,46]},
         "h":{"dtype":"I16","shape":[1,1,1],"data_offsets":[50,52]},
         "g":{"dtype":"I32","shape":[1],"data_offsets":[46,50]},
         "u":{"dtype":"U8","shape":[1],"data_offsets":[53,54]},
         "i":{"dtype":"I8","shape":[1],"data_offsets":[52,53]}}
        """
        let f = try SafetensorsFile(path: makeFile(header, payload))
        XCTAssertEqual(f.names, ["a", "b", "c", "d", "e", "f", "g", "h", "i", "u", "bool", "z"])
        XCTAssertEqual(f.metadata, ["format": "pt", "note": "é \"q\" é😀"])
        XCTAssertEqual(f.entry("b")?.dtype, .F16)
        XCTAssertEqual(f.entry("b")?.shape, [2, 1])
        XCTAssertNil(f.entry("nope"))
        XCTAssertEqual(try f.tensor("a").scalars, [1.5, -2])
        XCTAssertEqual(try f.tensor("b").shape, [2, 1])
        XCTAssertEqual(try f.tensor("b").scalars, [1, -2])
        XCTAssertEqual(try f.tensor("c").scalars, [0x1p-24, 65504, -.infinity])
        XCTAssertEqual(try f.tensor("d").scalars, [1, -5])
        XCTAssertEqual(try f.tensor("e").scalars, [-7, 0x1p40])
        XCTAssertEqual(try f.tensor("f").shape, [])
        XCTAssertEqual(try f.tensor("f").scalars, [0.25])
        XCTAssertEqual(try f.tensor("g").scalars, [-123456])
        XCTAssertEqual(try f.tensor("h").scalars, [-300])
        XCTAssertEqual(try f.tensor("i").scalars, [-2])
        XCTAssertEqual(try f.tensor("u").scalars, [255])
        XCTAssertEqual(try f.tensor("bool").scalars, [1, 1])
        XCTAssertEqual(try f.tensor("z").shape, [0, 3])
        XCTAssertEqual(try f.tensor("z").count, 0)
        let all = try f.allTensors()
        XCTAssertEqual(all.map(\.0), f.names)
        XCTAssertEqual(all[0].1.scalars, [1.5, -2])
        XCTAssertThrowsError(try f.tensor("nope")) { e in
            XCTAssertEqual(message(e), f.path + ": no tensor named \"nope\"")
        }
    }

    func testEveryF16BitPatternDecodesExactly() throws {
        var payload: [UInt8] = []
        for b in 0...UInt16.max { payload += le(b) }
        let f = try SafetensorsFile(path: makeFile("{\"h\":{\"dtype\":\"F16\",\"shape\":[65536],\"data_offsets\":[0,131072]}}", payload))
        let t = try f.tensor("h")
        for b in 0...UInt16.max {
            let got = t.readPointer[Int(b)]
            // Reference decoding from the bit fields.
            let sign: Float = b & 0x8000 != 0 ? -1 : 1
            let e = Int((b >> 10) & 0x1F), m = Float(b & 0x3FF)
            if e == 31 {
                if m == 0 { XCTAssertEqual(got, sign * .infinity) } else { XCTAssertTrue(got.isNaN) }
            } else {
                let want = e == 0 ? sign * m * 0x1p-24 : sign * (1 + m / 1024) * Float(sign: .plus, exponent: e - 15, significand: 1)
                XCTAssertEqual(got.bitPattern, want.bitPattern, "0x\(String(b, radix: 16))")
            }
        }
    }

    // MARK: writing

    func testRoundTripF32F16BF16I64WithMetadata() throws {
        let values: [Float] = [0, 1, -1, 0.5, 3.140625, -1000, 65504, 1e-3, 2.5e-6, 123.456, -0.1, 7]
        let t = Tensor(shape: [3, 4], values: values)
        let counts = Tensor(shape: [2], values: [3, -4])
        let path = dir + "/rt.safetensors"
        let meta = ["ghostkit.arch": "{\"x\": \"quote \\\" ok\"}", "other": "ünïcode 😀", "lines": "a\nb\tc\u{1}"]
        try SafetensorsFile.write(path: path, tensors: [("w.f32", t, .F32), ("w \"f16\"", t, .F16), ("w/bf16", t, .BF16),
                                                        ("bn.num_batches_tracked", counts, .I64)],
                                  metadata: meta)
        let f = try SafetensorsFile(path: path)
        XCTAssertEqual(f.metadata, meta)
        XCTAssertEqual(f.names, ["w.f32", "w \"f16\"", "w/bf16", "bn.num_batches_tracked"])
        XCTAssertEqual(f.entry("w/bf16")?.dtype, .BF16)
        XCTAssertEqual(f.entry("w/bf16")?.shape, [3, 4])
        XCTAssertEqual(try f.tensor("w.f32").scalars, values)
        XCTAssertEqual(try f.tensor("bn.num_batches_tracked").scalars, [3, -4])
        XCTAssertEqual(try f.tensor("w.f32").shape, [3, 4])
        let f16 = try f.tensor("w \"f16\"").scalars, bf16 = try f.tensor("w/bf16").scalars
        for (i, v) in values.enumerated() {
            // Half an ulp: 2^-11 relative for F16 (normal range), 2^-8 for BF16; subnormal F16 absolute 2^-25.
            XCTAssertEqual(f16[i], v, accuracy: max(abs(v) * 0x1p-11, 0x1p-25), "F16 \(v)")
            XCTAssertEqual(bf16[i], v, accuracy: abs(v) * 0x1p-8, "BF16 \(v)")
        }
        for exact in [0, 1, 2, 3, 4, 5, 11] {  // representable in both
            XCTAssertEqual(f16[exact], values[exact]); XCTAssertEqual(bf16[exact], values[exact])
        }
        XCTAssertEqual(f16[6], 65504)
        // Layout: header padded with spaces to a multiple of 8, keys in the given order, data contiguous.
        let (header, data) = try split(path)
        XCTAssertEqual(header.utf8.count % 8, 0)
        XCTAssertTrue(header.hasPrefix("{\"__metadata__\":"))
        let positions = ["\"w.f32\"", "\"w \\\"f16\\\"\"", "\"w/bf16\"", "\"bn.num_batches_tracked\""].map {
            header.range(of: $0).map { header.distance(from: header.startIndex, to: $0.lowerBound) } ?? -1
        }
        XCTAssertEqual(positions, positions.sorted())
        XCTAssertFalse(positions.contains(-1))
        XCTAssertTrue(header.contains("\"data_offsets\":[0,48]") && header.contains("\"data_offsets\":[48,72]")
                      && header.contains("\"data_offsets\":[72,96]") && header.contains("\"data_offsets\":[96,112]"), header)
        XCTAssertEqual(data.count, 48 + 24 + 24 + 16)
        XCTAssertEqual(Array(data[96..<112]), le(Int64(3)) + le(Int64(-4)))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["rt.safetensors"])
    }

    func testF16RoundsToNearestEvenWithOverflowAndSubnormals() throws {
        let cases: [(Float, UInt16)] = [
            (1, 0x3C00), (-2, 0xC000), (0, 0x0000), (-0.0, 0x8000),
            (1 + 0x1p-11, 0x3C00),          // tie → even
            (1 + 3 * 0x1p-11, 0x3C02),      // tie → even (up)
            (1 + 0x1p-11 + 0x1p-20, 0x3C01), // above the tie → up
            (65504, 0x7BFF), (65519, 0x7BFF), (65520, 0x7C00), (1e6, 0x7C00), (-1e6, 0xFC00),
            (.infinity, 0x7C00), (-.infinity, 0xFC00),
            (0x1p-14, 0x0400),              // smallest normal
            (0x1p-24, 0x0001),              // smallest subnormal
            (0x1p-25, 0x0000),              // tie → even (zero)
            (0x1.8p-24, 0x0002),            // tie → even (up)
            (0x1.8p-25, 0x0001),            // above half of the smallest subnormal
            (1e-10, 0x0000), (-1e-10, 0x8000),
        ]
        let path = dir + "/h.safetensors"
        try SafetensorsFile.write(path: path, tensors: [("h", Tensor(shape: [cases.count], values: cases.map(\.0)), .F16)], metadata: [:])
        let bits = u16s(try split(path).data)
        for (c, b) in zip(cases, bits) { XCTAssertEqual(b, c.1, "F16(\(c.0)) = 0x\(String(b, radix: 16))") }
        try SafetensorsFile.write(path: path, tensors: [("h", Tensor(shape: [1], values: [.nan]), .F16)], metadata: [:])
        let nan = u16s(try split(path).data)[0]
        XCTAssertTrue(nan & 0x7C00 == 0x7C00 && nan & 0x03FF != 0, "NaN → 0x\(String(nan, radix: 16))")
    }

    func testBF16RoundsToNearestEven() throws {
        let cases: [(Float, UInt16)] = [
            (1, 0x3F80), (-2, 0xC000), (-0.0, 0x8000),
            (1 + 0x1p-8, 0x3F80),             // tie → even
            (1 + 3 * 0x1p-8, 0x3F82),         // tie → even (up)
            (1 + 0x1p-8 + 0x1p-20, 0x3F81),   // above the tie
            (.greatestFiniteMagnitude, 0x7F80), (-.greatestFiniteMagnitude, 0xFF80),
            (.infinity, 0x7F80), (.leastNonzeroMagnitude, 0x0000), (3.140625, 0x4049),
        ]
        let path = dir + "/b.safetensors"
        try SafetensorsFile.write(path: path, tensors: [("b", Tensor(shape: [cases.count], values: cases.map(\.0)), .BF16),
                                                        ("n", Tensor(shape: [1], values: [-.nan]), .BF16)], metadata: [:])
        let bits = u16s(try split(path).data)
        for (c, b) in zip(cases, bits) { XCTAssertEqual(b, c.1, "BF16(\(c.0)) = 0x\(String(b, radix: 16))") }
        XCTAssertEqual(bits.last.map { $0 & 0x7FC0 }, 0x7FC0)
        XCTAssertTrue(try SafetensorsFile(path: path).tensor("n").scalars[0].isNaN)
    }

    func testI64RoundsAndRefusesValuesThatDoNotFit() throws {
        let path = dir + "/i.safetensors"
        try SafetensorsFile.write(path: path, tensors: [("i", Tensor(shape: [4], values: [2.4, -2.6, 1e10, -0.0]), .I64)], metadata: [:])
        XCTAssertEqual(try split(path).data, le(Int64(2)) + le(Int64(-3)) + le(Int64(10_000_000_000)) + le(Int64(0)))
        XCTAssertEqual(try SafetensorsFile(path: path).tensor("i").scalars, [2, -3, 1e10, 0])
        for bad: Float in [.nan, .infinity, 1e19, -1e19] {
            let p = dir + "/bad.safetensors"
            XCTAssertThrowsError(try SafetensorsFile.write(path: p, tensors: [("i", Tensor(shape: [2], values: [1, bad]), .I64)], metadata: [:])) { e in
                XCTAssertTrue(message(e).hasPrefix(p + ": tensor \"i\": value "), message(e))
                XCTAssertTrue(message(e).hasSuffix("does not fit I64"), message(e))
            }
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["i.safetensors"])
    }

    func testLargeTensorsRoundTripAcrossChunks() throws {
        let n = 200_003
        var t = Tensor(uninitialized: [n])
        t.withUnsafeMutableBufferPointer { b in for i in 0..<n { b[i] = Float(i % 2048) - 1024 } }  // exact in F16 and BF16? F16 yes
        let path = dir + "/large.safetensors"
        try SafetensorsFile.write(path: path, tensors: [("a", t, .F16), ("b", t, .F32), ("c", t, .I64)], metadata: ["k": "v"])
        let f = try SafetensorsFile(path: path)
        XCTAssertEqual(try f.tensor("a").scalars, t.scalars)
        XCTAssertEqual(try f.tensor("b").scalars, t.scalars)
        XCTAssertEqual(try f.tensor("c").scalars, t.scalars)
    }

    func testWriterRefusesDuplicateAndReservedNames() {
        let t = Tensor(zeros: [1])
        let path = dir + "/d.safetensors"
        XCTAssertThrowsError(try SafetensorsFile.write(path: path, tensors: [("a", t, .F32), ("a", t, .F16)], metadata: [:])) { e in
            XCTAssertEqual(message(e), path + ": duplicate tensor name \"a\"")
        }
        XCTAssertThrowsError(try SafetensorsFile.write(path: path, tensors: [("__metadata__", t, .F32)], metadata: [:])) { e in
            XCTAssertTrue(message(e).hasPrefix(path + ": "), message(e))
        }
        XCTAssertThrowsError(try SafetensorsFile.write(path: dir + "/no/such/dir/x.safetensors", tensors: [("a", t, .F32)], metadata: [:])) { e in
            XCTAssertEqual(message(e), dir + "/no/such/dir/x.safetensors: cannot write: No such file or directory")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), [])
    }

    // MARK: hostile input

    func testHostileFilesAreRefusedWithOneLineNamingThePath() throws {
        let zeros8 = [UInt8](repeating: 0, count: 8)
        func entry(_ dtype: String = "\"F32\"", _ shape: String = "[2]", _ offsets: String = "[0,8]") -> String {
            "{\"a\":{\"dtype\":\(dtype),\"shape\":\(shape),\"data_offsets\":\(offsets)}}"
        }
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        let cases: [(name: String, header: String, payload: [UInt8], expect: String)] = [
            ("truncated-data", entry(), [0, 0, 0], "header claims 8 bytes of tensor data but the file has only 3 after the header"),
            ("no-data", entry(), [], "header claims 8 bytes of tensor data but the file has only 0 after the header"),
            ("empty-header", "", [], "not valid JSON"),
            ("bad-json", "{\"a\": [", zeros8, "not valid JSON"),
            ("nan", entry("\"F32\"", "[NaN]"), zeros8, "not valid JSON"),
            ("trailing", entry() + "x", zeros8, "not valid JSON"),
            ("not-object", "[1,2]", [], "header is not a JSON object"),
            ("entry-not-object", "{\"a\":[1]}", [], "tensor \"a\" is a list, not an object"),
            ("bad-dtype", entry("\"Q7\""), zeros8, "unsupported dtype \"Q7\""),
            ("lower-dtype", entry("\"f32\""), zeros8, "unsupported dtype \"f32\""),
            ("dtype-number", entry("4"), zeros8, "dtype is a number, not a string"),
            ("no-dtype", "{\"a\":{\"shape\":[2],\"data_offsets\":[0,8]}}", zeros8, "tensor \"a\" has no dtype"),
            ("no-shape", "{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", zeros8, "tensor \"a\" has no shape"),
            ("missing-offsets", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", zeros8, "tensor \"a\" has no data_offsets"),
            ("shape-string", entry("\"F32\"", "\"2\""), zeros8, "shape is a string, not a list"),
            ("offset-mismatch", entry("\"F32\"", "[3]"), zeros8, "needs 12 bytes but data_offsets [0, 8] hold 8"),
            ("offsets-backwards", entry("\"F32\"", "[0]", "[8,0]"), zeros8, "end before they begin"),
            ("offsets-three", entry("\"F32\"", "[2]", "[0,8,16]"), zeros8, "not two non-negative integers"),
            ("offsets-negative", entry("\"F32\"", "[2]", "[-8,0]"), zeros8, "not two non-negative integers"),
            ("offsets-fraction", entry("\"F32\"", "[2]", "[0,8.0]"), zeros8, "not two non-negative integers"),
            ("huge", entry("\"F32\"", "[1000000,1000000]", "[0,4000000000000]"), [0, 0, 0, 0],
             "header claims 4000000000000 bytes of tensor data but the file has only 4 after the header"),
            ("overflow", entry("\"F32\"", "[4611686018427387904,4]"), [], "more elements than can be counted"),
            ("overflow-bytes", entry("\"F64\"", "[4611686018427387904]"), [], "more bytes than can be counted"),
            ("huge-int", entry("\"F32\"", "[99999999999999999999999999]"), [], "shape has 99999999999999999999999999"),
            ("huge-exp", entry("\"F32\"", "[1e999]"), [], "shape has 1e999"),
            ("negative", entry("\"F32\"", "[-2]"), zeros8, "shape has -2"),
            ("bool-dim", entry("\"F32\"", "[true, 2]"), zeros8, "shape has true"),
            ("null-dim", entry("\"F32\"", "[null]"), zeros8, "shape has null"),
            ("fraction", entry("\"F32\"", "[2.5]"), zeros8, "shape has 2.5"),
            ("nested-dim", entry("\"F32\"", "[[2]]"), zeros8, "shape has [2], not"),
            ("overlap", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
             [UInt8](repeating: 0, count: 12), "tensors \"a\" [0, 8) and \"b\" [4, 12) overlap"),
            ("same-range", "{\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"a\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[0,8]}}",
             zeros8, "overlap"),
            ("duplicate-key", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
             zeros8, "duplicate key \"a\""),
            ("meta-not-string", "{\"__metadata__\":{\"k\":3}}", [], "__metadata__ value of \"k\" is a number, not a string"),
            ("meta-not-object", "{\"__metadata__\":[\"k\"]}", [], "__metadata__ is not a map of strings"),
            ("deep", deep, [], "nested deeper than 64 levels"),
            ("deep-object", String(repeating: "{\"a\":", count: 50_000) + "1" + String(repeating: "}", count: 50_000), [], "nested deeper"),
            ("lone-surrogate", "{\"\\ud800\":1}", [], "unpaired UTF-16 surrogate"),
            ("bad-escape", "{\"\\q\":1}", [], "invalid escape"),
            ("raw-newline", "{\"a\nb\":1}", [], "control character"),
            ("newline-name", "{\"a\\nb\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", [], "tensor \"a\\nb\" ends at 4"),
        ]
        for c in cases {
            let path = makeFile(c.header, c.payload, name: c.name + ".safetensors")
            XCTAssertThrowsError(try SafetensorsFile(path: path), c.name) { error in
                let msg = message(error)
                XCTAssertTrue(msg.hasPrefix(path + ": "), "\(c.name): \(msg)")
                XCTAssertTrue(msg.contains(c.expect), "\(c.name): \(msg.prefix(300))")
                XCTAssertFalse(msg.contains("\n"), "\(c.name): one line")
                XCTAssertLessThan(msg.count, 400, c.name)
            }
        }
    }

    func testBinaryLevelHostileFiles() throws {
        // Shorter than the 8-byte length, at every size.
        for n in 0..<8 {
            let path = dir + "/short\(n).safetensors"
            XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(repeating: 0x7B, count: n)))
            XCTAssertThrowsError(try SafetensorsFile(path: path)) { e in
                XCTAssertEqual(message(e), path + ": not a safetensors file: \(n) bytes, too short for the 8-byte header length")
            }
        }
        // Header length larger than the file.
        var path = makeFile(Array("{}".utf8), [], name: "len.safetensors", claimedLength: 0xFFFF)
        XCTAssertThrowsError(try SafetensorsFile(path: path)) { e in
            XCTAssertEqual(message(e), path + ": header claims 65535 bytes but the file has only 2 after the 8-byte length")
        }
        // Header length beyond 100 MB (and beyond Int).
        for claimed: UInt64 in [100_000_001, .max] {
            path = makeFile(Array("{}".utf8), [], name: "big\(claimed).safetensors", claimedLength: claimed)
            XCTAssertThrowsError(try SafetensorsFile(path: path)) { e in
                XCTAssertTrue(message(e).hasPrefix(path + ": header length \(claimed) exceeds the 100 MB limit"), message(e))
            }
        }
        // Invalid UTF-8 in the header.
        path = makeFile([0x7B, 0x22, 0xFF, 0xFE, 0x22, 0x3A, 0x31, 0x7D], [], name: "utf8.safetensors")
        XCTAssertThrowsError(try SafetensorsFile(path: path)) { e in XCTAssertEqual(message(e), path + ": header is not valid UTF-8") }
        // A UTF-16 header is not accepted either.
        path = makeFile(Array("{}".utf16.flatMap { [UInt8($0), 0] }), [], name: "utf16.safetensors")
        XCTAssertThrowsError(try SafetensorsFile(path: path)) { e in XCTAssertTrue(message(e).contains("not valid JSON"), message(e)) }
        // Missing file, directory.
        XCTAssertThrowsError(try SafetensorsFile(path: dir + "/missing.safetensors")) { e in
            XCTAssertEqual(message(e), dir + "/missing.safetensors: no such file")
        }
        XCTAssertThrowsError(try SafetensorsFile(path: dir)) { e in
            XCTAssertEqual(message(e), dir + ": is a directory, not a safetensors file")
        }
    }

    /// A tiny file whose header claims 10^12 elements is refused at once, without allocating anything.
    func testTinyFileClaimingATrillionElementsIsRefusedInstantly() throws {
        let header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1000000000000],\"data_offsets\":[0,4000000000000]}}"
        let path = makeFile(header, [UInt8](repeating: 0, count: 16))
        let start = Date()
        XCTAssertThrowsError(try SafetensorsFile(path: path)) { e in
            XCTAssertEqual(message(e), path + ": header claims 4000000000000 bytes of tensor data but the file has only 16 after the header"
                                        + " (tensor \"a\" ends at 4000000000000)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 0.5)
        // Same claim with an F16 tensor and offsets that do not match the shape.
        let bad = makeFile("{\"a\":{\"dtype\":\"F16\",\"shape\":[1000000000000],\"data_offsets\":[0,16]}}", [UInt8](repeating: 0, count: 16), name: "m.safetensors")
        XCTAssertThrowsError(try SafetensorsFile(path: bad)) { e in
            XCTAssertTrue(message(e).hasPrefix(bad + ": tensor \"a\": shape [1000000000000] of F16 needs 2000000000000 bytes"), message(e))
        }
    }

    func testEveryTruncationOfAWrittenFileIsRefused() throws {
        let path = dir + "/full.safetensors"
        try SafetensorsFile.write(path: path, tensors: [("w", Tensor(repeating: 1, shape: [4, 4]), .F32),
                                                        ("b", Tensor(repeating: 2, shape: [4]), .F16)], metadata: ["m": "x"])
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        XCTAssertNoThrow(try SafetensorsFile(path: "whole", data: bytes))
        for cut in 0..<bytes.count {
            let name = "cut\(cut)"
            XCTAssertThrowsError(try SafetensorsFile(path: name, data: bytes.prefix(cut)), name) { e in
                XCTAssertTrue(message(e).hasPrefix(name + ": "), message(e))
            }
        }
        // Truncated on disk too, at a few points through header and data.
        for cut in [3, 8, 20, bytes.count - 50, bytes.count - 1] {
            let p = dir + "/cut\(cut).safetensors"
            XCTAssertTrue(FileManager.default.createFile(atPath: p, contents: bytes.prefix(cut)))
            XCTAssertThrowsError(try SafetensorsFile(path: p)) { e in XCTAssertTrue(message(e).hasPrefix(p + ": "), message(e)) }
        }
    }
}

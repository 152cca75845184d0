import Foundation
import GhostIO
import GhostTensor
import GhostTestSupport
import XCTest

/// The hostile dumps of Tests/Fixtures/hostile (tools/make_hostile_h5.py, h5py): each is refused by the calls `grid`
/// and `fit-kernels` make (open, shape, read, labels) with one line naming the file, the dataset and the problem.
final class HostileActivationFileTests: XCTestCase {
    static let dir = Fixtures.path("hostile")

    /// What `grid --dump` and `fit-kernels --scan` do with a dump: open it, ask a layer's shape, read rows, labels.
    func use(_ name: String, layer: String = "a") throws -> Tensor {
        let r = try ActivationReader(path: Self.dir + "/" + name)
        _ = try r.labels()
        let shape = try r.shape("layers/" + layer)
        let t = try r.read("layers/" + layer, start: 0, count: 1)
        XCTAssertEqual(t.shape, [1] + shape.dropFirst())
        return try r.read("layers/" + layer)
    }

    func assertRefused(_ name: String, _ problem: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try use(name), name, file: file, line: line) { e in
            let m = "\(e)"
            XCTAssertTrue(m.hasPrefix(Self.dir + "/" + name + ": "), "names the file: \(m)", file: file, line: line)
            XCTAssertTrue(m.contains(problem), "\(name): expected “\(problem)” in: \(m)", file: file, line: line)
            XCTAssertFalse(m.contains("\n"), "one line: \(m)", file: file, line: line)
        }
    }

    func testValidDumpReadsItsValues() throws {
        let r = try ActivationReader(path: Self.dir + "/valid.h5")
        XCTAssertEqual(r.layerNames, ["a", "b"])
        XCTAssertEqual(try r.labels(), [0, 1])
        let a = try r.read("layers/a", start: 1, count: 1)
        XCTAssertEqual(a.shape, [1, 3, 4, 4])
        XCTAssertEqual(a.readPointer[0], 4.8, accuracy: 1e-6)   // arange(96)/10, second image
        let b = try r.read("layers/b")                      // contiguous layout
        XCTAssertEqual(b.shape, [2, 3, 2, 2])
        XCTAssertEqual(b.readPointer[23], 23, accuracy: 0)
    }

    func testAbsurdAndOverflowingDimensions() {
        assertRefused("absurd_dims.h5", "/layers/a: shape [64, 64, 100000, 100000] has maps larger than 16384 pixels")
        assertRefused("overflow_dims.h5", "/layers/a: shape [1073741824, 1073741824, 1073741824, 1073741824] claims more than")
        assertRefused("many_images.h5", "/layers/a: shape [1000000000, 1, 1, 1] claims more than 16777216 images")
        assertRefused("huge_maps.h5", "/layers/a: shape [1, 1, 100000, 100000] has maps larger than 16384")
        assertRefused("huge_chunk.h5", "chunks of [1, 64, 2048, 2048] are larger than 256 MiB")
        assertRefused("huge_labels.h5", "/labels: shape [1000000000] is not [N] with N ≤ 16777216")
    }

    func testSparseDatasetClaimingMoreThanItStores() {
        assertRefused("sparse_16000.h5", "(sparse or truncated dataset)")
    }

    func testZeroSizedShapes() {
        assertRefused("zero_c.h5", "/layers/a: shape [2, 0, 4, 4] has a zero-sized dimension")
        assertRefused("zero_w.h5", "/layers/a: shape [2, 3, 4, 0] has a zero-sized dimension")
        assertRefused("zero_hw.h5", "/layers/a: shape [2, 3, 0, 0] has a zero-sized dimension")
        assertRefused("zero_n.h5", "/layers/a: shape [0, 3, 4, 4] holds no images")
    }

    func testWrongKindsOfDataset() {
        assertRefused("rank5.h5", "/layers/a: shape [1, 1, 1, 2, 2] is not")
        assertRefused("int_layer.h5", "/layers/a: holds integer elements of 4 bytes; expected floating point numbers")
        assertRefused("truncated.h5", "not a readable HDF5 file")
    }

    func testDataOutsideTheFileIsRefused() {
        assertRefused("external_storage.h5", "/layers/a: stores its data in 1 external file(s)")
        assertRefused("external_link.h5", "/layers/a is an external link to another file")
        assertRefused("external_group.h5", "/layers is an external link to another file")
        assertRefused("soft_link.h5", "/layers/a is a soft link")
        assertRefused("vds_absolute.h5", "only sibling files named without a path are read")
        assertRefused("vds_subdir.h5", "only sibling files named without a path are read")
        assertRefused("vds_self_external.h5", "/hidden: stores its data in 1 external file(s)")
        assertRefused("vds_unlimited.h5", "virtual dataset source 0 is \"/tmp/ghostkit-hostile-source.h5\":/layers/a")
    }

    func testFiltersOutsideTheBuiltInOnesAreRefused() {
        assertRefused("lzf_filter.h5", "/layers/a: uses HDF5 filter 32000")
        assertRefused("scaleoffset_filter.h5", "/layers/a: uses HDF5 filter 6")
    }

    func testVirtualDatasetOfASiblingFileIsRead() throws {
        let vds = try use("vds_sibling.h5")
        let direct = try ActivationReader(path: Self.dir + "/valid.h5").read("layers/a")
        assertClose(vds, direct, relTol: 0)
    }

    func testRootFormatAttributeOfTheWrongTypeOrValue() {
        assertRefused("format_int.h5", "(root attribute format holds an integer, not one fixed-length string)")
        assertRefused("format_other.h5", "(root attribute format is \"other-activations\")")
    }

    /// The first and last rows read; the middle chunk's garbage is found by a read of every row, named.
    func testCorruptMiddleChunk() throws {
        let r = try ActivationReader(path: Self.dir + "/corrupt_middle_chunk.h5")
        XCTAssertEqual(try r.read("layers/a", start: 0, count: 1).shape, [1, 4, 8, 8])
        XCTAssertEqual(try r.read("layers/a", start: 8, count: 1).shape, [1, 4, 8, 8])
        XCTAssertThrowsError(try r.read("layers/a", start: 4, count: 1)) {
            XCTAssertTrue("\($0)".hasSuffix("/layers/a: cannot read row 4 (truncated or corrupt file?)"), "\($0)")
        }
        assertRefused("corrupt_middle_chunk.h5", "/layers/a: cannot read rows 0..<9 (truncated or corrupt file?)")
    }

    /// What `use` makes of a file, as text: its error, or the shapes and a checksum of everything read.
    func outcome(_ open: () throws -> ActivationReader) -> String {
        do {
            let r = try open()
            var parts = ["\(r.layerNames)", "\(try r.labels())"]
            for name in ["inputs"] + r.layerNames.map({ "layers/" + $0 }) {
                let t = try r.read(name)
                parts.append("\(name) \(t.shape) \((0..<t.count).reduce(0.0) { $0 + Double(t.readPointer[$1]) })")
            }
            return parts.joined(separator: "; ")
        } catch {
            return "error: \(error)"
        }
    }

    /// The in-memory open (the fuzz target's) and the path open differ only in how the file id is obtained: every
    /// hostile file gets the same error, and every readable one the same values, from both.
    func testImageOpenAgreesWithPathOpenOnEveryFile() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.dir).filter { $0.hasSuffix(".h5") }
            .sorted()
        XCTAssertGreaterThanOrEqual(names.count, 29)
        var readable = 0
        for name in names {
            let path = Self.dir + "/" + name
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            let fromPath = outcome { try ActivationReader(path: path) }
            let fromImage = outcome { try bytes.withUnsafeBytes { try ActivationReader(image: $0, name: path) } }
            XCTAssertEqual(fromImage, fromPath, name)
            if !fromPath.hasPrefix("error:") { readable += 1 }
        }
        XCTAssertEqual(readable, 2)  // valid.h5 and vds_sibling.h5
        XCTAssertThrowsError(try ActivationReader(image: UnsafeRawBufferPointer(start: nil, count: 0), name: "e.h5")) {
            XCTAssertEqual("\($0)", "e.h5: not a readable HDF5 file")
        }
    }

    func testReadBudget() throws {
        // 2 images of 3×4×4 floats fit; asking for rows beyond the dataset is refused before allocating.
        let r = try ActivationReader(path: Self.dir + "/valid.h5")
        XCTAssertThrowsError(try r.read("layers/a", start: 1, count: Int.max)) { e in
            XCTAssertTrue("\(e)".contains("/layers/a: rows 1..<"), "\(e)")
        }
        XCTAssertThrowsError(try r.read("layers/nope")) { e in XCTAssertTrue("\(e)".contains("has no dataset /layers/nope")) }
    }
}

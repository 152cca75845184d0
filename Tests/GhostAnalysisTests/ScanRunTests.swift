import Foundation
import GhostAnalysis
import GhostIO
import GhostTestSupport
import XCTest

/// The scan pipeline called as a library: the HDF5 dump and pairs.json agree with the returned report, the Figure-1
/// maps are the chosen image's, and a dump writes only the HDF5 file.
final class ScanRunTests: XCTestCase {
    var checkpoint: String { Fixtures.repoRoot + "/checkpoints/resnet18-fmnist.safetensors" }

    func testScanWritesWhatItReturns() throws {
        let dir = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var c = ScanConfig(checkpointPath: checkpoint)
        (c.images, c.batchSize, c.layers, c.outDir, c.imageIndex) = (12, 5, "layer1.*", dir, 7)
        var batches: [Int] = []
        let r = try ScanRun.run(c) { done, total in batches.append(done); XCTAssertEqual(total, 3) }
        XCTAssertEqual(batches, [1, 2, 3])
        XCTAssertEqual(r.report.layers.map(\.layer), ["layer1.0", "layer1.1"])
        XCTAssertEqual(r.report.gridLayer, "layer1.1")
        XCTAssertEqual(r.written, [dir + "/activations.h5", dir + "/pairs.json", dir + "/report.csv", dir + "/report.md"])
        let back = try ScanReport.read(dir + "/pairs.json")
        XCTAssertEqual(back.layers.map(\.topPairs.count), r.report.layers.map(\.topPairs.count))
        let h5 = try ActivationReader(path: dir + "/activations.h5")
        XCTAssertEqual(try h5.shape("layers/layer1.1"), [12, 64, 28, 28])
        let maps = try XCTUnwrap(r.gridMaps)
        XCTAssertEqual(maps.shape, [64, 28, 28])
        let all = try h5.read("layers/layer1.1", count: 12)
        let per = 64 * 28 * 28
        XCTAssertEqual(Array(UnsafeBufferPointer(start: all.readPointer + 7 * per, count: per)),
                       Array(UnsafeBufferPointer(start: maps.readPointer, count: per)))
    }

    func testDumpOnlyWritesTheHDF5File() throws {
        let dir = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var c = ScanConfig(checkpointPath: checkpoint)
        (c.images, c.layers, c.dumpOnly, c.h5Path) = (4, "fc", true, dir + "/d.h5")
        let r = try ScanRun.run(c)
        XCTAssertEqual(r.written, [dir + "/d.h5"])
        XCTAssertNil(r.gridMaps)
        XCTAssertEqual(try ActivationReader(path: dir + "/d.h5").shape("layers/fc"), [4, 10])
    }

    func testBadSettingsNameTheFlag() throws {
        var c = ScanConfig(checkpointPath: checkpoint)
        c.threshold = 2
        XCTAssertThrowsError(try ScanRun.run(c)) { e in XCTAssertTrue("\(e)".contains("--threshold"), "\(e)") }
        c = ScanConfig(checkpointPath: checkpoint)
        c.layers = "nope"
        XCTAssertThrowsError(try ScanRun.run(c)) { e in XCTAssertTrue("\(e)".contains("unknown layer 'nope'"), "\(e)") }
    }
}

import Foundation
import GhostData
import GhostTestSupport
import XCTest

/// The CIFAR-10/100 binary reader on small files written here in the official record layout.
final class CIFARDatasetTests: XCTestCase {
    var dir = ""
    override func setUp() { dir = Fixtures.temporaryDirectory() }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    /// `count` records; record i has label(s) `labels(i)` and pixel p of plane c equal to (i + 7c + p) mod 256.
    func writeRecords(_ name: String, count: Int, labels: (Int) -> [UInt8]) throws {
        var bytes: [UInt8] = []
        for i in 0..<count {
            bytes += labels(i)
            for c in 0..<3 { for p in 0..<1024 { bytes.append(UInt8((i + 7 * c + p) % 256)) } }
        }
        try Data(bytes).write(to: URL(fileURLWithPath: dir + "/" + name))
    }

    func testCIFAR10ReadsEveryBatchInOrderWithPlanarPixels() throws {
        for b in 1...5 { try writeRecords("data_batch_\(b).bin", count: 2, labels: { i in [UInt8((b * 2 + i) % 10)] }) }
        try writeRecords("test_batch.bin", count: 3, labels: { [UInt8($0)] })
        let train = try ImageDataset.cifar(.cifar10, split: "train", directory: dir)
        XCTAssertEqual(train.images.shape, [10, 3, 32, 32])
        XCTAssertEqual(train.labels, (1...5).flatMap { b in (0..<2).map { (b * 2 + $0) % 10 } })
        XCTAssertEqual(train.classNames, ImageDataset.cifar10Classes)
        let test = try ImageDataset.cifar(.cifar10, split: "test", directory: dir)
        XCTAssertEqual(test.labels, [0, 1, 2])
        // Record 2, green plane (c = 1), row 3, column 5: p = 3·32 + 5.
        let p = 3 * 32 + 5
        XCTAssertEqual(test.images.readPointer[2 * 3072 + 1024 + p], Float((2 + 7 + p) % 256) / 255)
    }

    func testCIFAR100UsesTheFineLabelAndTheNamesFile() throws {
        try writeRecords("test.bin", count: 4, labels: { i in [UInt8(i), UInt8(90 + i)] })
        try (0..<100).map { "fine\($0)" }.joined(separator: "\n").write(toFile: dir + "/fine_label_names.txt", atomically: true, encoding: .utf8)
        let test = try ImageDataset.cifar(.cifar100, split: "test", directory: dir)
        XCTAssertEqual(test.labels, [90, 91, 92, 93])
        XCTAssertEqual(test.classNames[91], "fine91")
    }

    func testTruncatedMissingAndOutOfRangeFilesAreRefusedWithTheirPath() throws {
        XCTAssertThrowsError(try ImageDataset.cifar(.cifar10, split: "test", directory: dir)) {
            XCTAssertTrue("\($0)".contains("test_batch.bin") && "\($0)".contains("no such file"), "\($0)")
        }
        try writeRecords("test_batch.bin", count: 2, labels: { _ in [1] })
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/test_batch.bin"))
        try h.truncate(atOffset: 3073 + 100)
        try h.close()
        XCTAssertThrowsError(try ImageDataset.cifar(.cifar10, split: "test", directory: dir)) {
            XCTAssertTrue("\($0)".contains("truncated"), "\($0)")
        }
        try writeRecords("test_batch.bin", count: 2, labels: { i in [UInt8(i == 1 ? 10 : 0)] })
        XCTAssertThrowsError(try ImageDataset.cifar(.cifar10, split: "test", directory: dir)) {
            XCTAssertTrue("\($0)".contains("record 1: label 10"), "\($0)")
        }
    }

    func testChannelStatisticsMatchAHandComputedMeanAndStd() throws {
        try writeRecords("test_batch.bin", count: 2, labels: { _ in [0] })
        let d = try ImageDataset.cifar(.cifar10, split: "test", directory: dir)
        let stats = d.channelStatistics()
        for c in 0..<3 {
            var values: [Double] = []
            for i in 0..<2 { for p in 0..<1024 { values.append(Double((i + 7 * c + p) % 256) / 255) } }
            let mean: Double = values.reduce(0, +) / Double(values.count)
            var sumSq: Double = 0
            for v in values { sumSq += (v - mean) * (v - mean) }
            let std = (sumSq / Double(values.count)).squareRoot()
            XCTAssertEqual(Double(stats.mean[c]), mean, accuracy: 1e-5)
            XCTAssertEqual(Double(stats.std[c]), std, accuracy: 1e-5)
        }
    }
}

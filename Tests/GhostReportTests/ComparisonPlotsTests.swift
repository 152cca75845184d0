import Foundation
import GhostIO
import GhostModels
import GhostReport
import GhostTestSupport
import GhostTrain
import XCTest

final class ComparisonPlotsTests: XCTestCase {
    func testResultTableReadsMarkdownAndCSVWithUnits() throws {
        let md = """
            Fine-tune budget: 1 epoch.

            | run | model | params | MACs (28²) | test accuracy | forward img/s |
            |---|---|---|---|---|---|
            | original | resnet18 | 11.17 M | 455.8 M | 93.14 % | 210.0 |
            | a-data-driven | ghost-resnet18 | 5.62 M | 230.1 M | 92.69 % | 300.5 |
            """
        let t = try ResultTable(text: md, source: "ablation.md")
        XCTAssertEqual(t.rows.count, 2)
        XCTAssertEqual(t.column("macs"), 3)
        XCTAssertEqual(t.column("accuracy"), 4)
        XCTAssertEqual(t.rows[1][0], "a-data-driven")
        XCTAssertEqual(ResultTable.number(t.rows[1][3])!, 230.1e6, accuracy: 1)
        XCTAssertEqual(ResultTable.number(t.rows[1][4])!, 0.9269, accuracy: 1e-9)
        let csv = try ResultTable(text: "model,macs,accuracy\nr18,455800000,0.9314\n", source: "t.csv")
        XCTAssertEqual(csv.rows, [["r18", "455800000", "0.9314"]])
        XCTAssertThrowsError(try ResultTable(text: "just a sentence", source: "x.md")) {
            XCTAssertTrue("\($0)".contains("x.md"))
        }
    }

    func testMetricsRoundTripThroughCSVAndJSON() throws {
        let dir = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let h = [
            EpochRecord(epoch: 1, trainLoss: 0.9, trainAccuracy: 0.8, testLoss: 0.5, testAccuracy: 0.85, seconds: 12.5),
            EpochRecord(epoch: 2, trainLoss: 0.7, trainAccuracy: 0.9, testLoss: 0.4, testAccuracy: 0.9, seconds: 11),
        ]
        try EpochRecord.write(h, csv: dir + "/m.csv", json: dir + "/m.json")
        for path in [dir + "/m.csv", dir + "/m.json"] {
            let back = try EpochRecord.read(path)
            XCTAssertEqual(back.map(\.epoch), [1, 2])
            XCTAssertEqual(back.map(\.testAccuracy), [0.85, 0.9])
        }
        try "a,b\n1,2\n".write(toFile: dir + "/bad.csv", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try EpochRecord.read(dir + "/bad.csv")) {
            XCTAssertTrue("\($0)".contains("not a metrics CSV"), "\($0)")
        }
    }

    /// Each model's marker is drawn in its own colour, inside the data box with room to spare (never on the
    /// frame), its legend row shows the same marker without a line, and the test-set size is written.
    func testTradeoffMarkersMatchTheLegendAndStayOffTheFrame() throws {
        let points = [("ResNet-18", 455.8e6, 0.9314), ("Ghost", 230.1e6, 0.9269), ("tiny", 10e6, 0.85)]
        let plot = ComparisonPlots.tradeoffPlot(points, title: "t", testImages: 2000)
        let (layout, axes) = Canvas.measuring { plot.layout($0, in: Rect(x: 0, y: 0, width: 760, height: 440)) }
        for (_, macs, acc) in points {
            let (x, y) = (axes.px(macs / 1e6), axes.py(100 * acc))
            XCTAssertTrue(
                x > axes.box.minX + 8 && x < axes.box.maxX - 8 && y > axes.box.minY + 8 && y < axes.box.maxY - 8,
                "(\(x), \(y)) too close to the frame \(axes.box)")
        }
        XCTAssertFalse(layout.legend!.intersects(layout.box))
        XCTAssertEqual(plot.legendEntries.map(\.line), [false, false, false], "markers only, as plotted")
        XCTAssertEqual(plot.legendEntries.map(\.marker), plot.series.map(\.marker))
        XCTAssertEqual(Set(plot.series.compactMap(\.marker)).count, 3, "one shape per model")
        XCTAssertTrue(plot.notes.joined().contains("2000 test images"))
        let img = plot.render().raster()
        for c in Color.palette.prefix(3) {
            var n = 0
            for i in stride(from: 0, to: img.rgb.count, by: 3)
            where img.rgb[i] == c.r && img.rgb[i + 1] == c.g && img.rgb[i + 2] == c.b {
                n += 1
            }
            XCTAssertGreaterThan(n, 50, "marker + legend marker of \(c)")
        }
    }
}

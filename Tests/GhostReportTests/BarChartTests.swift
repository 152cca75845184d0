import GhostIO
import GhostReport
import XCTest

final class BarChartTests: XCTestCase {
    func testBarsAreDrawnToTheirValue() throws {
        let chart = BarChart(title: "tiny: channels with a ghost partner (r ≥ 0.90)", valueLabel: "fraction of channels",
                             bars: [("layer1.0", 0.25), ("layer1.1", 1.0), ("layer3.2", 0)], valueRange: 0...1)
        let img = chart.render()
        XCTAssertGreaterThan(img.width, 300)
        // Count bar-coloured pixels in each bar's column: the full bar is 4× the quarter bar, the empty one has none.
        func barPixels(_ i: Int) -> Int {
            let x = 110 + 8 + i * 30 + 11
            return (0..<img.height).filter { img.get(x, $0) == chart.color }.count
        }
        XCTAssertEqual(Double(barPixels(1)) / Double(barPixels(0)), 4, accuracy: 0.1)
        XCTAssertEqual(barPixels(2), 0)
        _ = try PNGFile.encode(img)
    }
}

final class RGBImageClippingTests: XCTestCase {
    /// Drawing partly or wholly outside the canvas is clipped (an inverted range used to spin forever
    /// in -Ounchecked builds).
    func testDrawingOutsideTheCanvasIsClipped() {
        var img = RGBImage(width: 20, height: 10)
        img.fill(x: 15, y: -5, w: 30, h: 8, .red)
        img.fill(x: 40, y: 40, w: 5, h: 5, .red)
        img.text("a long caption that runs off the edge", x: 2, y: 2, scale: 2)
        img.verticalText("vertical", x: -3, y: 50)
        XCTAssertEqual(img.get(19, 0), .red)
        XCTAssertEqual(img.get(14, 0) == .red, false)
    }
}

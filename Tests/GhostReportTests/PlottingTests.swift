import Foundation
import GhostAnalysis
import GhostModels
import GhostReport
import GhostTensor
import GhostTestSupport
import GhostTrain
import XCTest

/// The plotting layer: ticks, ranges, layout, and every figure writer's files.
final class PlottingTests: XCTestCase {
    var dir = ""
    override func setUp() { dir = Fixtures.temporaryDirectory() }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func testTicksAtDataValuesOnlyWhenFew() {
        XCTAssertEqual(Ticks.atData([1, 3, 5, 7, 3], range: 0...8), [1, 3, 5, 7], "only the d that exist")
        let many = (1...40).map(Double.init)
        let t = Ticks.atData(many, range: 0...41)
        XCTAssertTrue(t.count < 12 && t.allSatisfy { $0 == $0.rounded() }, "\(t)")
        let nice = Ticks.nice(0, 1)
        XCTAssertEqual(nice.count, 6)
        for (a, b) in zip(nice, [0, 0.2, 0.4, 0.6, 0.8, 1.0]) { XCTAssertEqual(a, b, accuracy: 1e-12) }
        let small = Ticks.nice(0.013, 0.061)
        XCTAssertEqual(small.count, 5)
        for (a, b) in zip(small, [0.02, 0.03, 0.04, 0.05, 0.06]) { XCTAssertEqual(a, b, accuracy: 1e-12) }
    }

    /// The legend never overlaps the data box, and both stay inside the figure, on the right or below.
    func testLegendIsOutsideTheDataBox() {
        let rect = Rect(x: 0, y: 0, width: 760, height: 440)
        for (placement, size) in [
            (PlotLayout.Placement.right, (150.0, 90.0)), (.below, (150, 90)), (.automatic, (400, 60)),
            (.automatic, (120, 200)),
        ] {
            let l = PlotLayout.make(in: rect, notes: 1, yTickWidth: 30, legendSize: size, placement: placement)
            let legend = l.legend!
            XCTAssertFalse(legend.intersects(l.box), "\(placement) \(size): \(legend) overlaps \(l.box)")
            XCTAssertTrue(rect.contains(legend) && rect.contains(l.box), "\(placement): outside the figure")
            if placement == .right { XCTAssertGreaterThan(legend.minX, l.box.maxX) }
            if placement == .below { XCTAssertGreaterThan(legend.minY, l.box.maxY) }
        }
        XCTAssertGreaterThan(
            PlotLayout.make(in: rect, notes: 0, yTickWidth: 30, legendSize: (400, 60)).legend!.minY, 300,
            "a wide legend goes below")
    }

    /// Axes map the padded data range onto the box; every point of a line plot lands strictly inside.
    func testAxesMappingAndPadding() {
        let a = Axes(
            box: Rect(x: 100, y: 50, width: 400, height: 200), xRange: 0...10, yRange: -1...1, xTicks: [], yTicks: [])
        XCTAssertEqual(a.px(0), 100)
        XCTAssertEqual(a.px(10), 500)
        XCTAssertEqual(a.px(5), 300)
        XCTAssertEqual(a.py(-1), 250)
        XCTAssertEqual(a.py(1), 50)
        let plot = LinePlot(
            title: "t", xLabel: "x", yLabel: "y",
            series: [.init(name: "s", points: [(1, 4), (3, 3.3), (5, 3.3), (7, 3.2)], color: .red)])
        let (x, y) = plot.ranges()
        XCTAssertTrue(x.lowerBound < 1 && x.upperBound > 7 && y.lowerBound < 3.2 && y.upperBound > 4, "\(x) \(y)")
    }

    func testLinePlotWritesPNGAndSVGWithItsLabels() throws {
        var plot = LinePlot(
            title: "MSE vs d", xLabel: "kernel size d", yLabel: "MSE",
            series: [
                .init(name: "red pair", points: [(1, 4.0), (3, 3.3), (5, 3.3), (7, 3.2)], color: .red),
                .init(
                    name: "random", points: [(1, 6.0), (3, 5.5), (5, 5.3), (7, 5.1)], color: .gray,
                    marker: .square),
            ])
        plot.integerX = true
        plot.notes = ["note line"]
        let fig = plot.render(width: 600, height: 400)
        try fig.write(to: dir + "/plot.png")
        try assertFigure(
            dir + "/plot", size: (1200, 800),
            labels: [
                "MSE vs d", "kernel size d", "red pair", "random", "note line",
                "1", "3", "5", "7",
            ])
        XCTAssertEqual(plot.xTickValues(plot.ranges().x), [1, 3, 5, 7], "no x tick where there is no d")
    }

    /// Bars reach their value: bar-coloured pixels in each bar's column scale with the value.
    func testBarChartBarsAreDrawnToTheirValue() throws {
        let chart = BarChart(
            title: "tiny: channels with a ghost partner", valueLabel: "fraction of channels",
            bars: [("layer1.0", 0.25), ("layer1.1", 1.0), ("layer3.2", 0)], valueRange: 0...1)
        let fig = chart.render()
        let img = fig.raster(scale: 1)
        let labelH = Canvas.measuring { c in chart.bars.map { c.textWidth($0.label, size: Axes.tickSize) }.max()! }
        let axes = Canvas.measuring { c in
            chart.layout(c, in: Rect(x: 0, y: 0, width: fig.width, height: fig.height), labelHeight: labelH).axes
        }
        func barPixels(_ i: Int) -> Int {
            let x = Int(axes.px(Double(i) + 0.5))
            return (0..<img.height).filter { y in
                let p = (y * img.width + x) * 3
                return img.rgb[p] == chart.color.r && img.rgb[p + 1] == chart.color.g && img.rgb[p + 2] == chart.color.b
            }.count
        }
        XCTAssertEqual(Double(barPixels(1)) / Double(barPixels(0)), 4, accuracy: 0.1)
        XCTAssertEqual(barPixels(2), 0)
        try fig.write(to: dir + "/bars.png")
        try assertFigure(
            dir + "/bars", size: fig.pixelSize, labels: ["layer1.0", "layer3.2", "fraction of channels", "0.25"])
    }

    /// The grid: title, channel indices, scaling key; outlines of neighbouring channels stay apart.
    func testFeatureMapGridLabelsAndDistinctOutlines() throws {
        var rng = SplitMix64(seed: 3)
        let maps = Tensor(gaussian: [16, 7, 7], std: 1, rng: &rng)
        var grid = FeatureMapGrid()
        grid.title = "resnet18 · layer1.1 · test image 0"
        grid.highlights = [(0, .red), (1, .red)]
        let fig = grid.render(maps)
        try fig.write(to: dir + "/grid.png")
        try assertFigure(
            dir + "/grid", size: fig.pixelSize, labels: ["resnet18 · layer1.1", "ch 0", "ch 15", "max", "min"])
        // Between the two outlined neighbours (channels 0 and 1, first row) there is a white gap column.
        let img = fig.raster(scale: 1)
        let row = 100  // through the first row of maps (title 12…37 pt, labels 37…53 pt, maps 53…149 pt)
        let reds = (0..<img.width).map { x -> Bool in
            let p = (row * img.width + x) * 3
            return img.rgb[p] > 180 && img.rgb[p + 1] < 80 && img.rgb[p + 2] < 80
        }
        var runs = 0
        for x in 1..<reds.count where reds[x] && !reds[x - 1] { runs += 1 }
        XCTAssertEqual(runs, 4, "two separate outlines crossing the row (left and right edge each)")
    }

    func testTrainingCurveStartsAtEpochZeroAndNamesTheObjective() throws {
        let h = [
            EpochRecord(epoch: 1, trainLoss: 0.9, trainAccuracy: 0.8, testLoss: 0.5, testAccuracy: 0.85, seconds: 12)
        ]
        let fig = TrainingCurve.render(
            h, title: "ghost-resnet18", objective: .distillation(temperature: 4, weight: 0.5),
            stepLosses: (0..<10).map { (step: $0, loss: 2 - 0.1 * Double($0)) }, stepsPerEpoch: 10,
            start: (testLoss: 1.2, testAccuracy: 0.6), testImages: 10000)
        try fig.write(to: dir + "/curve.png")
        try assertFigure(
            dir + "/curve", size: fig.pixelSize,
            labels: ["distillation", "α = 0.5", "T = 4", "train, per step", "10000", "epoch 0", "0", "1"])
        let plain = TrainingCurve.render(h, title: "r18")
        try plain.write(to: dir + "/plain.png")
        try assertFigure(dir + "/plain", labels: ["training loss: cross-entropy"])
    }

    func testComparisonCurvesAndTradeoffFiles() throws {
        let h = [
            EpochRecord(epoch: 1, trainLoss: 0.9, trainAccuracy: 0.8, testLoss: 0.5, testAccuracy: 0.85, seconds: 1),
            EpochRecord(epoch: 2, trainLoss: 0.7, trainAccuracy: 0.9, testLoss: 0.4, testAccuracy: 0.9, seconds: 1),
        ]
        try ComparisonPlots.curves([("a", h), ("b", h)], title: "runs", testImages: 500).write(to: dir + "/c.png")
        try assertFigure(dir + "/c", labels: ["runs: test accuracy", "a", "b", "500 images"])
        try ComparisonPlots.tradeoff([("r18", 455e6, 0.93)], title: "trade-off", testImages: 2000).write(
            to: dir + "/t.png")
        try assertFigure(dir + "/t", size: (1520, 880), labels: ["r18", "2000 test images", "test accuracy (%)"])
    }

    func testScanAndFitKernelsFigures() throws {
        var rng = SplitMix64(seed: 5)
        let maps = Tensor(gaussian: [8, 9, 9], std: 1, rng: &rng)
        var r = [Float](repeating: 0.1, count: 64)
        for i in 0..<8 { r[i * 8 + i] = 1 }
        r[0 * 8 + 5] = 0.95
        r[5 * 8 + 0] = 0.95
        let layer = LayerRedundancy(
            layer: "layer1.1", correlation: r, channels: 8, threshold: 0.7, topK: 4, nonOverlapping: true)
        let paths = try ScanFigures.write(
            maps: maps, layer: layer, to: dir, model: "resnet18-fmnist", image: 3, label: "Bag")
        XCTAssertTrue(paths.contains(dir + "/figure1.svg") && paths.contains(dir + "/pair-red.pdf"), "\(paths)")
        try assertFigure(
            dir + "/figure1", labels: ["resnet18-fmnist", "layer1.1", "test image 3 (Bag)", "ch 0 ~ ch 5", "ch 7"])
        try assertFigure(dir + "/pair-red", labels: ["ch 0", "ch 5", "r = 0.950"])
        let fit = { (d: Int, mse: Double) in FittedKernel(d: d, kernel: [], bias: 0, mse: mse, r2: 0.5) }
        let pairs = [
            PairFit(
                layer: "layer1.1", a: 0, b: 5, correlation: 0.95, kind: .ghost, label: "red",
                fits: [fit(1, 0.02), fit(3, 0.01)], otherNormalizations: nil),
            PairFit(
                layer: "layer1.1", a: 1, b: 2, correlation: 0.1, kind: .random, label: nil,
                fits: [fit(1, 0.06), fit(3, 0.05)], otherNormalizations: nil),
        ]
        let report = FitKernelsReport(
            model: "resnet18-fmnist", checkpoint: "c", scan: "s", sizes: [1, 3], normalization: .minmax,
            bias: true, images: 64, tableLayer: "layer1.1", pairs: pairs, seconds: 1)
        XCTAssertEqual(FitKernelsFigures.plot(report).xTickValues(0...4), [1, 3], "ticks at the fitted d only")
        _ = try FitKernelsFigures.write(report, to: dir)
        try assertFigure(
            dir + "/mse-vs-d", labels: ["kernel size d", "red pair: ch 0 → ch 5", "median of random pairs"])
        let t = FitKernelsFigures.triplet(
            layer: "layer1.1", source: 0, target: 5,
            maps: (
                [Double](repeating: 0, count: 81),
                [Double](repeating: 1, count: 81), [Double](repeating: 0.5, count: 81)
            ),
            height: 9, width: 9, d: 3, mse: 0.0123)
        try t.write(to: dir + "/triplet-red.png")
        try assertFigure(dir + "/triplet-red", labels: ["source · ch 0", "target · ch 5", "3×3 fit (MSE 12.30×10⁻³)"])
    }

    /// Figure 1 avoids layers whose maps are smaller than 7×7.
    func testFigureLayerPrefersMapsOfAtLeastSevenPixels() {
        let layers = [
            (name: "blocks.0", height: 14, width: 14), (name: "blocks.1", height: 7, width: 7),
            (name: "blocks.2", height: 2, width: 2),
        ]
        XCTAssertEqual(ScanFigures.figureLayer(preferred: "blocks.2", layers: layers), "blocks.1")
        XCTAssertEqual(ScanFigures.figureLayer(preferred: "blocks.0", layers: layers), "blocks.0")
        XCTAssertEqual(ScanFigures.figureLayer(preferred: nil, layers: [("a", 2, 2), ("b", 4, 4)]), "b")
    }
}

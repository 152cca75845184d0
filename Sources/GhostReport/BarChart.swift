import Foundation

/// A vertical bar chart: value axis with grid, one bar per category labelled below (rotated when long),
/// optional note lines under the title and an optional reference line.
public struct BarChart {
    public var title: String
    public var valueLabel: String
    public var bars: [(label: String, value: Double)]
    public var valueRange: ClosedRange<Double>
    public var color = Color.palette[0]
    /// Lines under the title.
    public var notes: [String] = []
    /// Print each bar's value above it.
    public var showValues = true
    /// Format of the printed values.
    public var valueFormat: (Double) -> String = { String(format: "%.2f", $0) }

    /// A chart of `bars` on a value axis spanning `valueRange`.
    public init(
        title: String, valueLabel: String, bars: [(label: String, value: Double)], valueRange: ClosedRange<Double>
    ) {
        self.title = title
        self.valueLabel = valueLabel
        self.bars = bars
        self.valueRange = valueRange
    }

    /// The chart as a figure; the width grows with the number of bars.
    public func render(height: Double = 420) -> Figure {
        let labelW = Canvas.measuring { c in bars.map { c.textWidth($0.label, size: Axes.tickSize) }.max() ?? 0 }
        let titleW = Canvas.measuring { c in
            max(
                c.textWidth(title, size: Axes.titleSize, bold: true),
                notes.map { c.textWidth($0, size: Axes.noteSize) }.max() ?? 0)
        }
        let width = max(Double(bars.count) * 30 + 120, titleW + 40, 420)
        return Figure(width: width, height: height + labelW, title: title) { c in
            draw(c, in: Rect(x: 0, y: 0, width: width, height: height + labelW), labelHeight: labelW)
        }
    }

    /// Data box of the chart in `rect` and the bar slot width.
    public func layout(_ c: Canvas, in rect: Rect, labelHeight: Double) -> (layout: PlotLayout, axes: Axes) {
        let ticks = Ticks.nice(valueRange.lowerBound, valueRange.upperBound)
        let tickW = ticks.map { c.textWidth(Ticks.format($0), size: Axes.tickSize) }.max() ?? 0
        let l = PlotLayout.make(
            in: rect, notes: notes.count, yTickWidth: tickW, legendSize: nil,
            lineHeight: labelHeight)
        let n = Double(max(bars.count, 1))
        let axes = Axes(box: l.box, xRange: 0...n, yRange: valueRange, xTicks: [], yTicks: ticks)
        return (l, axes)
    }

    /// Draws the chart inside `rect`; `labelHeight` is the room kept for the rotated category labels.
    public func draw(_ c: Canvas, in rect: Rect, labelHeight: Double) {
        let (l, axes) = layout(c, in: rect, labelHeight: labelHeight)
        c.text(title, x: rect.midX, y: l.titleY, size: Axes.titleSize, bold: true, align: .middle, baseline: .top)
        for (note, y) in zip(notes, l.notesY) {
            c.text(note, x: rect.midX, y: y, size: Axes.noteSize, align: .middle, baseline: .top, color: .darkGray)
        }
        axes.drawFrame(c, xLabel: "", yLabel: valueLabel, yLabelX: l.yLabelX)
        let (lo, hi) = (valueRange.lowerBound, valueRange.upperBound)
        for (i, bar) in bars.enumerated() {
            let x0 = axes.px(Double(i) + 0.15)
            let x1 = axes.px(Double(i) + 0.85)
            let v = min(max(bar.value, lo), hi)
            if v > lo {
                c.fill(Rect(x: x0, y: axes.py(v), width: x1 - x0, height: axes.py(lo) - axes.py(v)), color: color)
            }
            if showValues && bar.value.isFinite {
                c.text(
                    valueFormat(bar.value), x: (x0 + x1) / 2, y: axes.py(v) - 3, size: 7.5, align: .middle,
                    baseline: .bottom, color: .darkGray)
            }
            c.text(
                bar.label, x: (x0 + x1) / 2, y: axes.box.maxY + 5, size: Axes.tickSize, align: .end,
                baseline: .middle, angle: -Double.pi / 2)
        }
        c.stroke(axes.box, width: 0.9)
    }
}

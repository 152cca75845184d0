

/// A vertical bar chart with value axis, grid, rotated category labels and a title.
public struct BarChart {
    public var title: String
    public var valueLabel: String
    public var bars: [(label: String, value: Double)]
    public var valueRange: ClosedRange<Double>
    public var color = RGBImage.Color.palette[0]

    public init(title: String, valueLabel: String, bars: [(label: String, value: Double)], valueRange: ClosedRange<Double>) {
        self.title = title; self.valueLabel = valueLabel; self.bars = bars; self.valueRange = valueRange
    }

    public func render(height: Int = 560) -> RGBImage {
        let s = 2
        let labelSpace = (bars.map { $0.label.count }.max() ?? 1) * BitmapFont.advance * s + 16
        let barW = 22, gap = 8
        let left = 110, top = 30 + BitmapFont.lineHeight * s
        let plotW = max(bars.count * (barW + gap) + gap, 300)
        let width = max(left + plotW + 30, RGBImage.textWidth(title, scale: s) + 16)
        let bottom = height - labelSpace
        var img = RGBImage(width: width, height: height + 0)
        img.text(title, x: max(4, (width - RGBImage.textWidth(title, scale: s)) / 2), y: 8, scale: s)
        let (lo, hi) = (valueRange.lowerBound, valueRange.upperBound)
        func py(_ v: Double) -> Int { bottom - Int(((v - lo) / (hi - lo) * Double(bottom - top)).rounded()) }
        for t in LinePlot.ticks(lo, hi) {
            img.fill(x: left, y: py(t), w: plotW, h: 1, .lightGray)
            let l = LinePlot.format(t)
            img.text(l, x: left - 8 - RGBImage.textWidth(l, scale: s), y: py(t) - 7, scale: s)
        }
        for (i, bar) in bars.enumerated() {
            let x = left + gap + i * (barW + gap)
            let y = py(max(lo, min(hi, bar.value)))
            img.fill(x: x, y: y, w: barW, h: bottom - y, color)
            img.verticalText(bar.label, x: x + 3, y: bottom + 8 + RGBImage.textWidth(bar.label, scale: s), scale: s)
        }
        img.outline(x: left, y: top, w: plotW, h: bottom - top + 1, .black)
        img.verticalText(valueLabel, x: 8, y: (top + bottom + RGBImage.textWidth(valueLabel, scale: s)) / 2, scale: s)
        return img
    }
}

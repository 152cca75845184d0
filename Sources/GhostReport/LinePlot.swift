import Foundation

/// A line or scatter chart: axes with ticks at data values where there are few, each series with its own
/// colour and marker, the legend outside the data box, and optional note lines under the title.
public struct LinePlot {
    /// One data series.
    public struct Series {
        public var name: String
        public var points: [(x: Double, y: Double)]
        public var color: Color
        /// Text drawn beside each point (scatter plots of named runs), or nil.
        public var labels: [String]?
        /// Join the points with a line (false: markers only).
        public var connected: Bool
        /// Marker at every point (nil: none; `LinePlot` default: by series index).
        public var marker: Marker?
        /// Dash pattern of the line (empty: solid).
        public var dash: [Double]

        /// A series; `marker` nil draws the line without markers.
        public init(
            name: String, points: [(x: Double, y: Double)], color: Color, labels: [String]? = nil,
            connected: Bool = true, marker: Marker? = .circle, dash: [Double] = []
        ) {
            self.name = name
            self.points = points
            self.color = color
            self.labels = labels
            self.connected = connected
            self.marker = marker
            self.dash = dash
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    /// Lines under the title (test-set size, units, what the curves are).
    public var notes: [String] = []
    /// Fixed y range (else from the data, padded).
    public var yRange: ClosedRange<Double>?
    /// Ticks at the data's x values when there are few of them, else at integers (epochs, kernel sizes).
    public var integerX = false
    /// Explicit x ticks (overrides `integerX`).
    public var xTicks: [Double]?
    /// Legend position (always outside the data box).
    public var legend = PlotLayout.Placement.automatic
    /// Room kept at least for the y tick labels and the legend, so stacked panels share their data box edges.
    public var minTickWidth = 0.0, minLegendWidth = 0.0

    /// A chart of `series` with a title and axis labels.
    public init(title: String, xLabel: String, yLabel: String, series: [Series]) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
    }

    /// The chart as a stand-alone figure of `width`×`height` points.
    public func render(width: Double = 760, height: Double = 440) -> Figure {
        Figure(width: width, height: height, title: title) { c in
            draw(c, in: Rect(x: 0, y: 0, width: width, height: height))
        }
    }

    /// The data ranges, padded so that no marker sits on the frame.
    public func ranges() -> (x: ClosedRange<Double>, y: ClosedRange<Double>) {
        let pts = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite }
        let xs = pts.map(\.x)
        let distinct = Set(xs).count
        let x = Axes.padded(
            xs, fraction: distinct <= 12 && distinct > 1 ? 0.5 / Double(distinct - 1) * 0.6 : 0.05,
            fallback: 1)
        return (x, yRange ?? Axes.padded(pts.map(\.y), fraction: 0.08, fallback: 0.5))
    }

    /// The x tick values.
    public func xTickValues(_ range: ClosedRange<Double>) -> [Double] {
        if let xTicks { return xTicks }
        let xs = series.flatMap(\.points).map(\.x)
        if integerX { return Ticks.atData(xs, range: range) }
        return Ticks.nice(range.lowerBound, range.upperBound)
    }

    /// The legend rows, drawn as the series are.
    public var legendEntries: [Legend.Entry] {
        series.map { .init(name: $0.name, color: $0.color, marker: $0.marker, line: $0.connected, dash: $0.dash) }
    }

    /// Layout of this chart in `rect` (needs a canvas to measure text).
    public func layout(_ c: Canvas, in rect: Rect) -> (layout: PlotLayout, axes: Axes) {
        let (xr, yr) = ranges()
        let yTicks = Ticks.nice(yr.lowerBound, yr.upperBound)
        let tickW = max(minTickWidth, yTicks.map { c.textWidth(Ticks.format($0), size: Axes.tickSize) }.max() ?? 0)
        let legend = Legend(entries: series.count > 1 || series.first?.name.isEmpty == false ? legendEntries : [])
        var size = legend.size(c)
        if size.width > 0 { size.width = max(size.width, minLegendWidth) }
        let l = PlotLayout.make(
            in: rect, notes: notes.count, yTickWidth: tickW, legendSize: size,
            placement: legend.entries.isEmpty ? .automatic : self.legend,
            lineHeight: c.lineHeight(Axes.tickSize))
        return (l, Axes(box: l.box, xRange: xr, yRange: yr, xTicks: xTickValues(xr), yTicks: yTicks))
    }

    /// Width of the y tick labels and of the legend box (to align stacked panels).
    public func measure(_ c: Canvas) -> (tickWidth: Double, legendWidth: Double) {
        let yr = ranges().y
        let tickW =
            Ticks.nice(yr.lowerBound, yr.upperBound).map { c.textWidth(Ticks.format($0), size: Axes.tickSize) }.max()
            ?? 0
        let legend = Legend(entries: series.count > 1 || series.first?.name.isEmpty == false ? legendEntries : [])
        return (tickW, legend.size(c).width)
    }

    /// `panels` drawn one above the other in `rect`, their data boxes sharing left and right edges.
    public static func stacked(_ panels: [LinePlot], _ c: Canvas, in rect: Rect) {
        let m = panels.map { $0.measure(c) }
        let h = rect.height / Double(max(panels.count, 1))
        for (i, var p) in panels.enumerated() {
            p.minTickWidth = m.map(\.tickWidth).max() ?? 0
            p.minLegendWidth = m.map(\.legendWidth).max() ?? 0
            p.draw(c, in: Rect(x: rect.x, y: rect.y + Double(i) * h, width: rect.width, height: h))
        }
    }

    /// Draws the chart inside `rect`.
    public func draw(_ c: Canvas, in rect: Rect) {
        let (l, axes) = layout(c, in: rect)
        c.text(title, x: l.box.midX, y: l.titleY, size: Axes.titleSize, bold: true, align: .middle, baseline: .top)
        for (note, y) in zip(notes, l.notesY) {
            c.text(note, x: l.box.midX, y: y, size: Axes.noteSize, align: .middle, baseline: .top, color: .darkGray)
        }
        axes.drawFrame(c, xLabel: xLabel, yLabel: yLabel, yLabelX: l.yLabelX)
        c.clipped(to: axes.box) {
            for s in series {
                let p = s.points.filter { $0.x.isFinite && $0.y.isFinite }.map { (axes.px($0.x), axes.py($0.y)) }
                if s.connected && p.count > 1 { c.polyline(p, width: 1.8, color: s.color, dash: s.dash) }
                if let m = s.marker {
                    for q in p { c.marker(m, x: q.0, y: q.1, size: s.connected ? 6 : 9, color: s.color) }
                }
            }
            for s in series {
                guard let labels = s.labels else { continue }
                for (q, label) in zip(s.points, labels) where q.x.isFinite && q.y.isFinite {
                    let (x, y) = (axes.px(q.x), axes.py(q.y))
                    let w = c.textWidth(label, size: Axes.tickSize)
                    let flip = x + 9 + w > axes.box.maxX - 2
                    c.text(
                        label, x: flip ? x - 9 : x + 9, y: y, size: Axes.tickSize, align: flip ? .end : .start,
                        baseline: .middle, color: .darkGray)
                }
            }
        }
        let legend = Legend(entries: series.count > 1 || series.first?.name.isEmpty == false ? legendEntries : [])
        if let r = l.legend { legend.draw(c, x: r.x, y: r.y) }
    }
}

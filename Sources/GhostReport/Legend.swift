/// A plot legend: one row per series with a swatch drawn exactly as the series is (line and/or the same
/// marker), placed outside the data box by `PlotLayout`.
public struct Legend {
    /// One legend row.
    public struct Entry {
        public var name: String
        public var color: Color
        /// The series' marker (nil: none).
        public var marker: Marker?
        /// The series is drawn as a line (false: markers only).
        public var line: Bool
        public var dash: [Double]
        /// A legend row; draw it with the same style as its series.
        public init(name: String, color: Color, marker: Marker?, line: Bool, dash: [Double] = []) {
            self.name = name
            self.color = color
            self.marker = marker
            self.line = line
            self.dash = dash
        }
    }

    public var entries: [Entry]
    /// Font size and row height (points).
    public static let textSize = 10.0, rowHeight = 16.0, swatchWidth = 26.0, padding = 7.0

    /// A legend listing `entries` top to bottom.
    public init(entries: [Entry]) { self.entries = entries }

    /// Width and height of the legend box.
    public func size(_ c: Canvas) -> (width: Double, height: Double) {
        guard !entries.isEmpty else { return (0, 0) }
        let text = entries.map { c.textWidth($0.name, size: Self.textSize) }.max() ?? 0
        return (
            2 * Self.padding + Self.swatchWidth + 6 + text,
            2 * Self.padding + Double(entries.count) * Self.rowHeight - 4
        )
    }

    /// Draws the legend with its top-left corner at (x, y).
    public func draw(_ c: Canvas, x: Double, y: Double) {
        guard !entries.isEmpty else { return }
        let (w, h) = size(c)
        c.fill(Rect(x: x, y: y, width: w, height: h), color: .white)
        c.stroke(Rect(x: x, y: y, width: w, height: h), width: 0.6, color: .gray)
        for (i, e) in entries.enumerated() {
            let cy = y + Self.padding + (Double(i) + 0.5) * Self.rowHeight - 2
            let sx = x + Self.padding
            if e.line { c.line(sx, cy, sx + Self.swatchWidth, cy, width: 1.8, color: e.color, dash: e.dash) }
            if let m = e.marker { c.marker(m, x: sx + Self.swatchWidth / 2, y: cy, size: 7, color: e.color) }
            c.text(e.name, x: sx + Self.swatchWidth + 6, y: cy, size: Self.textSize, baseline: .middle)
        }
    }
}

/// Where a chart's pieces go inside its rectangle: title, data box, y-label column and the legend,
/// which always sits outside the data box (to its right, or below the x-axis label when it is wide).
public struct PlotLayout: Equatable {
    /// The data box.
    public var box: Rect
    /// The legend box (nil: no legend).
    public var legend: Rect?
    /// Baseline-top y of the title and of each note line.
    public var titleY: Double, notesY: [Double]
    /// x of the (rotated) y-axis label.
    public var yLabelX: Double

    /// Legend position relative to the data box.
    public enum Placement: Sendable { case right, below, automatic }

    /// Layout of a chart in `rect`: `notes` lines under the title, y tick labels up to `yTickWidth` wide,
    /// a legend of `legendSize` (nil: none) placed per `placement` (automatic: right unless wider than 38 %).
    public static func make(
        in rect: Rect, notes: Int, yTickWidth: Double, legendSize: (width: Double, height: Double)?,
        placement: Placement = .automatic, lineHeight: Double = 13
    ) -> PlotLayout {
        let titleY = rect.minY + 8
        let notesY = (0..<notes).map { titleY + Axes.titleSize * 1.35 + Double($0) * Axes.noteSize * 1.35 }
        let top = (notesY.last.map { $0 + Axes.noteSize * 1.35 } ?? titleY + Axes.titleSize * 1.35) + 10
        let yLabelX = rect.minX + 6
        let left = yLabelX + Axes.labelSize * 1.3 + 8 + yTickWidth + 8
        var right = rect.maxX - 14
        var bottom = rect.maxY - (6 + lineHeight + 8 + Axes.labelSize * 1.3 + 8)
        var legend: Rect?
        if let (lw, lh) = legendSize, lw > 0 {
            let below = placement == .below || (placement == .automatic && lw > 0.38 * rect.width)
            if below {
                bottom -= lh + 10
                legend = Rect(
                    x: max(left, (left + right - lw) / 2), y: bottom + 6 + lineHeight + 8 + Axes.labelSize * 1.3 + 10,
                    width: lw, height: lh)
            } else {
                right -= lw + 14
                legend = Rect(x: right + 14, y: top, width: lw, height: lh)
            }
        }
        let box = Rect(x: left, y: top, width: max(right - left, 10), height: max(bottom - top, 10))
        return PlotLayout(box: box, legend: legend, titleY: titleY, notesY: notesY, yLabelX: yLabelX)
    }
}

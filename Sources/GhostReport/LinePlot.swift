import Foundation

/// A line chart with axes, ticks, grid, axis labels, title and legend, drawn into an `RGBImage`.
public struct LinePlot {
    public struct Series {
        public var name: String
        public var points: [(x: Double, y: Double)]
        public var color: RGBImage.Color
        /// Text drawn beside each point (scatter plots of named runs), or nil.
        public var labels: [String]?
        /// Join the points with a line (false: markers only).
        public var connected = true
        public init(name: String, points: [(x: Double, y: Double)], color: RGBImage.Color,
                    labels: [String]? = nil, connected: Bool = true) {
            self.name = name; self.points = points; self.color = color; self.labels = labels; self.connected = connected
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    /// Fixed y range (else from the data, padded).
    public var yRange: ClosedRange<Double>?
    /// Draw x ticks only at integer values (epochs, kernel sizes).
    public var integerX = false
    /// Where the legend goes: inside the axes at the top or bottom right, or under the axes (many entries).
    public enum LegendPlacement { case topRight, bottomRight, below }
    public var legend = LegendPlacement.topRight

    public init(title: String, xLabel: String, yLabel: String, series: [Series]) {
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel; self.series = series
    }

    /// Renders the plot as a stand-alone image.
    public func render(width: Int = 800, height: Int = 500) -> RGBImage {
        var img = RGBImage(width: width, height: height)
        draw(into: &img, x: 0, y: 0, width: width, height: height)
        return img
    }

    /// Draws the plot inside the given rectangle of `img`.
    public func draw(into img: inout RGBImage, x: Int, y: Int, width: Int, height: Int) {
        let s = 2  // font scale
        let left = x + 20 + 8 * BitmapFont.advance * s / 2 + 20, right = x + width - 20
        let legendBelow = legend == .below
        let legendRows = legendBelow ? series.count : 0
        let top = y + 16 + BitmapFont.lineHeight * s
        let bottom = y + height - 20 - 2 * BitmapFont.lineHeight * s - legendRows * (BitmapFont.lineHeight * s + 6) - (legendBelow ? 16 : 0)
        img.text(title, x: x + (width - RGBImage.textWidth(title, scale: s)) / 2, y: y + 8, scale: s)
        let pts = series.flatMap { $0.points }.filter { $0.x.isFinite && $0.y.isFinite }
        guard !pts.isEmpty, right - left > 20, bottom - top > 20 else { return }
        var (x0, x1) = (pts.map(\.x).min()!, pts.map(\.x).max()!)
        if x1 == x0 { x0 -= 1; x1 += 1 }
        let xpad = 0.04 * (x1 - x0)
        x0 -= xpad; x1 += xpad
        var yr: ClosedRange<Double>
        if let r = yRange { yr = r } else {
            let (lo, hi) = (pts.map(\.y).min()!, pts.map(\.y).max()!)
            let pad = hi > lo ? 0.06 * (hi - lo) : max(abs(hi) * 0.1, 1e-3)
            yr = (lo - pad)...(hi + pad)
        }
        func px(_ v: Double) -> Int { left + Int(((v - x0) / (x1 - x0) * Double(right - left)).rounded()) }
        func py(_ v: Double) -> Int { bottom - Int(((v - yr.lowerBound) / (yr.upperBound - yr.lowerBound) * Double(bottom - top)).rounded()) }
        // Grid and ticks.
        for t in Self.ticks(yr.lowerBound, yr.upperBound) {
            let yy = py(t)
            img.fill(x: left, y: yy, w: right - left, h: 1, .lightGray)
            let label = Self.format(t)
            img.text(label, x: left - 8 - RGBImage.textWidth(label, scale: s), y: yy - 7, scale: s)
        }
        let xt = integerX ? Self.integerTicks(x0, x1) : Self.ticks(x0, x1)
        for t in xt {
            let xx = px(t)
            img.fill(x: xx, y: top, w: 1, h: bottom - top, .lightGray)
            let label = Self.format(t)
            img.text(label, x: xx - RGBImage.textWidth(label, scale: s) / 2, y: bottom + 6, scale: s)
        }
        img.outline(x: left, y: top, w: right - left + 1, h: bottom - top + 1, .black)
        img.text(xLabel, x: (left + right - RGBImage.textWidth(xLabel, scale: s)) / 2, y: bottom + 8 + BitmapFont.lineHeight * s, scale: s)
        img.verticalText(yLabel, x: x + 8, y: (top + bottom + RGBImage.textWidth(yLabel, scale: s)) / 2, scale: s)
        // Lines with point markers.
        for sr in series {
            let p = sr.points.filter { $0.x.isFinite && $0.y.isFinite }
            if sr.connected { for (a, b) in zip(p, p.dropFirst()) { img.line(px(a.x), py(a.y), px(b.x), py(b.y), thickness: 3, sr.color) } }
            let r = sr.connected ? 3 : 5
            for q in p { img.fill(x: px(q.x) - r, y: py(q.y) - r, w: 2 * r + 1, h: 2 * r + 1, sr.color) }
            guard let labels = sr.labels else { continue }
            for (q, label) in zip(sr.points, labels) where q.x.isFinite && q.y.isFinite {
                // Beside the marker, flipped to the left near the right edge.
                let tw = RGBImage.textWidth(label, scale: s), xx = px(q.x)
                img.text(label, x: xx + 10 + tw > right ? xx - 10 - tw : xx + 10, y: py(q.y) - BitmapFont.lineHeight * s / 2, scale: s)
            }
        }
        // Legend (top right inside the axes, or under them).
        let legendW = (series.map { RGBImage.textWidth($0.name, scale: s) }.max() ?? 0) + 40
        let legendH = series.count * (BitmapFont.lineHeight * s + 6) + 8
        var ly = legendBelow ? bottom + 24 + 2 * BitmapFont.lineHeight * s : legend == .bottomRight ? bottom - legendH - 2 : top + 8
        let lx = legendBelow ? left : right - legendW - 8
        img.fill(x: lx - 6, y: ly - 6, w: legendW + 12, h: series.count * (BitmapFont.lineHeight * s + 6) + 8, .white)
        img.outline(x: lx - 6, y: ly - 6, w: legendW + 12, h: series.count * (BitmapFont.lineHeight * s + 6) + 8, .gray)
        for sr in series {
            img.fill(x: lx, y: ly + 6, w: 24, h: 4, sr.color)
            img.text(sr.name, x: lx + 32, y: ly, scale: s)
            ly += BitmapFont.lineHeight * s + 6
        }
    }

    /// About five "nice" tick values (1, 2, 5 × 10ᵏ steps) covering [lo, hi].
    public static func ticks(_ lo: Double, _ hi: Double) -> [Double] {
        let raw = (hi - lo) / 5
        guard raw > 0, raw.isFinite else { return [lo] }
        let mag = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * mag }.first { $0 >= raw } ?? 10 * mag
        var out: [Double] = []
        var t = ceil(lo / step) * step
        while t <= hi + step * 1e-9 { out.append(abs(t) < step * 1e-9 ? 0 : t); t += step }
        return out
    }

    static func integerTicks(_ lo: Double, _ hi: Double) -> [Double] {
        let step = max(1, Int(ceil((hi - lo) / 10)))
        return stride(from: Int(ceil(lo)), through: Int(floor(hi)), by: step).map(Double.init)
    }

    public static func format(_ v: Double) -> String {
        if v == v.rounded() && abs(v) < 1e6 { return String(Int(v)) }
        let a = abs(v)
        if a >= 0.01 && a < 1e4 { return String(format: "%.3g", v) }
        return String(format: "%.1e", v)
    }
}

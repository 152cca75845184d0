import Foundation

/// The plotting layer every chart uses: a data box in figure points, the data ranges it shows, the tick
/// values, and the data-to-point mapping; plus drawing of the frame, grid, ticks and axis labels.
public struct Axes {
    /// The data box (figure points).
    public var box: Rect
    /// Data ranges shown (already padded so no point sits on the frame).
    public var xRange: ClosedRange<Double>, yRange: ClosedRange<Double>
    /// Tick values in data units.
    public var xTicks: [Double], yTicks: [Double]

    /// Axes over `box` for the given ranges and ticks.
    public init(box: Rect, xRange: ClosedRange<Double>, yRange: ClosedRange<Double>, xTicks: [Double], yTicks: [Double])
    {
        self.box = box
        self.xRange = xRange
        self.yRange = yRange
        self.xTicks = xTicks
        self.yTicks = yTicks
    }

    /// Figure x of data x.
    public func px(_ v: Double) -> Double {
        box.minX + (v - xRange.lowerBound) / (xRange.upperBound - xRange.lowerBound) * box.width
    }

    /// Figure y of data y (up is larger).
    public func py(_ v: Double) -> Double {
        box.maxY - (v - yRange.lowerBound) / (yRange.upperBound - yRange.lowerBound) * box.height
    }

    /// Grid lines, frame, tick labels and axis labels.
    public func drawFrame(
        _ c: Canvas, xLabel: String, yLabel: String, yLabelX: Double,
        xFormat: (Double) -> String = Ticks.format, yFormat: (Double) -> String = Ticks.format
    ) {
        for t in yTicks {
            c.line(box.minX, py(t), box.maxX, py(t), width: 0.6, color: .lightGray)
            c.line(box.minX - 4, py(t), box.minX, py(t), width: 0.8)
            c.text(yFormat(t), x: box.minX - 6, y: py(t), size: Axes.tickSize, align: .end, baseline: .middle)
        }
        for t in xTicks {
            c.line(px(t), box.minY, px(t), box.maxY, width: 0.6, color: .lightGray)
            c.line(px(t), box.maxY, px(t), box.maxY + 4, width: 0.8)
            c.text(xFormat(t), x: px(t), y: box.maxY + 6, size: Axes.tickSize, align: .middle, baseline: .top)
        }
        c.stroke(box, width: 0.9)
        c.text(
            xLabel, x: box.midX, y: box.maxY + 8 + c.lineHeight(Axes.tickSize), size: Axes.labelSize,
            align: .middle, baseline: .top)
        c.text(
            yLabel, x: yLabelX, y: box.midY, size: Axes.labelSize, align: .middle, baseline: .top, angle: -Double.pi / 2
        )
    }

    /// Font sizes (points) of tick labels, axis labels and titles.
    public static let tickSize = 10.0, labelSize = 11.5, titleSize = 13.5, noteSize = 10.0

    /// `values`' range widened by `fraction` of its span on both sides (a single value: ±`fallback`).
    public static func padded(_ values: [Double], fraction: Double = 0.06, fallback: Double = 1) -> ClosedRange<Double>
    {
        let finite = values.filter(\.isFinite)
        guard let lo = finite.min(), let hi = finite.max() else { return 0...1 }
        if hi == lo {
            let f = lo == 0 ? fallback : max(abs(lo) * 0.1, 1e-9)
            return (lo - f)...(hi + f)
        }
        let p = (hi - lo) * fraction
        return (lo - p)...(hi + p)
    }
}

/// Tick values and their labels.
public enum Ticks {
    /// About `target` "nice" values (1, 2, 5 × 10ᵏ steps) inside [lo, hi].
    public static func nice(_ lo: Double, _ hi: Double, target: Int = 5) -> [Double] {
        let raw = (hi - lo) / Double(max(target, 1))
        guard raw > 0, raw.isFinite else { return [lo] }
        let mag = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 2.5, 5, 10].map { $0 * mag }.first { $0 >= raw } ?? 10 * mag
        var out: [Double] = []
        var t = ceil(lo / step - 1e-9) * step
        while t <= hi + step * 1e-9 {
            out.append(abs(t) < step * 1e-9 ? 0 : t)
            t += step
        }
        return out
    }

    /// Ticks at the data's own x values when there are at most `limit` distinct ones (kernel sizes d,
    /// epochs of a short run); else integer-valued nice ticks for integer data, nice ticks otherwise.
    public static func atData(_ values: [Double], range: ClosedRange<Double>, limit: Int = 12) -> [Double] {
        let distinct = Array(Set(values.filter(\.isFinite))).sorted()
        if !distinct.isEmpty && distinct.count <= limit { return distinct }
        let ticks = nice(range.lowerBound, range.upperBound)
        if distinct.allSatisfy({ $0 == $0.rounded() }) { return ticks.filter { $0 == $0.rounded() } }
        return ticks
    }

    /// Short label: integers plainly, else three significant digits, else scientific.
    public static func format(_ v: Double) -> String {
        if v == v.rounded() && abs(v) < 1e6 { return String(Int(v)) }
        let a = abs(v)
        if a >= 0.01 && a < 1e4 { return String(format: "%.3g", v) }
        return String(format: "%.1e", v)
    }
}

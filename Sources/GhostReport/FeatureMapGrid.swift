import Foundation
import GhostTensor

/// Feature maps of one image laid out as a grid (torchvision's make_grid for activations) with a title,
/// the channel index above every map, a colour bar stating the scaling, and optional outlines around chosen
/// channels drawn in the gaps between cells so neighbouring outlines stay distinct.
public struct FeatureMapGrid {
    /// How map values become grey levels.
    public enum Normalization: String, Sendable, CaseIterable {
        case perMap = "per-map"
        case global
    }
    /// Grey ramp or black-red-yellow-white heat ramp.
    public enum ColorMap: String, Sendable, CaseIterable { case gray, heat }

    public var columns: Int?
    /// Points per map pixel (nil: chosen so the grid is about 760 points wide, maps 26 to 96 points).
    public var scale: Double?
    /// Gap between cells (points; outlines are drawn inside it).
    public var padding = 8.0
    public var normalization: Normalization = .perMap
    public var colorMap: ColorMap = .gray
    /// Outlines drawn around channels: (channel, colour).
    public var highlights: [(channel: Int, color: Color)] = []
    /// Title (model, layer, image, label) and lines under it (what the outlines mean).
    public var title = ""
    public var notes: [(text: String, color: Color)] = []
    /// Label above each cell (nil: "ch <index>", or "<index>" in dense grids).
    public var cellLabels: [String]?

    /// An untitled grid with default settings.
    public init() {}

    /// Value range used for channel `c` of `maps`.
    static func range(_ maps: Tensor, channel c: Int, global: (Float, Float)?) -> (Float, Float) {
        if let global { return global }
        let n = maps.shape[1] * maps.shape[2]
        let p = maps.readPointer + c * n
        var lo = Float.infinity
        var hi = -Float.infinity
        for i in 0..<n {
            lo = min(lo, p[i])
            hi = max(hi, p[i])
        }
        return (lo, hi)
    }

    /// Renders `maps` [C, H, W].
    public func render(_ maps: Tensor) -> Figure {
        precondition(maps.rank == 3, "expected [C, H, W] maps")
        let (C, H, W) = (maps.shape[0], maps.shape[1], maps.shape[2])
        let cols = max(1, columns ?? Int(Double(C).squareRoot().rounded(.up)))
        let rows = (C + cols - 1) / cols
        let mapW = scale.map { $0 * Double(W) } ?? min(96, max(26, 760 / Double(cols) - padding))
        let mapH = mapW * Double(H) / Double(W)
        let labelSize = mapW < 40 ? 6.5 : 8.5
        let labelH = labelSize * 1.3 + 5
        let cellW = mapW + padding
        let cellH = mapH + padding + labelH
        let barW = 72.0
        let gridW = Double(cols) * cellW + padding
        let titleW = Canvas.measuring { c in
            max(
                c.textWidth(title, size: Axes.titleSize, bold: true),
                notes.map { c.textWidth($0.text, size: Axes.noteSize) }.max() ?? 0)
        }
        let width = max(gridW + barW + 20, titleW + 30)
        let top = 12 + (title.isEmpty ? 0 : Axes.titleSize * 1.4) + Double(notes.count) * Axes.noteSize * 1.4 + 6
        let height = max(top + Double(rows) * cellH + padding + 10, top + 170)
        var global: (Float, Float)?
        if normalization == .global {
            var lo = Float.infinity
            var hi = -Float.infinity
            for i in 0..<maps.count {
                lo = min(lo, maps.readPointer[i])
                hi = max(hi, maps.readPointer[i])
            }
            global = (lo, hi)
        }
        return Figure(width: width, height: height, title: title.isEmpty ? "feature maps" : title) { c in
            var y = 12.0
            if !title.isEmpty {
                c.text(title, x: 14, y: y, size: Axes.titleSize, bold: true, baseline: .top)
                y += Axes.titleSize * 1.4
            }
            for n in notes {
                c.text(n.text, x: 14, y: y, size: Axes.noteSize, baseline: .top, color: n.color)
                y += Axes.noteSize * 1.4
            }
            for ch in 0..<C {
                let x0 = padding + Double(ch % cols) * cellW
                let y0 = top + Double(ch / cols) * cellH
                let label = cellLabels.map { ch < $0.count ? $0[ch] : "" } ?? (cols > 12 ? "\(ch)" : "ch \(ch)")
                c.text(
                    label, x: x0 + mapW / 2, y: y0 + labelSize * 1.05, size: labelSize, align: .middle, color: .darkGray
                )
                let (lo, hi) = Self.range(maps, channel: ch, global: global)
                let rgb = Self.pixels(maps.readPointer + ch * H * W, count: H * W, lo: lo, hi: hi, colorMap)
                c.image(rgb: rgb, width: W, height: H, in: Rect(x: x0, y: y0 + labelH, width: mapW, height: mapH))
            }
            for (ch, color) in highlights where ch >= 0 && ch < C {
                let x0 = padding + Double(ch % cols) * cellW
                let y0 = top + Double(ch / cols) * cellH + labelH
                // Inside this cell's half of the gap, so neighbouring outlines keep a white line between them.
                let w = max(0.8, min(2.2, padding / 2 - 1.5))
                let o = 0.3 + w / 2
                c.stroke(Rect(x: x0 - o, y: y0 - o, width: mapW + 2 * o, height: mapH + 2 * o), width: w, color: color)
            }
            colorBar(
                c, x: gridW + 16, y: top + labelH, height: min(160, max(90, Double(rows) * cellH - labelH)),
                global: global)
        }
    }

    /// The colour key: the ramp with its value range (global scaling) or "min"/"max" of each map.
    func colorBar(_ c: Canvas, x: Double, y: Double, height: Double, global: (Float, Float)?) {
        let steps = 64
        var rgb: [UInt8] = []
        for i in 0..<steps {
            let col = Self.color(1 - Float(i) / Float(steps - 1), colorMap)
            rgb += [col.r, col.g, col.b]
        }
        let bar = Rect(x: x, y: y, width: 12, height: height)
        c.image(rgb: rgb, width: 1, height: steps, in: bar)
        c.stroke(bar, width: 0.6, color: .gray)
        let hi = global.map { Ticks.format(Double($0.1)) } ?? "max"
        let lo = global.map { Ticks.format(Double($0.0)) } ?? "min"
        c.text(hi, x: x + 16, y: y, size: 8.5, baseline: .top)
        c.text(lo, x: x + 16, y: y + height, size: 8.5, baseline: .bottom)
        let what = normalization == .global ? "shared scale" : "each map"
        let how = normalization == .global ? "(all maps)" : "to its min–max"
        c.text(what, x: x, y: y + height + 12, size: 8, baseline: .top, color: .darkGray)
        c.text(how, x: x, y: y + height + 22, size: 8, baseline: .top, color: .darkGray)
    }

    /// RGB bytes of `count` values mapped from [lo, hi] through the colour map.
    static func pixels(_ p: UnsafePointer<Float>, count: Int, lo: Float, hi: Float, _ map: ColorMap) -> [UInt8] {
        let range = hi > lo ? hi - lo : 1
        var out = [UInt8](repeating: 0, count: count * 3)
        for i in 0..<count {
            let col = color((p[i] - lo) / range, map)
            out[3 * i] = col.r
            out[3 * i + 1] = col.g
            out[3 * i + 2] = col.b
        }
        return out
    }

    /// Colour of a value in [0, 1].
    public static func color(_ v: Float, _ map: ColorMap) -> Color {
        let t = v.isFinite ? min(max(v, 0), 1) : 0
        switch map {
        case .gray:
            let g = UInt8((t * 255).rounded())
            return Color(g, g, g)
        case .heat:  // black → red → yellow → white
            let r = UInt8(min(1, t * 3) * 255)
            let g = UInt8(min(1, max(0, t * 3 - 1)) * 255)
            let b = UInt8(min(1, max(0, t * 3 - 2)) * 255)
            return Color(r, g, b)
        }
    }
}

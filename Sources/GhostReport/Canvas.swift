import CCairo
import Foundation

/// The drawing surface every figure paints on: a cairo context plus the few primitives GhostKit's figures
/// need (lines, rectangles, markers, text in DejaVu Sans, nearest-neighbour raster images). Coordinates are
/// figure points, origin top left. Every string drawn is also remembered (`texts`), so the SVG output can
/// list its labels (cairo draws SVG text as glyph outlines).
public final class Canvas {
    /// Horizontal alignment of text at its anchor point.
    public enum Align: Sendable { case start, middle, end }
    /// Vertical alignment of text at its anchor point.
    public enum Baseline: Sendable { case top, middle, alphabetic, bottom }

    let cr: OpaquePointer
    /// Every string drawn so far, in order.
    public private(set) var texts: [String] = []
    /// The font family used for every label.
    public static let fontFamily = "DejaVu Sans"

    init(_ cr: OpaquePointer) {
        self.cr = cr
        cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND)
        cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND)
    }

    /// A canvas on a 1×1 scratch surface, for measuring text outside a drawing (layout tests).
    public static func measuring<T>(_ body: (Canvas) -> T) -> T {
        let s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 1, 1)
        let cr = cairo_create(s)!
        defer {
            cairo_destroy(cr)
            cairo_surface_destroy(s)
        }
        return body(Canvas(cr))
    }

    private func font(_ size: Double, _ bold: Bool) {
        cairo_select_font_face(
            cr, Self.fontFamily, CAIRO_FONT_SLANT_NORMAL,
            bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL)
        cairo_set_font_size(cr, size)
    }

    private func source(_ c: Color) {
        let (r, g, b) = c.unit
        cairo_set_source_rgb(cr, r, g, b)
    }

    /// Advance width of `text` at `size` points.
    public func textWidth(_ text: String, size: Double, bold: Bool = false) -> Double {
        font(size, bold)
        var e = cairo_text_extents_t()
        cairo_text_extents(cr, text, &e)
        return e.x_advance
    }

    /// Draws `text` anchored at (x, y), rotated by `angle` radians (−π/2 reads bottom to top).
    public func text(
        _ text: String, x: Double, y: Double, size: Double = 11, bold: Bool = false,
        align: Align = .start, baseline: Baseline = .alphabetic, angle: Double = 0, color: Color = .black
    ) {
        guard !text.isEmpty else { return }
        texts.append(text)
        font(size, bold)
        var fe = cairo_font_extents_t()
        cairo_font_extents(cr, &fe)
        let w = textWidth(text, size: size, bold: bold)
        let dx: Double = align == .start ? 0 : align == .middle ? -w / 2 : -w
        let dy: Double =
            switch baseline {
            case .alphabetic: 0
            case .top: fe.ascent
            case .middle: (fe.ascent - fe.descent) / 2
            case .bottom: -fe.descent
            }
        cairo_save(cr)
        cairo_translate(cr, x, y)
        cairo_rotate(cr, angle)
        cairo_move_to(cr, dx, dy)
        source(color)
        cairo_show_text(cr, text)
        cairo_restore(cr)
    }

    /// Height of one line of text at `size` (ascent + descent), for layout.
    public func lineHeight(_ size: Double) -> Double {
        font(size, false)
        var fe = cairo_font_extents_t()
        cairo_font_extents(cr, &fe)
        return fe.ascent + fe.descent
    }

    /// A straight line; `dash` gives on/off lengths.
    public func line(
        _ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double, width: Double = 1,
        color: Color = .black, dash: [Double] = []
    ) {
        polyline([(x0, y0), (x1, y1)], width: width, color: color, dash: dash)
    }

    /// Connected line segments through `points`.
    public func polyline(_ points: [(Double, Double)], width: Double = 1.5, color: Color, dash: [Double] = []) {
        guard let first = points.first else { return }
        cairo_move_to(cr, first.0, first.1)
        for p in points.dropFirst() { cairo_line_to(cr, p.0, p.1) }
        stroke(width, color, dash)
    }

    private func stroke(_ width: Double, _ color: Color, _ dash: [Double]) {
        cairo_set_line_width(cr, width)
        cairo_set_dash(cr, dash, Int32(dash.count), 0)
        source(color)
        cairo_stroke(cr)
        cairo_set_dash(cr, nil, 0, 0)
    }

    /// A filled rectangle.
    public func fill(_ r: Rect, color: Color) {
        cairo_rectangle(cr, r.x, r.y, r.width, r.height)
        source(color)
        cairo_fill(cr)
    }

    /// A rectangle outline whose stroke is centred on `r`'s border.
    public func stroke(_ r: Rect, width: Double = 1, color: Color = .black, dash: [Double] = []) {
        cairo_rectangle(cr, r.x, r.y, r.width, r.height)
        stroke(width, color, dash)
    }

    /// A point marker of `shape` centred at (x, y), `size` points across, with a thin dark edge.
    public func marker(_ shape: Marker, x: Double, y: Double, size: Double, color: Color) {
        let h = size / 2
        switch shape {
        case .circle:
            cairo_new_sub_path(cr)
            cairo_arc(cr, x, y, h, 0, 2 * Double.pi)
        case .square: cairo_rectangle(cr, x - h * 0.85, y - h * 0.85, 1.7 * h, 1.7 * h)
        case .diamond: path([(x, y - h * 1.15), (x + h, y), (x, y + h * 1.15), (x - h, y)])
        case .triangle: path([(x, y - h * 1.1), (x + h, y + h * 0.8), (x - h, y + h * 0.8)])
        case .invertedTriangle: path([(x, y + h * 1.1), (x + h, y - h * 0.8), (x - h, y - h * 0.8)])
        case .pentagon:
            path(
                (0..<5).map { k in
                    let a = -Double.pi / 2 + Double(k) * 2 * Double.pi / 5
                    return (x + h * 1.05 * cos(a), y + h * 1.05 * sin(a))
                })
        }
        source(color)
        cairo_fill_preserve(cr)
        cairo_set_line_width(cr, 0.8)
        source(.darkGray)
        cairo_stroke(cr)
    }

    private func path(_ pts: [(Double, Double)]) {
        cairo_move_to(cr, pts[0].0, pts[0].1)
        for p in pts.dropFirst() { cairo_line_to(cr, p.0, p.1) }
        cairo_close_path(cr)
    }

    /// An RGB raster (`width`×`height`, row-major bytes) scaled into `rect` without smoothing. The raster is
    /// first enlarged by whole pixels so that viewers which smooth embedded images (SVG) still show sharp cells.
    public func image(rgb: [UInt8], width: Int, height: Int, in rect: Rect) {
        precondition(rgb.count == width * height * 3, "image needs width × height × 3 bytes")
        let k = max(1, Int((2 * rect.width / Double(width)).rounded(.up)))
        let (w, h) = (width * k, height * k)
        guard let s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, Int32(w), Int32(h)) else { return }
        defer { cairo_surface_destroy(s) }
        cairo_surface_flush(s)
        let stride = Int(cairo_image_surface_get_stride(s))
        guard let base = cairo_image_surface_get_data(s) else { return }
        rgb.withUnsafeBufferPointer { src in
            for y in 0..<h {
                let row = UnsafeMutableRawPointer(base + y * stride).assumingMemoryBound(to: UInt32.self)
                let sy = (y / k) * width
                for x in 0..<w {
                    let i = (sy + x / k) * 3
                    row[x] = UInt32(src[i]) << 16 | UInt32(src[i + 1]) << 8 | UInt32(src[i + 2])
                }
            }
        }
        cairo_surface_mark_dirty(s)
        cairo_save(cr)
        cairo_translate(cr, rect.x, rect.y)
        cairo_scale(cr, rect.width / Double(w), rect.height / Double(h))
        cairo_set_source_surface(cr, s, 0, 0)
        cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST)
        cairo_rectangle(cr, 0, 0, Double(w), Double(h))
        cairo_fill(cr)
        cairo_restore(cr)
    }

    /// Runs `body` with drawing clipped to `r`.
    public func clipped(to r: Rect, _ body: () -> Void) {
        cairo_save(cr)
        cairo_rectangle(cr, r.x, r.y, r.width, r.height)
        cairo_clip(cr)
        body()
        cairo_restore(cr)
    }

    /// Runs `body` with the origin moved to (dx, dy).
    public func translated(_ dx: Double, _ dy: Double, _ body: () -> Void) {
        cairo_save(cr)
        cairo_translate(cr, dx, dy)
        body()
        cairo_restore(cr)
    }
}

/// Point-marker shapes; each series of a plot gets its own, and its legend entry shows the same one.
public enum Marker: CaseIterable, Sendable {
    case circle, square, triangle, diamond, invertedTriangle, pentagon
}

import GhostModels
import GhostTensor

/// An 8-bit RGB raster with simple drawing primitives (rectangles, lines, text), the canvas for
/// every PNG figure GhostKit writes.
public struct RGBImage {
    public let width: Int
    public let height: Int
    /// Row-major RGB bytes.
    public var pixels: [UInt8]

    public struct Color: Equatable {
        public var r, g, b: UInt8
        public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) { self.r = r; self.g = g; self.b = b }
        public static let white = Color(255, 255, 255), black = Color(0, 0, 0)
        public static let gray = Color(128, 128, 128), lightGray = Color(225, 225, 225)
        public static let red = Color(220, 30, 30), green = Color(20, 160, 40), blue = Color(30, 70, 220)
        /// Distinguishable series colours (Tableau 10).
        public static let palette = [Color(31, 119, 180), Color(255, 127, 14), Color(44, 160, 44), Color(214, 39, 40),
                                     Color(148, 103, 189), Color(140, 86, 75), Color(227, 119, 194), Color(127, 127, 127),
                                     Color(188, 189, 34), Color(23, 190, 207)]
    }

    public init(width: Int, height: Int, background: Color = .white) {
        precondition(width > 0 && height > 0, "image must not be empty")
        self.width = width
        self.height = height
        pixels = [UInt8](repeating: 0, count: width * height * 3)
        fill(x: 0, y: 0, w: width, h: height, background)
    }

    /// Sets one pixel (ignored outside the image).
    @inline(__always)
    public mutating func set(_ x: Int, _ y: Int, _ c: Color) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        let i = (y * width + x) * 3
        pixels[i] = c.r; pixels[i + 1] = c.g; pixels[i + 2] = c.b
    }

    public func get(_ x: Int, _ y: Int) -> Color {
        let i = (y * width + x) * 3
        return Color(pixels[i], pixels[i + 1], pixels[i + 2])
    }

    /// Filled rectangle, clipped to the image.
    public mutating func fill(x: Int, y: Int, w: Int, h: Int, _ c: Color) {
        // Clip first: with -Ounchecked an inverted Range is not trapped and would run (almost) forever.
        let (x0, x1, y0, y1) = (max(0, x), min(width, x + w), max(0, y), min(height, y + h))
        guard x0 < x1, y0 < y1 else { return }
        for yy in y0..<y1 { for xx in x0..<x1 { set(xx, yy, c) } }
    }

    /// Rectangle outline of the given thickness, drawn inside (x, y, w, h).
    public mutating func outline(x: Int, y: Int, w: Int, h: Int, thickness t: Int = 1, _ c: Color) {
        fill(x: x, y: y, w: w, h: t, c)
        fill(x: x, y: y + h - t, w: w, h: t, c)
        fill(x: x, y: y, w: t, h: h, c)
        fill(x: x + w - t, y: y, w: t, h: h, c)
    }

    /// Straight line (Bresenham) with a square pen of `thickness` pixels.
    public mutating func line(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int, thickness: Int = 1, _ c: Color) {
        var x = x0, y = y0
        let dx = abs(x1 - x0), dy = -abs(y1 - y0), sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1
        var err = dx + dy
        let lo = -(thickness - 1) / 2, hi = thickness / 2
        while true {
            for oy in lo...hi { for ox in lo...hi { set(x + ox, y + oy, c) } }
            if x == x1 && y == y1 { break }
            let e2 = 2 * err
            if e2 >= dy { err += dy; x += sx }
            if e2 <= dx { err += dx; y += sy }
        }
    }

    /// Draws `text` with the built-in 5×7 font, top-left at (x, y), each font pixel `scale`² pixels.
    public mutating func text(_ text: String, x: Int, y: Int, scale: Int = 1, _ c: Color = .black) {
        drawGlyphs(text, scale: scale, c) { i, col, row in (x + (i * BitmapFont.advance + col) * scale, y + row * scale) }
    }

    /// Text rotated 90° counter-clockwise (for y-axis labels), reading bottom to top from (x, y).
    public mutating func verticalText(_ text: String, x: Int, y: Int, scale: Int = 1, _ c: Color = .black) {
        drawGlyphs(text, scale: scale, c) { i, col, row in (x + row * scale, y - (i * BitmapFont.advance + col) * scale) }
    }

    /// Paints every set font pixel (character i, glyph column, glyph row) at the position `place` gives.
    private mutating func drawGlyphs(_ text: String, scale: Int, _ c: Color, place: (Int, Int, Int) -> (Int, Int)) {
        for (i, ch) in text.unicodeScalars.enumerated() {
            for (col, bits) in BitmapFont.glyph(ch).enumerated() {
                for row in 0..<8 where bits >> row & 1 == 1 {
                    let (px, py) = place(i, col, row)
                    fill(x: px, y: py, w: scale, h: scale, c)
                }
            }
        }
    }

    /// Width in pixels of `text` drawn at `scale`.
    public static func textWidth(_ text: String, scale: Int = 1) -> Int { text.unicodeScalars.count * BitmapFont.advance * scale }
}

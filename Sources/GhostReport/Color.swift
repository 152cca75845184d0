/// An opaque sRGB colour for figures.
public struct Color: Equatable, Sendable {
    public var r, g, b: UInt8
    /// A colour from 8-bit channels.
    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) {
        self.r = r
        self.g = g
        self.b = b
    }
    public static let white = Color(255, 255, 255), black = Color(0, 0, 0)
    public static let gray = Color(128, 128, 128), lightGray = Color(225, 225, 225), darkGray = Color(70, 70, 70)
    public static let red = Color(220, 30, 30), green = Color(20, 150, 40), blue = Color(30, 70, 220)
    /// Distinguishable series colours (Tableau 10).
    public static let palette = [
        Color(31, 119, 180), Color(255, 127, 14), Color(44, 160, 44), Color(214, 39, 40),
        Color(148, 103, 189), Color(140, 86, 75), Color(227, 119, 194), Color(127, 127, 127),
        Color(188, 189, 34), Color(23, 190, 207),
    ]

    /// Channels as 0…1 doubles (cairo's source colour).
    var unit: (Double, Double, Double) { (Double(r) / 255, Double(g) / 255, Double(b) / 255) }
}

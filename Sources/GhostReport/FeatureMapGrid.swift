import GhostData
import GhostTensor

/// Feature maps of one image laid out as a grid of small images (torchvision's make_grid for
/// activations), with optional coloured boxes around chosen channels.
public struct FeatureMapGrid {
    public enum Normalization: String { case perMap = "per-map", global }
    public enum ColorMap: String { case gray, heat }

    public var columns: Int?
    /// Pixels per map pixel (nearest neighbour); nil chooses so maps are at least 48 px wide.
    public var scale: Int?
    public var padding = 3
    public var normalization: Normalization = .perMap
    public var colorMap: ColorMap = .gray
    /// Boxes drawn around channels: (channel, colour).
    public var highlights: [(channel: Int, color: RGBImage.Color)] = []

    public init() {}

    /// Renders `maps` [C, H, W].
    public func render(_ maps: Tensor) -> RGBImage {
        precondition(maps.rank == 3, "expected [C, H, W] maps")
        let (C, H, W) = (maps.shape[0], maps.shape[1], maps.shape[2])
        let cols = max(1, columns ?? Int(Double(C).squareRoot().rounded(.up)))
        let rows = (C + cols - 1) / cols
        let s = max(1, scale ?? max(1, (48 + W - 1) / max(W, 1)))
        let pad = max(padding, highlights.isEmpty ? 0 : 3)
        let cellW = W * s + pad, cellH = H * s + pad
        var img = RGBImage(width: cols * cellW + pad, height: rows * cellH + pad, background: .white)
        var gmin = Float.infinity, gmax = -Float.infinity
        for i in 0..<maps.count { gmin = min(gmin, maps.pointer[i]); gmax = max(gmax, maps.pointer[i]) }
        for c in 0..<C {
            let p = maps.pointer + c * H * W
            var lo = gmin, hi = gmax
            if normalization == .perMap {
                lo = .infinity; hi = -.infinity
                for i in 0..<(H * W) { lo = min(lo, p[i]); hi = max(hi, p[i]) }
            }
            let range = hi > lo ? hi - lo : 1
            let x0 = pad + (c % cols) * cellW, y0 = pad + (c / cols) * cellH
            for y in 0..<H {
                for x in 0..<W {
                    let v = (p[y * W + x] - lo) / range
                    img.fill(x: x0 + x * s, y: y0 + y * s, w: s, h: s, Self.color(v, colorMap))
                }
            }
        }
        for (c, color) in highlights where c >= 0 && c < C {
            let x0 = pad + (c % cols) * cellW, y0 = pad + (c / cols) * cellH
            img.outline(x: x0 - 3, y: y0 - 3, w: W * s + 6, h: H * s + 6, thickness: 3, color)
        }
        return img
    }

    /// Colour of a value in [0, 1].
    static func color(_ v: Float, _ map: ColorMap) -> RGBImage.Color {
        let t = min(max(v, 0), 1)
        switch map {
        case .gray:
            let g = UInt8((t * 255).rounded())
            return RGBImage.Color(g, g, g)
        case .heat:  // black → red → yellow → white
            let r = UInt8(min(1, t * 3) * 255), g = UInt8(min(1, max(0, t * 3 - 1)) * 255), b = UInt8(min(1, max(0, t * 3 - 2)) * 255)
            return RGBImage.Color(r, g, b)
        }
    }
}

import GhostIO
import GhostTensor

/// What `grid` agrees to draw: a layer from an untrusted dump may claim 65 536 maps or maps of 16384×1 pixels,
/// which would keep the renderer busy for minutes or need gigabytes; such a grid is refused with one line.
enum GridLimits {
    /// Maps drawn at most (ResNet-50's widest layer has 2048).
    static let maxMaps = 4096
    /// Pixels of the whole picture at most (2^27: a 512 MiB canvas).
    static let maxPixels = 1 << 27

    /// Throws unless maps of `shape` [C, H, W] at `scale` (nil: FeatureMapGrid's default width of 26…96 px per
    /// map) in `columns` columns (nil: a square grid) stay within the limits; `source` names the file.
    static func check(_ shape: [Int], scale: Int?, columns: Int?, source: String) throws {
        guard shape.count == 3 else { return }
        let (count, height, width) = (shape[0], shape[1], shape[2])
        guard count <= maxMaps else {
            throw GhostError.file(source, "has \(count) maps in that layer; grid draws at most \(maxMaps)")
        }
        let cols = max(1, min(count, columns ?? Int(Double(count).squareRoot().rounded(.up))))
        let rows = (count + cols - 1) / cols
        let mapW = scale.map { Double($0 * width) } ?? min(96, max(26, 760 / Double(cols)))
        let mapH = mapW * Double(height) / Double(width)
        let pixels = Double(cols) * (mapW + 3) * Double(rows) * (mapH + 20)
        guard pixels <= Double(maxPixels) else {
            throw GhostError.file(
                source,
                "a grid of \(count) maps of \(height)×\(width) would be about \(Int(pixels / 1e6)) megapixels; "
                    + "grid draws at most \(maxPixels >> 20) (choose a smaller --scale or another layer)")
        }
    }

    /// Throws when the maps [C, H, W] hold a NaN or ±∞: it has no place on the colour scale, and per-map or global
    /// scaling would turn the whole map (or grid) into one flat colour without saying so. `source` names the dump or
    /// checkpoint, `layer` and `image` what was drawn.
    static func checkFinite(_ maps: Tensor, layer: String, image: Int, source: String) throws {
        guard let i = maps.firstNonFiniteIndex, maps.rank >= 1, maps.shape[0] > 0 else { return }
        let channel = i / max(1, maps.count / maps.shape[0])
        throw GhostError.file(
            source,
            "layer \(layer), image \(image), channel \(channel) holds \(maps.readPointer[i]); "
                + "grid draws finite maps only")
    }
}

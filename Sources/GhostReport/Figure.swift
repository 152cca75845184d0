import CCairo
import Foundation
import GhostIO

/// The file formats a figure is written in.
public enum FigureFormat: String, CaseIterable, Sendable {
    /// Raster at `Figure.pngScale` pixels per point.
    case png
    /// Vector; text as glyph outlines, the labels listed in `<desc>`.
    case svg
    /// Vector with embedded (selectable) DejaVu Sans text.
    case pdf
}

/// A figure of `width`×`height` points drawn by a closure, rendered by cairo to PNG, SVG and PDF from the
/// same drawing code, and written atomically (temp file, then rename) next to each other.
public struct Figure {
    /// Size in points (one point is `pngScale` PNG pixels).
    public let width: Double, height: Double
    /// Title stored in the SVG `<title>` and the PDF metadata.
    public var title: String
    /// Paints the figure on a canvas of `width`×`height` points.
    public let draw: (Canvas) -> Void

    /// PNG pixels per point (2: sharp on high-density screens and in print at ~150 dpi).
    public static let pngScale = 2.0

    /// A figure of the given size in points, painted by `draw` (on a white background).
    public init(width: Double, height: Double, title: String, draw: @escaping (Canvas) -> Void) {
        precondition(width >= 1 && height >= 1, "figure must not be empty")
        self.width = width.rounded(.up)
        self.height = height.rounded(.up)
        self.title = title
        self.draw = draw
    }

    /// PNG size in pixels.
    public var pixelSize: (width: Int, height: Int) {
        (Int(width * Self.pngScale), Int(height * Self.pngScale))
    }

    private func paint(_ surface: OpaquePointer, scale: Double) -> [String] {
        let cr = cairo_create(surface)!
        defer { cairo_destroy(cr) }
        cairo_scale(cr, scale, scale)
        cairo_set_source_rgb(cr, 1, 1, 1)
        cairo_paint(cr)
        let canvas = Canvas(cr)
        draw(canvas)
        return canvas.texts
    }

    /// The figure rasterised: row-major RGB bytes of `pixelSize` (or of `scale` pixels per point).
    public func raster(scale: Double = Figure.pngScale) -> (width: Int, height: Int, rgb: [UInt8]) {
        let (w, h) = (Int(width * scale), Int(height * scale))
        let s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, Int32(w), Int32(h))!
        defer { cairo_surface_destroy(s) }
        _ = paint(s, scale: scale)
        cairo_surface_flush(s)
        let stride = Int(cairo_image_surface_get_stride(s))
        let base = cairo_image_surface_get_data(s)!
        var rgb = [UInt8](repeating: 0, count: w * h * 3)
        for y in 0..<h {
            let row = UnsafeRawPointer(base + y * stride).assumingMemoryBound(to: UInt32.self)
            for x in 0..<w {
                let v = row[x]
                let i = (y * w + x) * 3
                rgb[i] = UInt8(truncatingIfNeeded: v >> 16)
                rgb[i + 1] = UInt8(truncatingIfNeeded: v >> 8)
                rgb[i + 2] = UInt8(truncatingIfNeeded: v)
            }
        }
        return (w, h, rgb)
    }

    /// The figure in one format, as file bytes.
    public func data(_ format: FigureFormat) throws -> Data {
        let sink = ByteSink()
        let closure = Unmanaged.passUnretained(sink).toOpaque()
        let write: cairo_write_func_t = { closure, data, length in
            let sink = Unmanaged<ByteSink>.fromOpaque(closure!).takeUnretainedValue()
            if let data { sink.bytes.append(data, count: Int(length)) }
            return CAIRO_STATUS_SUCCESS
        }
        var texts: [String] = []
        switch format {
        case .png:
            let (w, h) = pixelSize
            let s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, Int32(w), Int32(h))!
            defer { cairo_surface_destroy(s) }
            _ = paint(s, scale: Self.pngScale)
            try check(cairo_surface_write_to_png_stream(s, write, closure), format)
        case .svg:
            let s = cairo_svg_surface_create_for_stream(write, closure, width, height)!
            cairo_svg_surface_set_document_unit(s, CAIRO_SVG_UNIT_PT)
            texts = paint(s, scale: 1)
            cairo_surface_finish(s)
            try check(cairo_surface_status(s), format)
            cairo_surface_destroy(s)
            return Self.describe(svg: sink.bytes, title: title, texts: texts)
        case .pdf:
            let s = cairo_pdf_surface_create_for_stream(write, closure, width, height)!
            cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_TITLE, title)
            cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATOR, "GhostKit")
            _ = paint(s, scale: 1)
            cairo_surface_finish(s)
            try check(cairo_surface_status(s), format)
            cairo_surface_destroy(s)
        }
        return sink.bytes
    }

    private func check(_ status: cairo_status_t, _ format: FigureFormat) throws {
        guard status == CAIRO_STATUS_SUCCESS else {
            throw GhostError(
                "cairo could not render '\(title)' as \(format.rawValue): "
                    + String(cString: cairo_status_to_string(status)))
        }
    }

    /// Writes `<base>.png`, `<base>.svg`, `<base>.pdf` (those of `formats`) as one set (`AtomicFile.write(_:)`:
    /// all rendered and written to temps before any is renamed, so a failure never leaves a new PNG beside an
    /// old SVG); `path` may end in one of those extensions or none. Returns the paths written.
    @discardableResult
    public func write(to path: String, formats: [FigureFormat] = FigureFormat.allCases) throws -> [String] {
        let base = Self.basePath(path)
        let files = try formats.map { (path: base + "." + $0.rawValue, data: try data($0)) }
        try AtomicFile.write(files)
        return files.map(\.path)
    }

    /// `path` without a trailing .png/.svg/.pdf.
    public static func basePath(_ path: String) -> String {
        for f in FigureFormat.allCases where path.hasSuffix("." + f.rawValue) {
            return String(path.dropLast(f.rawValue.count + 1))
        }
        return path
    }

    /// cairo's SVG with a `<title>` and a `<desc>` listing every label drawn (one per line), placed right
    /// after the opening `<svg>` tag, so the text is searchable and read by screen readers.
    static func describe(svg: Data, title: String, texts: [String]) -> Data {
        var s = String(decoding: svg, as: UTF8.self)
        guard let open = s.range(of: "<svg"), let end = s[open.upperBound...].firstIndex(of: ">") else { return svg }
        let meta =
            "\n<title>\(MarkdownHTML.escape(title))</title>\n<desc>"
            + texts.map(MarkdownHTML.escape).joined(separator: "\n") + "</desc>"
        s.insert(contentsOf: meta, at: s.index(after: end))
        return Data(s.utf8)
    }
}

/// Bytes collected from cairo's stream callbacks.
private final class ByteSink {
    var bytes = Data()
}

extension PNGFile {
    /// Writes `figure` as PNG at `path` and, next to it with the same base name, as SVG and PDF (atomically).
    public static func write(_ figure: Figure, to path: String) throws {
        try figure.write(to: path)
    }
}

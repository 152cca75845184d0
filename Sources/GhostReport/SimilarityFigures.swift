import Foundation
import GhostAnalysis
import GhostIO

/// The figures of `ghostkit similarity`: CKA per same-named layer (bar chart) and the layer × layer heatmap.
public enum SimilarityFigures {
    /// cka-per-layer.png (when there are same-named pairs) and, for cross pairing, cka-matrix.png; returns the
    /// file names written into `dir`.
    public static func write(_ report: SimilarityReport, to dir: String) throws -> [String] {
        var names: [String] = []
        let diagonal = report.sameNamed
        if !diagonal.isEmpty {
            let chart = BarChart(title: "linear CKA per layer: \(report.modelA) vs \(report.modelB)",
                                 valueLabel: "linear CKA",
                                 bars: diagonal.map { (label: $0.layerA, value: $0.cka ?? 0) }, valueRange: 0...1)
            try PNGFile.write(chart.render(), to: dir + "/cka-per-layer.png")
            names.append("cka-per-layer.png")
        }
        if report.pairing == .cross {
            try PNGFile.write(heatmap(report), to: dir + "/cka-matrix.png")
            names.append("cka-matrix.png")
        }
        return names
    }

    /// Colour of a CKA value in [0, 1]: white (0) to dark blue (1); grey for a missing value.
    static func color(_ v: Double) -> RGBImage.Color {
        guard v.isFinite else { return .gray }
        let t = min(max(v, 0), 1)
        func mix(_ a: Double, _ b: Double) -> UInt8 { UInt8((a + (b - a) * t).rounded()) }
        return RGBImage.Color(mix(255, 8), mix(255, 48), mix(255, 107))
    }

    /// Rows: layers of A (top to bottom), columns: layers of B (left to right), cells coloured by CKA and
    /// labelled with it when they are large enough; a colour bar on the right.
    public static func heatmap(_ report: SimilarityReport) -> RGBImage {
        let s = 2, m = report.matrix
        let rows = report.layersA.count, cols = report.layersB.count
        let cell = max(14, min(48, 720 / max(rows, cols)))
        let rowLabel = (report.layersA.map(\.count).max() ?? 1) * BitmapFont.advance * s + 16
        let colLabel = (report.layersB.map(\.count).max() ?? 1) * BitmapFont.advance * s + 16
        let title = "linear CKA: \(report.modelA) (rows) vs \(report.modelB) (columns)"
        let top = 16 + BitmapFont.lineHeight * s, left = rowLabel
        let barX = left + cols * cell + 24
        let width = max(barX + 90, RGBImage.textWidth(title, scale: s) + 16)
        var img = RGBImage(width: width, height: top + rows * cell + colLabel + 8)
        img.text(title, x: 8, y: 8, scale: s)
        for i in 0..<rows {
            img.text(report.layersA[i], x: 8, y: top + i * cell + (cell - BitmapFont.lineHeight * s) / 2, scale: s)
            for j in 0..<cols {
                let v = m[i][j]
                img.fill(x: left + j * cell, y: top + i * cell, w: cell, h: cell, color(v))
                let label = v.isFinite ? String(format: "%.2f", v) : ""
                if cell >= 44, !label.isEmpty {
                    img.text(label, x: left + j * cell + 2, y: top + i * cell + cell / 2 - 4, v > 0.5 ? .white : .black)
                }
            }
        }
        for j in 0..<cols {
            let name = report.layersB[j]
            img.verticalText(name, x: left + j * cell + (cell - BitmapFont.lineHeight * s) / 2,
                             y: top + rows * cell + 8 + RGBImage.textWidth(name, scale: s), scale: s)
        }
        img.outline(x: left, y: top, w: cols * cell, h: rows * cell, .black)
        let barH = rows * cell
        for y in 0..<barH {
            img.fill(x: barX, y: top + y, w: 20, h: 1, color(1 - Double(y) / Double(max(barH - 1, 1))))
        }
        img.outline(x: barX, y: top, w: 20, h: barH, .black)
        img.text("1", x: barX + 26, y: top, scale: s)
        img.text("0", x: barX + 26, y: top + barH - BitmapFont.lineHeight * s, scale: s)
        return img
    }
}

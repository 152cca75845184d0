import Foundation
import GhostAnalysis
import GhostIO

/// The figures of `ghostkit similarity`: CKA per same-named layer (bar chart) and the layer × layer heatmap.
public enum SimilarityFigures {
    /// cka-per-layer.{png,svg,pdf} (when there are same-named pairs) and, for cross pairing, cka-matrix.*;
    /// returns the PNG file names written into `dir`.
    public static func write(_ report: SimilarityReport, to dir: String) throws -> [String] {
        var names: [String] = []
        let diagonal = report.sameNamed
        if !diagonal.isEmpty {
            var chart = BarChart(title: "linear CKA per layer: \(report.modelA) vs \(report.modelB)",
                                 valueLabel: "linear CKA",
                                 bars: diagonal.map { (label: $0.layerA, value: $0.cka ?? 0) }, valueRange: 0...1)
            chart.notes = ["minibatch linear CKA (unbiased HSIC) on the same test images; 1 = same representation"]
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
    static func color(_ v: Double) -> Color {
        guard v.isFinite else { return .gray }
        let t = min(max(v, 0), 1)
        func mix(_ a: Double, _ b: Double) -> UInt8 { UInt8((a + (b - a) * t).rounded()) }
        return Color(mix(255, 8), mix(255, 48), mix(255, 107))
    }

    /// Rows: layers of A (top to bottom), columns: layers of B (left to right), cells coloured by CKA and
    /// labelled with it when they are large enough; a colour bar on the right.
    public static func heatmap(_ report: SimilarityReport) -> Figure {
        let m = report.matrix
        let rows = report.layersA.count, cols = report.layersB.count
        let cell = Double(max(12, min(40, 560 / max(rows, cols, 1))))
        let (rowLabel, colLabel) = Canvas.measuring { c in
            ((report.layersA.map { c.textWidth($0, size: 10) }.max() ?? 10) + 12,
             (report.layersB.map { c.textWidth($0, size: 10) }.max() ?? 10) + 12)
        }
        let title = "linear CKA: \(report.modelA) (rows) vs \(report.modelB) (columns)"
        let top = 44.0, left = rowLabel + 8
        let barX = left + Double(cols) * cell + 20
        let titleWidth = Canvas.measuring { $0.textWidth(title, size: 13, bold: true) } + 16
        let width = max(barX + 60, titleWidth)
        let height = top + Double(rows) * cell + colLabel + 12
        return Figure(width: width, height: height, title: title) { c in
            c.fill(Rect(x: 0, y: 0, width: width, height: height), color: .white)
            c.text(title, x: 8, y: 20, size: 13, bold: true)
            c.text("minibatch linear CKA (unbiased HSIC) on the same test images", x: 8, y: 36, size: 10,
                   color: .darkGray)
            for i in 0..<rows {
                c.text(report.layersA[i], x: left - 6, y: top + (Double(i) + 0.5) * cell, size: 10, align: .end,
                       baseline: .middle)
                for j in 0..<cols {
                    let v = m[i][j]
                    let r = Rect(x: left + Double(j) * cell, y: top + Double(i) * cell, width: cell, height: cell)
                    c.fill(r, color: color(v))
                    if cell >= 32, v.isFinite {
                        c.text(String(format: "%.2f", v), x: r.x + cell / 2, y: r.y + cell / 2, size: 8,
                               align: .middle, baseline: .middle, color: v > 0.5 ? .white : .black)
                    }
                }
            }
            for j in 0..<cols {
                c.text(report.layersB[j], x: left + (Double(j) + 0.5) * cell, y: top + Double(rows) * cell + 6,
                       size: 10, align: .end, baseline: .middle, angle: -Double.pi / 2)
            }
            c.stroke(Rect(x: left, y: top, width: Double(cols) * cell, height: Double(rows) * cell))
            let barH = Double(rows) * cell, steps = 64
            for k in 0..<steps {
                let y0 = top + barH * Double(k) / Double(steps)
                c.fill(Rect(x: barX, y: y0, width: 14, height: barH / Double(steps) + 0.5),
                       color: color(1 - Double(k) / Double(steps - 1)))
            }
            c.stroke(Rect(x: barX, y: top, width: 14, height: barH))
            c.text("1", x: barX + 18, y: top, size: 10, baseline: .top)
            c.text("0", x: barX + 18, y: top + barH, size: 10, baseline: .bottom)
        }
    }
}

import Foundation
import GhostIO

/// Human-readable numbers and plain-text tables for terminal output.
enum Format {
    /// 25557032 → "25.56 M"; 4.1e9 → "4.11 G".
    static func metric(_ x: Double) -> String {
        let a = abs(x)
        if a >= 1e9 { return String(format: "%.2f G", x / 1e9) }
        if a >= 1e6 { return String(format: "%.2f M", x / 1e6) }
        if a >= 1e3 { return String(format: "%.2f k", x / 1e3) }
        return String(format: "%.0f", x)
    }

    static func count(_ n: Int) -> String { metric(Double(n)) }

    /// One decimal, as papers quote model sizes: 25557032 → "25.6 M", 4089184256 → "4.1 G".
    static func short(_ n: Int) -> String {
        let x = Double(n)
        if x >= 1e9 { return String(format: "%.1f G", x / 1e9) }
        if x >= 1e6 { return String(format: "%.1f M", x / 1e6) }
        if x >= 1e3 { return String(format: "%.1f k", x / 1e3) }
        return String(n)
    }

    static func bytes(_ n: Int) -> String {
        let x = Double(n)
        if x >= 1_073_741_824 { return String(format: "%.1f GiB", x / 1_073_741_824) }
        if x >= 1_048_576 { return String(format: "%.1f MiB", x / 1_048_576) }
        if x >= 1024 { return String(format: "%.1f KiB", x / 1024) }
        return "\(n) B"
    }

    /// Left-aligned first column, right-aligned others.
    static func table(_ rows: [[String]]) -> String {
        guard let first = rows.first else { return "" }
        let widths = first.indices.map { i in rows.map { i < $0.count ? $0[i].count : 0 }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { i, cell in
                let pad = String(repeating: " ", count: max(0, widths[i] - cell.count))
                return i == 0 ? cell + pad : pad + cell
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}

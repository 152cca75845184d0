import Foundation
import GhostIO

/// A results table read back from a Markdown pipe table or a CSV file: header names and string cells.
public struct ResultTable {
    public let header: [String]
    public let rows: [[String]]

    /// Parses `text`: Markdown if its first table line starts with "|", else comma-separated.
    public init(text: String, source: String) throws {
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        var cells: [[String]]
        if let first = lines.firstIndex(where: { $0.hasPrefix("|") }) {
            cells = lines[first...].prefix { $0.hasPrefix("|") }.map { line in
                line.dropFirst().split(separator: "|", omittingEmptySubsequences: false).dropLast(
                    line.hasSuffix("|") ? 1 : 0
                )
                .map { $0.trimmingCharacters(in: .whitespaces) }
            }
            cells.removeAll { row in row.allSatisfy { $0.allSatisfy { "-: ".contains($0) } } }  // the |---| separator
        } else {
            cells = lines.filter { !$0.isEmpty }.map {
                $0.split(separator: ",", omittingEmptySubsequences: false).map {
                    $0.trimmingCharacters(in: .whitespaces)
                }
            }
        }
        guard let header = cells.first, cells.count >= 2 else {
            throw GhostError.file(source, "no table with a header and at least one row")
        }
        self.header = header
        self.rows = Array(cells.dropFirst())
    }

    /// Index of the first column whose header contains `name` (case-insensitive).
    public func column(_ name: String) -> Int? { header.firstIndex { $0.lowercased().contains(name.lowercased()) } }

    /// A cell as a number: "230.1 M" → 2.301e8, "92.69 %" → 0.9269, "1.2 G" → 1.2e9, plain numbers as they are.
    /// A trailing parenthetical is ignored, so "230.1 M (50.5 %)" reads as 230.1 M.
    public static func number(_ cell: String) -> Double? {
        let value = cell.firstIndex(of: "(").map { String(cell[..<$0]) } ?? cell
        var t = value.replacingOccurrences(of: " ", with: "")
        var scale = 1.0
        for (suffix, f) in [("%", 0.01), ("G", 1e9), ("M", 1e6), ("k", 1e3)] where t.hasSuffix(suffix) {
            t.removeLast(suffix.count)
            scale = f
            break
        }
        return Double(t).map { $0 * scale }
    }
}

import Foundation

/// The Markdown subset GhostKit's reports use, as HTML: headings, paragraphs, pipe tables, "- " lists,
/// fenced code, images, links, `code`, **bold** and *italic*. Text is escaped; image and link targets
/// are prefixed with `base` (the report's folder relative to the HTML page).
public enum MarkdownHTML {
    public static func render(_ markdown: String, base: String = "") -> String {
        var html = "", paragraph: [String] = [], table: [[String]] = [], list: [String] = [], code: [String]?
        func flush() {
            if !paragraph.isEmpty { html += "<p>" + inline(paragraph.joined(separator: " "), base) + "</p>\n"; paragraph = [] }
            if !list.isEmpty { html += "<ul>" + list.map { "<li>" + inline($0, base) + "</li>" }.joined() + "</ul>\n"; list = [] }
            if !table.isEmpty {
                let rows = table.filter { !$0.allSatisfy { $0.allSatisfy { "-: ".contains($0) } } }
                html += "<table>\n"
                for (i, r) in rows.enumerated() {
                    let tag = i == 0 ? "th" : "td"
                    html += "<tr>" + r.map { "<\(tag)>" + inline($0, base) + "</\(tag)>" }.joined() + "</tr>\n"
                }
                html += "</table>\n"
                table = []
            }
        }
        for line in markdown.components(separatedBy: "\n") {
            if var c = code {
                if line.hasPrefix("```") { html += "<pre><code>" + escape(c.joined(separator: "\n")) + "</code></pre>\n"; code = nil } else { c.append(line); code = c }
                continue
            }
            let t = line.trimmingCharacters(in: .whitespaces)
            if t.hasPrefix("```") { flush(); code = []; continue }
            if t.isEmpty { flush(); continue }
            if let level = t.firstIndex(where: { $0 != "#" }).map({ t.distance(from: t.startIndex, to: $0) }), level > 0, level <= 6,
               t.dropFirst(level).hasPrefix(" ") {
                flush()
                html += "<h\(level + 1)>" + inline(String(t.dropFirst(level + 1)), base) + "</h\(level + 1)>\n"
            } else if t.hasPrefix("|") {
                if !paragraph.isEmpty || !list.isEmpty { let keep = table; table = []; flush(); table = keep }
                table.append(t.trimmingCharacters(in: CharacterSet(charactersIn: "|")).components(separatedBy: "|").map { $0.trimmingCharacters(in: .whitespaces) })
            } else if t.hasPrefix("- ") {
                if !paragraph.isEmpty || !table.isEmpty { flush() }
                list.append(String(t.dropFirst(2)))
            } else {
                if !table.isEmpty || !list.isEmpty { flush() }
                paragraph.append(t)
            }
        }
        if let c = code { html += "<pre><code>" + escape(c.joined(separator: "\n")) + "</code></pre>\n" }
        flush()
        return html
    }

    public static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// Inline markup of one escaped line.
    static func inline(_ text: String, _ base: String) -> String {
        var s = escape(text)
        func replace(_ pattern: String, _ template: (([String]) -> String)) {
            guard let re = try? NSRegularExpression(pattern: pattern) else { return }
            var out = "", last = s.startIndex
            for m in re.matches(in: s, range: NSRange(s.startIndex..., in: s)) {
                let r = Range(m.range, in: s)!
                out += s[last..<r.lowerBound]
                out += template((0..<m.numberOfRanges).map { Range(m.range(at: $0), in: s).map { String(s[$0]) } ?? "" })
                last = r.upperBound
            }
            s = out + s[last...]
        }
        func target(_ t: String) -> String { t.hasPrefix("http") || t.hasPrefix("/") ? t : base + t }
        replace(#"`([^`]+)`"#) { "<code>\($0[1])</code>" }
        replace(#"!\[([^\]]*)\]\(([^)\s]+)\)"#) { "<img alt=\"\($0[1])\" src=\"\(target($0[2]))\">" }
        replace(#"\[([^\]]+)\]\(([^)\s]+)\)"#) { "<a href=\"\(target($0[2]))\">\($0[1])</a>" }
        replace(#"\*\*([^*]+)\*\*"#) { "<b>\($0[1])</b>" }
        replace(#"(?<![*\w])\*([^*\s][^*]*)\*(?![*\w])"#) { "<i>\($0[1])</i>" }
        return s
    }
}

import Foundation

/// The Markdown subset GhostKit's reports use, as HTML: headings, paragraphs, pipe tables, "- " lists,
/// fenced code, images, links, `code`, **bold** and *italic*. Text is escaped; image and link targets
/// are prefixed with `base` (the report's folder relative to the HTML page). A paragraph of images (with at
/// most a short lead-in such as "Close-ups:") becomes a row of `<figure>`s captioned by `caption(file)`, or by
/// the alt text when `caption` has none.
public enum MarkdownHTML {
    /// The HTML of `markdown`; `caption` gives figure captions by image file name.
    public static func render(
        _ markdown: String, base: String = "", caption: (String) -> String? = { _ in nil }
    ) -> String {
        var html = ""
        var paragraph: [String] = []
        var table: [[String]] = []
        var list: [String] = []
        var code: [String]?
        func flush() {
            if !paragraph.isEmpty {
                html +=
                    figures(paragraph.joined(separator: " "), base, caption)
                    ?? "<p>" + inline(paragraph.joined(separator: " "), base) + "</p>\n"
                paragraph = []
            }
            if !list.isEmpty {
                html += "<ul>" + list.map { "<li>" + inline($0, base) + "</li>" }.joined() + "</ul>\n"
                list = []
            }
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
                if line.hasPrefix("```") {
                    html += "<pre><code>" + escape(c.joined(separator: "\n")) + "</code></pre>\n"
                    code = nil
                } else {
                    c.append(line)
                    code = c
                }
                continue
            }
            let t = line.trimmingCharacters(in: .whitespaces)
            if t.hasPrefix("```") {
                flush()
                code = []
                continue
            }
            if t.isEmpty {
                flush()
                continue
            }
            if let level = t.firstIndex(where: { $0 != "#" }).map({ t.distance(from: t.startIndex, to: $0) }),
                level > 0, level <= 6,
                t.dropFirst(level).hasPrefix(" ")
            {
                flush()
                html += "<h\(level + 1)>" + inline(String(t.dropFirst(level + 1)), base) + "</h\(level + 1)>\n"
            } else if t.hasPrefix("|") {
                if !paragraph.isEmpty || !list.isEmpty {
                    let keep = table
                    table = []
                    flush()
                    table = keep
                }
                table.append(
                    t.trimmingCharacters(in: CharacterSet(charactersIn: "|")).components(separatedBy: "|").map {
                        $0.trimmingCharacters(in: .whitespaces)
                    })
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

    /// A paragraph that is images plus at most a short lead-in, as a lead-in paragraph and a figure row.
    static func figures(_ text: String, _ base: String, _ caption: (String) -> String?) -> String? {
        guard let re = try? NSRegularExpression(pattern: #"!\[([^\]]*)\]\(([^)\s]+)\)"#) else { return nil }
        let matches = re.matches(in: text, range: NSRange(text.startIndex..., in: text))
        guard !matches.isEmpty else { return nil }
        let rest = re.stringByReplacingMatches(in: text, range: NSRange(text.startIndex..., in: text), withTemplate: "")
            .trimmingCharacters(in: .whitespaces)
        guard rest.count <= 40 else { return nil }
        var html = rest.isEmpty ? "" : "<p>" + inline(rest, base) + "</p>\n"
        html += "<div class=\"figures\">"
        for m in matches {
            let alt = String(text[Range(m.range(at: 1), in: text)!])
            let file = String(text[Range(m.range(at: 2), in: text)!])
            let src = file.hasPrefix("http") || file.hasPrefix("/") ? file : base + file
            let text = caption((file as NSString).lastPathComponent) ?? alt
            html +=
                "<figure><a href=\"\(escape(src))\"><img src=\"\(escape(src))\" alt=\"\(escape(alt))\"></a>"
                + "<figcaption>\(escape(text))\(formats(src))</figcaption></figure>"
        }
        return html + "</div>\n"
    }

    /// " (SVG · PDF)" links for a figure's vector siblings.
    static func formats(_ src: String) -> String {
        guard src.hasSuffix(".png") else { return "" }
        let base = escape(String(src.dropLast(4)))
        return " <span class=\"formats\"><a href=\"\(base).svg\">SVG</a> · <a href=\"\(base).pdf\">PDF</a></span>"
    }

    /// `s` with &, <, > and " escaped for HTML text and attributes.
    public static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// Inline markup of one escaped line.
    static func inline(_ text: String, _ base: String) -> String {
        var s = escape(text)
        func replace(_ pattern: String, _ template: (([String]) -> String)) {
            guard let re = try? NSRegularExpression(pattern: pattern) else { return }
            var out = ""
            var last = s.startIndex
            for m in re.matches(in: s, range: NSRange(s.startIndex..., in: s)) {
                let r = Range(m.range, in: s)!
                out += s[last..<r.lowerBound]
                out += template(
                    (0..<m.numberOfRanges).map { Range(m.range(at: $0), in: s).map { String(s[$0]) } ?? "" })
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

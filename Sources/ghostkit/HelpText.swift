/// Lays out a command's `discussion` so that argument-parser's wrapping (at the terminal width, 80 when unknown)
/// never breaks an example in the middle: prose lines are joined into paragraphs (argument-parser wraps them),
/// and every indented example (with its `\` continuation lines) is re-broken between arguments, ≤ 78 columns,
/// with `\` at each break, so a copied example still runs. A trailing `# comment` that does not fit goes above.
enum HelpText {
    static let width = 78

    /// The laid-out discussion text.
    static func fit(_ text: String) -> String {
        var out: [String] = [], paragraph: [String] = []
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)[...]
        func flush() { if !paragraph.isEmpty { out.append(paragraph.joined(separator: " ")); paragraph = [] } }
        while let line = lines.popFirst() {
            guard line.hasPrefix("  ") else {
                if line.isEmpty { flush(); out.append("") } else { paragraph.append(line) }
                continue
            }
            flush()
            var command = line
            while command.hasSuffix("\\"), let next = lines.popFirst() {
                command = String(command.dropLast()).trimmingTrailingSpaces + " " + next.trimmingLeadingSpaces
            }
            out += layout(command)
        }
        flush()
        return out.joined(separator: "\n")
    }

    /// One indented example as lines of ≤ `width` columns.
    static func layout(_ line: String) -> [String] {
        let indent = String(line.prefix { $0 == " " })
        var (words, comment) = split(String(line.dropFirst(indent.count)))
        let single = indent + words.joined(separator: " ")
        if let c = comment {
            if single.count + 3 + c.count <= width {
                return [line.count <= width ? line : single + "   " + c]
            }
            if single.count <= width { return [indent + c, single] }
            comment = c
        } else if single.count <= width { return [single] }
        // Groups: an option with its value, or one argument; break only between groups.
        var groups: [String] = []
        var takesValue = false
        for w in words {
            if takesValue && !w.hasPrefix("-") { groups[groups.count - 1] += " " + w; takesValue = false; continue }
            groups.append(w)
            takesValue = w.hasPrefix("--") && !w.contains("=")
        }
        var result: [String] = comment.map { [indent + $0] } ?? []
        var current = indent
        let continuation = indent + "    "
        for g in groups {
            let candidate = current.allSatisfy({ $0 == " " }) ? current + g : current + " " + g
            if candidate.count + 2 > width, !current.allSatisfy({ $0 == " " }) {
                result.append(current + " \\")
                current = continuation + g
            } else {
                current = candidate
            }
        }
        result.append(current)
        return result
    }

    /// Words of a shell line (quotes kept together) and its trailing `# comment`, if any.
    static func split(_ s: String) -> (words: [String], comment: String?) {
        var words: [String] = [], word = "", quote: Character?
        var chars = s[...]
        while let c = chars.popFirst() {
            if let q = quote {
                word.append(c)
                if c == q { quote = nil }
            } else if c == "'" || c == "\"" {
                quote = c
                word.append(c)
            } else if c == " " {
                if !word.isEmpty { words.append(word); word = "" }
            } else if c == "#" && word.isEmpty {
                return (words, "#" + String(chars))
            } else {
                word.append(c)
            }
        }
        if !word.isEmpty { words.append(word) }
        return (words, nil)
    }
}

private extension String {
    var trimmingTrailingSpaces: String { String(reversed().drop { $0 == " " }.reversed()) }
    var trimmingLeadingSpaces: String { String(drop { $0 == " " }) }
}

/// The HTML shell of the report: head, style sheet, title, table of contents and body (no JavaScript, no
/// external assets).
public struct ReportPage {
    public var title: String
    /// Line under the title (already HTML).
    public var meta: String
    /// Table-of-contents entries (`<li>` HTML).
    public var toc: [String]
    /// Sections (HTML).
    public var body: String

    /// A page from its parts.
    public init(title: String, meta: String, toc: [String], body: String) {
        self.title = title
        self.meta = meta
        self.toc = toc
        self.body = body
    }

    /// The style sheet: readable tables, figures in a responsive row, captions in grey.
    public static let css = """
        body { font: 15px/1.5 "DejaVu Sans", -apple-system, sans-serif; max-width: 1180px; margin: 2em auto;
               padding: 0 1.2em; color: #222; }
        h1 { margin-bottom: 0.1em; } h2 { border-bottom: 2px solid #ddd; padding-top: 1.2em; margin-bottom: 0.2em; }
        h3 { margin-top: 1.4em; }
        table { border-collapse: collapse; margin: 0.8em 0; font-size: 13.5px; }
        th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: left; vertical-align: top; }
        th { background: #f2f2f2; } tr:nth-child(even) td { background: #fafafa; }
        table.kv th { width: 14em; }
        .figures { display: flex; flex-wrap: wrap; gap: 14px; margin: 0.8em 0; }
        figure { margin: 0; flex: 1 1 460px; max-width: 780px; }
        figure img { width: 100%; border: 1px solid #e4e4e4; }
        .md figure:only-child { flex-basis: 100%; }
        figcaption, .files, .meta, .formats { font-size: 13px; color: #555; }
        code, pre { background: #f6f6f6; font-size: 12.5px; } pre { padding: 8px; overflow-x: auto; }
        nav ol { columns: 2; font-size: 14px; }
        """

    /// The whole document.
    public var html: String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>\(MarkdownHTML.escape(title))</title>
        <style>
        \(Self.css)
        </style></head><body>
        <h1>\(MarkdownHTML.escape(title))</h1>
        <p class="meta">\(meta)</p>
        <nav><ol>\(toc.joined())</ol></nav>
        \(body)
        </body></html>

        """
    }
}

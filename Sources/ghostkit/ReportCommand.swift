import ArgumentParser
import Foundation
import GhostIO
import GhostReport
import GhostTensor

/// `ghostkit report`: one static HTML page gathering every run under outputs/ and the checkpoints' provenance.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write outputs/index.html: every run's tables and figures, and each checkpoint's provenance (no JavaScript, no external assets).",
        discussion: """
          ghostkit report                 # reads outputs/ and checkpoints/, writes outputs/index.html
          ghostkit report runs/ --checkpoints my-checkpoints/
        """)

    @Argument(help: "Folder of runs (each sub-folder written by scan, fit-kernels, convert, …).") var directory: String = "outputs"
    @Option(help: "Folder of checkpoints with provenance JSON files.") var checkpoints: String = "checkpoints"
    @Option(help: "HTML file to write (default: <directory>/index.html).") var out: String?

    func run() throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDir), isDir.boolValue else {
            throw GhostError.file(directory, "no such directory")
        }
        let runs = try FileManager.default.contentsOfDirectory(atPath: directory).sorted().filter { name in
            var d: ObjCBool = false
            return !name.hasPrefix(".") && FileManager.default.fileExists(atPath: directory + "/" + name, isDirectory: &d) && d.boolValue
        }
        var body = "", toc: [String] = []
        let provenance = ((try? FileManager.default.contentsOfDirectory(atPath: checkpoints).sorted().filter { $0.hasSuffix(".json") }) ?? [])
            .map { checkpointSection(checkpoints + "/" + $0) }.filter { !$0.isEmpty }
        if !provenance.isEmpty {
            toc.append("<a href=\"#checkpoints\">checkpoints</a>")
            body += "<section id=\"checkpoints\"><h2>Checkpoints</h2>\n" + provenance.joined() + "</section>\n"
        }
        for run in runs {
            let files = (try? FileManager.default.contentsOfDirectory(atPath: directory + "/" + run).sorted()) ?? []
            guard files.contains(where: { $0.hasSuffix(".md") || $0.hasSuffix(".png") }) else { continue }
            toc.append("<a href=\"#\(MarkdownHTML.escape(run))\">\(MarkdownHTML.escape(run))</a>")
            body += "<section id=\"\(MarkdownHTML.escape(run))\"><h2>\(MarkdownHTML.escape(run))</h2>\n"
            let base = run + "/"
            var shown = Set<String>()
            for md in files where md.hasSuffix(".md") {
                let text = (try? String(contentsOfFile: directory + "/" + run + "/" + md, encoding: .utf8)) ?? ""
                body += "<div class=\"md\">" + MarkdownHTML.render(text, base: base) + "</div>\n"
                for png in files where png.hasSuffix(".png") && text.contains("(\(png))") { shown.insert(png) }
            }
            let rest = files.filter { $0.hasSuffix(".png") && !shown.contains($0) }
            if !rest.isEmpty {
                body += "<div class=\"gallery\">" + rest.map {
                    "<figure><img src=\"\(MarkdownHTML.escape(base + $0))\" alt=\"\(MarkdownHTML.escape($0))\"><figcaption>\(MarkdownHTML.escape($0))</figcaption></figure>"
                }.joined() + "</div>\n"
            }
            let data = files.filter { [".csv", ".json", ".h5", ".safetensors"].contains(where: $0.hasSuffix) }
            if !data.isEmpty {
                body += "<p class=\"files\">Files: " + data.map { "<a href=\"\(MarkdownHTML.escape(base + $0))\">\(MarkdownHTML.escape($0))</a>" }.joined(separator: " · ") + "</p>\n"
            }
            body += "</section>\n"
        }
        let page = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>GhostKit report</title>
        <style>
        body { font: 15px/1.45 -apple-system, "DejaVu Sans", sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }
        h1 { margin-bottom: 0.2em; } h2 { border-bottom: 2px solid #ddd; padding-top: 1em; } h3 { margin-top: 1.4em; }
        table { border-collapse: collapse; margin: 0.8em 0; font-size: 14px; }
        th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: left; } th { background: #f2f2f2; }
        img { max-width: 100%; border: 1px solid #eee; }
        .md img { max-width: 48%; vertical-align: top; margin: 4px; }
        .gallery figure { display: inline-block; margin: 6px; max-width: 48%; vertical-align: top; }
        figcaption, .files, .meta { font-size: 13px; color: #666; }
        code, pre { background: #f6f6f6; font-size: 13px; } pre { padding: 8px; overflow-x: auto; }
        nav a { margin-right: 1em; }
        </style></head><body>
        <h1>GhostKit report</h1>
        <p class="meta">Generated \(ISO8601DateFormatter().string(from: Date())) from <code>\(MarkdownHTML.escape(directory))/</code> and <code>\(MarkdownHTML.escape(checkpoints))/</code>.</p>
        <nav>\(toc.joined(separator: " "))</nav>
        \(body)
        </body></html>

        """
        let path = out ?? directory + "/index.html"
        try AtomicFile.write(Data(page.utf8), to: path)
        print("wrote \(path) (\(runs.count) runs, \(provenance.count) checkpoint provenance files)")
    }

    /// A checkpoint's provenance JSON as a small table plus its commands.
    func checkpointSection(_ path: String) -> String {
        guard let data = FileManager.default.contents(atPath: path),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any], json["sha256"] != nil else { return "" }
        var html = "<h3>\(MarkdownHTML.escape(URL(fileURLWithPath: path).lastPathComponent))</h3>\n<table>\n"
        for key in ["checkpoint", "architecture", "dataset", "epochs", "test_accuracy", "wall_time_seconds", "sha256", "created"] {
            guard let v = json[key] else { continue }
            var text = "\(v)"
            if key == "test_accuracy", let d = v as? Double { text = String(format: "%.2f %%", 100 * d) }
            if key == "wall_time_seconds", let d = v as? Double { text = String(format: "%.0f s (%.1f min)", d, d / 60) }
            if let obj = v as? [String: Any], let j = try? JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys]) { text = String(decoding: j, as: UTF8.self) }
            html += "<tr><th>\(key)</th><td>\(MarkdownHTML.escape(text))</td></tr>\n"
        }
        html += "</table>\n"
        if let commands = json["commands"] as? [String] {
            html += "<pre><code>" + commands.map(MarkdownHTML.escape).joined(separator: "\n") + "</code></pre>\n"
        }
        return html
    }
}

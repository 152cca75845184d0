import Foundation
import GhostIO
import GhostModels

/// `ghostkit report`'s page: every run folder under a directory (its Markdown report, its figures with
/// captions that say what they show, links to its data files) in the order of the study — scan, Table 2
/// analogue, conversion, fine-tuning, then the rest — and each checkpoint's provenance as a table with the
/// architecture in words and the test-set size beside every accuracy. Static HTML, no JavaScript.
public struct HTMLReport {
    /// Folder of run folders, and folder of checkpoints with provenance JSON.
    public let directory: String, checkpoints: String

    /// A report over `directory` (runs) and `checkpoints` (provenance files).
    public init(directory: String, checkpoints: String) {
        self.directory = directory
        self.checkpoints = checkpoints
    }

    /// One run folder; `written`: when its report was written (runs of one kind appear in the order they ran).
    struct Run {
        let name: String, kind: RunKind, files: [String], written: Double
    }

    /// Run folders holding a report or a figure, in report order (kind, then the order they ran, then name).
    func runs() throws -> [Run] {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDir), isDir.boolValue else {
            throw GhostError.file(directory, "no such directory")
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { name in
            var d: ObjCBool = false
            return !name.hasPrefix(".")
                && FileManager.default.fileExists(atPath: directory + "/" + name, isDirectory: &d)
                && d.boolValue
        }
        return names.compactMap { name -> Run? in
            let files = ((try? FileManager.default.contentsOfDirectory(atPath: directory + "/" + name)) ?? [])
                .filter { !$0.hasPrefix(".") }.sorted()
            guard files.contains(where: { $0.hasSuffix(".md") || $0.hasSuffix(".png") }) else { return nil }
            let path = directory + "/" + name + "/" + (files.first { $0.hasSuffix(".md") } ?? "")
            let written =
                (try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date)
                .flatMap { $0 }?.timeIntervalSince1970 ?? 0
            return Run(name: name, kind: RunKind.of(folder: name, files: files), files: files, written: written)
        }.sorted { ($0.kind, $0.written, $0.name) < ($1.kind, $1.written, $1.name) }
    }

    /// The page, and how many runs and provenance files it shows.
    public func render(generated: Date = Date()) throws -> (html: String, runs: Int, provenance: Int) {
        let runs = try runs()
        let provenance = ((try? FileManager.default.contentsOfDirectory(atPath: checkpoints)) ?? []).sorted()
            .filter { $0.hasSuffix(".json") }.compactMap { Self.provenanceSection(checkpoints + "/" + $0) }
        var body = ""
        var toc: [String] = []
        for run in runs {
            let (title, html) = section(run)
            let id = MarkdownHTML.escape(run.name)
            toc.append("<li><a href=\"#\(id)\">\(MarkdownHTML.escape(title))</a></li>")
            body += "<section id=\"\(id)\">\n" + html + "</section>\n"
        }
        if !provenance.isEmpty {
            toc.append("<li><a href=\"#checkpoints\">Checkpoints and their provenance</a></li>")
            body +=
                "<section id=\"checkpoints\"><h2>Checkpoints and their provenance</h2>\n" + provenance.joined()
                + "</section>\n"
        }
        let meta =
            "Generated \(ISO8601DateFormatter().string(from: generated)) from "
            + "<code>\(MarkdownHTML.escape(directory))/</code>"
            + " and <code>\(MarkdownHTML.escape(checkpoints))/</code>. Every figure links to its PNG, SVG and PDF."
        let page = ReportPage(title: "GhostKit report", meta: meta, toc: toc, body: body)
        return (page.html, runs.count, provenance.count)
    }

    /// Writes the page atomically to `path`; returns the counts.
    @discardableResult
    public func write(to path: String) throws -> (runs: Int, provenance: Int) {
        let r = try render()
        try AtomicFile.write(Data(r.html.utf8), to: path)
        return (r.runs, r.provenance)
    }

    /// A run's heading and body: its Markdown (the first heading becomes the section title), then its other
    /// figures with captions, then links to its data files.
    func section(_ run: Run) -> (title: String, html: String) {
        let base = run.name + "/"
        var html = ""
        var title = run.kind.heading + ": " + run.name
        var shown = Set<String>()
        for md in run.files where md.hasSuffix(".md") {
            var text = (try? String(contentsOfFile: directory + "/" + run.name + "/" + md, encoding: .utf8)) ?? ""
            if html.isEmpty, text.hasPrefix("# "), let nl = text.firstIndex(of: "\n") {
                title = String(text[text.index(text.startIndex, offsetBy: 2)..<nl])
                text = String(text[nl...])
            }
            html +=
                "<div class=\"md\">" + MarkdownHTML.render(text, base: base, caption: FigureCaptions.caption)
                + "</div>\n"
            for png in run.files where png.hasSuffix(".png") && text.contains("(\(png))") { shown.insert(png) }
        }
        let head =
            "<h2>\(MarkdownHTML.escape(title))</h2>\n<p class=\"meta\">\(MarkdownHTML.escape(run.kind.heading)) · "
            + "folder <code>\(MarkdownHTML.escape(run.name))/</code></p>\n"
        let rest = run.files.filter { $0.hasSuffix(".png") && !shown.contains($0) }
        if !rest.isEmpty {
            html +=
                "<div class=\"figures\">"
                + rest.map { f in
                    let src = base + f
                    return
                        "<figure><a href=\"\(MarkdownHTML.escape(src))\">"
                        + "<img src=\"\(MarkdownHTML.escape(src))\" alt=\""
                        + "\(MarkdownHTML.escape(f))\"></a><figcaption>"
                        + MarkdownHTML.escape(FigureCaptions.caption(f) ?? f) + MarkdownHTML.formats(src)
                        + "</figcaption></figure>"
                }.joined() + "</div>\n"
        }
        let data = run.files.filter { [".csv", ".json", ".h5", ".safetensors"].contains(where: $0.hasSuffix) }
        if !data.isEmpty {
            html +=
                "<p class=\"files\">Data files: "
                + data.map {
                    "<a href=\"\(MarkdownHTML.escape(base + $0))\">\(MarkdownHTML.escape($0))</a>"
                }.joined(separator: " · ") + "</p>\n"
        }
        return (title, head + html)
    }

    /// A checkpoint's provenance JSON as a table (architecture in words, accuracies with their test-set size)
    /// plus the commands that made it; nil for JSON files that are not provenance.
    static func provenanceSection(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path),
            let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any], json["sha256"] != nil
        else { return nil }
        let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        let testImages = (json["dataset"] as? String).flatMap(Self.testImages)
        var rows: [(String, String)] = []
        if let c = json["checkpoint"] { rows.append(("file", "\(c)")) }
        if let a = json["architecture"] as? [String: Any] { rows.append(("architecture", Self.architectureInWords(a))) }
        if let d = json["dataset"] { rows.append(("data", "\(d)")) }
        if let p = json["params"] as? Int { rows.append(("parameters", String(format: "%.2f M", Double(p) / 1e6))) }
        if let m = json["macs_28x28"] as? Int {
            rows.append(("MACs per 28×28 image", String(format: "%.1f M", Double(m) / 1e6)))
        }
        if let e = json["epochs"] { rows.append(("epochs", "\(e)")) }
        let sizeNote = testImages.map { " on \($0) test images" } ?? " (test-set size not recorded)"
        if let a = json["test_accuracy"] as? Double {
            rows.append(("test accuracy", String(format: "%.2f %%", 100 * a) + sizeNote))
        }
        if let conv = json["conversion"] as? [String: Any] {
            var parts: [String] = []
            if let s = conv["s"], let d = conv["d"] { parts.append("s = \(s), d = \(d)") }
            if let m = conv["mode"] { parts.append("\(m)") }
            if let c = conv["calibration_images"] { parts.append("\(c) calibration images") }
            if let a = conv["test_accuracy_right_after_conversion"] as? Double {
                parts.append(String(format: "%.2f %% right after conversion", 100 * a))
            }
            if let a = conv["test_accuracy_after_adabn"] as? Double {
                parts.append(String(format: "%.2f %% after BN recalibration", 100 * a))
            }
            rows.append(
                ("conversion", parts.joined(separator: ", ") + (parts.contains { $0.contains("%") } ? sizeNote : "")))
        }
        if let w = json["wall_time_seconds"] as? Double {
            rows.append(("training time", String(format: "%.0f s (%.1f min)", w, w / 60)))
        }
        if let n = json["note"] { rows.append(("note", "\(n)")) }
        if let s = json["sha256"] { rows.append(("sha256", "\(s)")) }
        if let c = json["created"] { rows.append(("created", "\(c)")) }
        var html = "<h3>\(MarkdownHTML.escape(name))</h3>\n<table class=\"kv\">\n"
        for (k, v) in rows { html += "<tr><th>\(MarkdownHTML.escape(k))</th><td>\(MarkdownHTML.escape(v))</td></tr>\n" }
        html += "</table>\n"
        if let commands = json["commands"] as? [String], !commands.isEmpty {
            html +=
                "<p class=\"files\">Commands that made it:</p><pre><code>"
                + commands.map(MarkdownHTML.escape).joined(separator: "\n") + "</code></pre>\n"
        }
        return html
    }

    /// The test-set size in a provenance "dataset" string ("…/train (60000 images), …/test (10000 images)").
    static func testImages(_ dataset: String) -> Int? {
        guard let part = dataset.components(separatedBy: ", ").last(where: { $0.contains("test") }),
            let open = part.lastIndex(of: "("), let space = part[open...].firstIndex(of: " ")
        else { return nil }
        return Int(part[part.index(after: open)..<space])
    }

    /// "Ghost-ResNet-18 (s = 2, d = 3), CIFAR-style 3×3 stem, width 1, 1 input channel, 10 classes".
    public static func architectureInWords(_ a: [String: Any]) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: a),
            let arch = try? Architecture(json: String(decoding: data, as: UTF8.self))
        else { return "\(a)" }
        var parts: [String]
        switch arch.family {
        case .ghostNet(let g):
            parts = ["GhostNet", g.stem == .cifar ? "3×3 stride-1 stem" : "3×3 stride-2 stem"]
            if g.width != 1 { parts.append("width ×\(Ticks.format(g.width))") }
        case .resnet(let r):
            var name = (r.ghost == nil ? "ResNet-" : "Ghost-ResNet-") + "\(r.depth)"
            if case .cifar(let shortcut) = r.layout {
                name = "CIFAR " + name + " (option \(shortcut.rawValue) shortcuts)"
            }
            if let g = r.ghost {
                name +=
                    " (Ghost modules s = \(g.s), d = \(g.d)" + (g.blocks.map { " in \($0.count) blocks" } ?? "") + ")"
            }
            parts = [name]
            if case .imagenet(let stem, let width) = r.layout {
                parts.append(stem == .cifar ? "3×3 stride-1 stem (no max-pool)" : "ImageNet stem (7×7/2 + max-pool)")
                if width != 1 { parts.append("width ×\(Ticks.format(width))") }
            }
        }
        parts.append("\(arch.inChannels) input channel" + (arch.inChannels == 1 ? "" : "s"))
        parts.append("\(arch.numClasses) classes")
        return parts.joined(separator: ", ")
    }
}

import Foundation
import GhostIO
import GhostReport
import XCTest

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// The text of an SVG's `<title>` and `<desc>` (the labels a figure drew), or nil when it is not well-formed XML
/// with an `<svg>` root.
final class SVGLabels: NSObject, XMLParserDelegate {
    private var inside = false, root: String?
    private(set) var text = ""

    static func read(_ path: String) -> String? {
        guard let parser = XMLParser(contentsOf: URL(fileURLWithPath: path)) else { return nil }
        let d = SVGLabels()
        parser.delegate = d
        guard parser.parse(), d.root == "svg" else { return nil }
        return d.text
    }

    func parser(
        _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        if root == nil { root = name }
        if name == "desc" || name == "title" { inside = true }
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        if name == "desc" || name == "title" {
            inside = false
            text += "\n"
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { if inside { text += string } }
}

/// Checks the files a figure writer produced: `<base>.png` decodes at `size` pixels, `<base>.svg` is XML with
/// every string of `labels` among its labels, `<base>.pdf` is a PDF; and no temp file is left in the folder.
func assertFigure(
    _ base: String, size: (width: Int, height: Int)? = nil, labels: [String],
    file: StaticString = #filePath, line: UInt = #line
) throws {
    let png = try PNGFile.read(path: base + ".png", channels: 3)
    if let size {
        XCTAssertEqual(png.shape, [3, size.height, size.width], "\(base).png size", file: file, line: line)
    }
    guard let svgText = SVGLabels.read(base + ".svg") else {
        return XCTFail("\(base).svg does not parse as SVG", file: file, line: line)
    }
    for l in labels {
        XCTAssertTrue(svgText.contains(l), "'\(l)' not in \(base).svg: \(svgText)", file: file, line: line)
    }
    let pdf = try XCTUnwrap(FileManager.default.contents(atPath: base + ".pdf"), file: file, line: line)
    XCTAssertEqual(String(decoding: pdf.prefix(5), as: UTF8.self), "%PDF-", file: file, line: line)
    let dir = (base as NSString).deletingLastPathComponent
    let temps = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.contains(".tmp-") }
    XCTAssertEqual(temps, [], "temp files left", file: file, line: line)
}

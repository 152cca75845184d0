import Foundation
import GhostReport
import GhostTestSupport
import XCTest

/// The report page: study order, one heading per run, captions, architecture in words, test-set sizes.
final class HTMLReportTests: XCTestCase {
    func testOrderHeadingsCaptionsAndProvenance() throws {
        let dir = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fm = FileManager.default
        for run in ["ablation-x", "convert-r18", "fit-kernels-r18", "scan-r18", "zzz"] {
            try fm.createDirectory(atPath: dir + "/runs/" + run, withIntermediateDirectories: true)
        }
        try "# Redundancy scan: r18\n\n| layer | r |\n|---|---|\n| layer1.0 | 0.9 |\n\n![figure 1](figure1.png)\n"
            .write(toFile: dir + "/runs/scan-r18/report.md", atomically: true, encoding: .utf8)
        try "# Fits\n\ntext\n".write(toFile: dir + "/runs/fit-kernels-r18/report.md", atomically: true, encoding: .utf8)
        try "# Conversion\n\ntext\n".write(
            toFile: dir + "/runs/convert-r18/report.md", atomically: true, encoding: .utf8)
        try "# Ablation\n".write(toFile: dir + "/runs/ablation-x/ablation.md", atomically: true, encoding: .utf8)
        for path in ["scan-r18/figure1.png", "scan-r18/redundancy.png", "zzz/mystery.png"] {
            try PNGFileStub.write(dir + "/runs/" + path)
        }
        try fm.createDirectory(atPath: dir + "/ckpts", withIntermediateDirectories: true)
        try #"""
        {"sha256": "abc", "test_accuracy": 0.9312, "architecture": {"family": "resnet", "depth": 18, "stem": "cifar",
         "width": 1, "in_channels": 1, "num_classes": 10, "ghost": {"s": 2, "d": 3}},
         "dataset": "fashion-mnist/train (60000 images), fashion-mnist/test (10000 images)",
         "commands": ["ghostkit train --arch resnet18"]}
        """#.write(toFile: dir + "/ckpts/m.json", atomically: true, encoding: .utf8)
        let (html, runs, provenance) = try HTMLReport(directory: dir + "/runs", checkpoints: dir + "/ckpts").render()
        XCTAssertEqual(runs, 5)
        XCTAssertEqual(provenance, 1)
        let order = [
            "Redundancy scan: r18", "<h2>Fits", "<h2>Conversion", "<h2>Ablation", "zzz",
            "Checkpoints and their provenance",
        ]
        .map { html.range(of: $0, range: html.range(of: "</nav>")!.upperBound..<html.endIndex)?.lowerBound }
        XCTAssertFalse(order.contains(nil), "\(order)")
        XCTAssertEqual(
            order.compactMap { $0 }, order.compactMap { $0 }.sorted(), "scan, Table 2, conversion, then the rest")
        XCTAssertEqual(html.components(separatedBy: "Redundancy scan: r18</h2>").count, 2, "one heading, not repeated")
        XCTAssertTrue(html.contains("<td>layer1.0</td>"), "tables as tables")
        XCTAssertTrue(html.contains("Figure 1 analogue: one test image"), "figure1 caption says what it shows")
        XCTAssertTrue(html.contains("Share of each layer"), "the gallery's redundancy.png is captioned too")
        XCTAssertTrue(html.contains("<figcaption>mystery.png"), "unknown figures fall back to their name")
        XCTAssertTrue(html.contains("redundancy.svg\">SVG</a>"))
        XCTAssertTrue(
            html.contains("Ghost-ResNet-18 (Ghost modules s = 2, d = 3), 3×3 stride-1 stem"), "architecture in words")
        XCTAssertFalse(html.contains("\"family\""), "no raw JSON")
        XCTAssertTrue(html.contains("93.12 % on 10000 test images"), "test-set size beside the accuracy")
        XCTAssertTrue(html.contains("ghostkit train --arch resnet18"))
        XCTAssertThrowsError(try HTMLReport(directory: dir + "/none", checkpoints: dir).render()) {
            XCTAssertTrue("\($0)".contains(dir + "/none"))
        }
    }
}

/// A 2×2 white PNG on disk.
enum PNGFileStub {
    static func write(_ path: String) throws {
        try Figure(width: 1, height: 1, title: "stub") { _ in }.write(to: path, formats: [.png])
    }
}

import GhostIO
import GhostReport
import XCTest

final class MarkdownHTMLTests: XCTestCase {
    func testReportSubset() {
        let md = """
            # Title <x>

            Some `code` and **bold** and *it*; see [file](report.csv).

            | a | b |
            |---|---|
            | 1 & 2 | ![fig](f.png) |

            - one
            - two
            """
        let html = MarkdownHTML.render(md, base: "run/")
        XCTAssertTrue(html.contains("<h2>Title &lt;x&gt;</h2>"), html)
        XCTAssertTrue(
            html.contains("<code>code</code>") && html.contains("<b>bold</b>") && html.contains("<i>it</i>"), html)
        XCTAssertTrue(html.contains("<a href=\"run/report.csv\">file</a>"), html)
        XCTAssertTrue(html.contains("<tr><th>a</th><th>b</th></tr>"), html)
        XCTAssertTrue(html.contains("<td>1 &amp; 2</td><td><img alt=\"fig\" src=\"run/f.png\"></td>"), html)
        XCTAssertFalse(html.contains("---"), "the separator row is not a table row")
        XCTAssertTrue(html.contains("<ul><li>one</li><li>two</li></ul>"), html)
    }

    func testScriptIsEscapedNotInjected() {
        let html = MarkdownHTML.render("<script>alert(1)</script> ![x](\"onerror=1.png)")
        XCTAssertFalse(html.contains("<script>"), html)
    }
}

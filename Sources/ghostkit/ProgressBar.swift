import Foundation

/// A one-line progress bar with ETA on stderr (plain lines when stderr is not a terminal).
final class ProgressBar {
    let total: Int
    let label: String
    let start = Date()
    let interactive = isatty(2) != 0
    var lastPrint = Date.distantPast

    init(total: Int, label: String) {
        self.total = total
        self.label = label
    }

    func update(_ done: Int, _ detail: String) {
        let now = Date()
        guard done == total || now.timeIntervalSince(lastPrint) >= (interactive ? 0.2 : 10) else { return }
        lastPrint = now
        let elapsed = now.timeIntervalSince(start)
        let eta = done > 0 ? elapsed / Double(done) * Double(total - done) : 0
        let width = 24
        let filled = total > 0 ? width * done / total : width
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        let line = "\(label) \(bar) \(done)/\(total) \(detail) ETA \(Self.clock(eta))"
        FileHandle.standardError.write(
            ((interactive ? "\r\u{1B}[2K" : "") + line + (interactive ? "" : "\n")).data(using: .utf8)!)
    }

    func finish() { if interactive { FileHandle.standardError.write("\n".data(using: .utf8)!) } }

    static func clock(_ s: Double) -> String {
        let t = Int(s.rounded())
        return t >= 3600
            ? String(format: "%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60) : String(format: "%d:%02d", t / 60, t % 60)
    }
}

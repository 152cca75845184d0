import Foundation
import FuzzSupport
import GhostAnalysis

/// Any bytes as the pairs.json that fit-kernels reads; an accepted file must only list pairs
/// inside their layer's channels, and its summary table must render.
@main enum FuzzPairsJSON: FuzzTarget {
    static func test(_ bytes: UnsafeRawBufferPointer) {
        guard let report = try? ScanReport.decode(Data(bytes), path: "fuzz/pairs.json") else { return }
        for layer in report.layers {
            for p in layer.topPairs { precondition((0..<layer.channels).contains(p.a) && (0..<layer.channels).contains(p.b)) }
        }
        _ = report.summaryTable()
    }
}

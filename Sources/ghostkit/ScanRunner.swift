import ArgumentParser
import Foundation
import GhostAnalysis
import GhostCheckpoint
import GhostDistributed
import GhostReport

/// The terminal side of a scan or dump: a progress bar, then the figures and the pair search's speed.
enum ScanRunner {
    /// Runs `config` (or prints the layer names when `listLayers`); nil when it only listed.
    static func run(_ config: ScanConfig, listLayers: Bool = false) throws -> ScanResult? {
        if listLayers {
            let (model, _) = try Checkpoint(path: config.checkpointPath, architecture: config.architecture).makeModel()
            print(ScanRun.availableLayers(model, dumpOnly: config.dumpOnly).joined(separator: "\n"))
            return nil
        }
        if let p = config.problem() { throw ValidationError(p) }  // the flag and its range, with the usage
        var bar: ProgressBar?
        var result = try ScanRun.run(config) { done, total in
            if bar == nil { bar = ProgressBar(total: total, label: config.dumpOnly ? "dump" : "scan") }
            bar?.update(done, "")
        } note: { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
        bar?.finish()
        guard !config.dumpOnly, config.communicator.isRoot else { return result }  // rank 0 writes the figures
        result.written += try ScanFigures.writeRedundancy(result.report, to: result.dir)
        let grid = result.report.gridLayer
        if let maps = result.gridMaps, let layer = result.report.layers.first(where: { $0.layer == grid }) {
            result.written += try ScanFigures.write(maps: maps, layer: layer, report: result.report,
                                                    label: result.gridLabel, to: result.dir)
        }
        let gflops = result.analysisFLOPs / 1e9
        FileHandle.standardError.write(Data(String(format: "pair search: %.2f GFLOP in %.2f s (%.1f GFLOP/s)\n",
            gflops, result.analysisSeconds, gflops / max(result.analysisSeconds, 1e-9)).utf8))
        return result
    }
}

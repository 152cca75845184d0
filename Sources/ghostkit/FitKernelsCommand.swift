import ArgumentParser
import Foundation
import GhostAnalysis
import GhostCheckpoint
import GhostIO
import GhostReport
import GhostTensor

/// `ghostkit fit-kernels`: d×d depthwise fits between the scan's ghost pairs (and random control pairs),
/// the paper's Table 2 analogue.
struct FitKernelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fit-kernels",
        abstract: "Fit d×d depthwise kernels between similar channel pairs: the Table-2 MSE report with a random-pair control.",
        discussion: """
        Reads pairs.json and activations.h5 of a scan (running the scan first when there is none).
          ghostkit fit-kernels                               # embedded checkpoint, its default scan
          ghostkit fit-kernels --scan outputs/scan-resnet18-fmnist --sizes 1,3,5,7,9 --normalization raw
          ghostkit fit-kernels --checkpoint my.safetensors --images 32
        Writes outputs/fit-kernels-<model>/: report.md, report.csv, report.json, mse-vs-d.png, triplet-{red,green,blue}.png.
        """)

    @Option(help: "Scan directory holding pairs.json and activations.h5 (default: outputs/scan-<model>).") var scan: String?
    @Option(help: "Checkpoint (default: the embedded one); scanned first if its scan directory has no pairs.json.") var checkpoint: String?
    @OptionGroup var engine: EngineOptions
    @Option(help: "Kernel sizes d (odd, comma-separated).") var sizes: String = "1,3,5,7"
    @Option(help: "Map normalisation: minmax (each map to [0, 1]), raw or standardize.") var normalization: String = "minmax"
    @Flag(help: "Fit without a bias term.") var noBias = false
    @Option(help: "Ghost pairs per layer taken from pairs.json (0 = all listed).") var topK: Int = 0
    @Option(help: "Random control pairs per layer.") var randomPairs: Int = 16
    @Option(help: "Seed of the random control pairs.") var seed: UInt64 = 0
    @Option(help: "Fit over the first N images of the dump (0 = all).") var images: Int = 0
    @Option(help: "Image shown in the triplet PNGs (default: the scan's Figure-1 image).") var imageIndex: Int?
    @Option(help: "Output directory (default: outputs/fit-kernels-<model>).") var out: String?

    func run() throws {
        try engine.apply()
        let ds = try parseSizes(sizes)
        guard let norm = MapNormalization(rawValue: normalization) else {
            throw ValidationError("unknown --normalization '\(normalization)' (valid: \(MapNormalization.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        guard topK >= 0, randomPairs >= 0, images >= 0 else { throw ValidationError("--top-k, --random-pairs and --images must be ≥ 0") }
        let scanDir = try resolveScan()
        let pairsFile = try ScanReport.read(scanDir + "/pairs.json")
        let h5 = try ActivationReader(path: scanDir + "/activations.h5")
        let t0 = Date()
        var fitted: [PairFit] = []
        var tableMaps: [String: (source: [Double], target: [Double], fit: FittedKernel, shape: (Int, Int))] = [:]
        let shown = imageIndex ?? pairsFile.imageIndex
        for layer in pairsFile.layers {
            guard h5.layerNames.contains(layer.layer) else {
                throw GhostError.file(h5.path, "has no layer '\(layer.layer)' (listed in \(scanDir)/pairs.json; the file has \(h5.layerNames.joined(separator: ", ")))")
            }
            let shape = try h5.shape("layers/" + layer.layer)
            guard shape.count == 4, shape[1] == layer.channels else {
                throw GhostError.file(h5.path, "layer '\(layer.layer)' has shape \(shape), pairs.json says \(layer.channels) channels")
            }
            let n = images > 0 ? min(images, shape[0]) : shape[0]
            guard shown >= 0 && shown < n else { throw GhostError("--image-index \(shown) is outside the \(n) images used") }
            let x = try h5.read("layers/" + layer.layer, count: n)
            let ghosts = Array(topK > 0 ? layer.topPairs.prefix(topK) : layer.topPairs[...])
            for p in ghosts where !(0..<layer.channels).contains(p.a) || !(0..<layer.channels).contains(p.b) {
                throw GhostError.file(scanDir + "/pairs.json", "pair \(p.a)~\(p.b) of '\(layer.layer)' is outside its \(layer.channels) channels")
            }
            let ghostPairs = ghosts.map { (a: $0.a, b: $0.b) }
            let randoms = PairFitting.randomPairs(channels: layer.channels, count: randomPairs, excluding: ghostPairs,
                                                  seed: seed &+ UInt64(fitted.count))
            let all = ghostPairs + randoms
            let fits = PairFitting.fit(x, pairs: all, sizes: ds, normalization: norm, bias: !noBias)
            for (i, p) in all.enumerated() {
                let isGhost = i < ghosts.count
                let label = isGhost && layer.layer == pairsFile.gridLayer && i < 3 ? ScanFigures.pairColors[i].name : nil
                var others: [String: [Double]]?
                if label != nil {
                    others = [:]
                    for mode in MapNormalization.allCases where mode != norm {
                        others![mode.rawValue] = PairFitting.fit(x, pairs: [p], sizes: ds, normalization: mode, bias: !noBias)[0].map(\.mse)
                    }
                    let hw = shape[2] * shape[3]
                    let src = PairFitting.maps(x, channel: p.a, normalization: norm), tgt = PairFitting.maps(x, channel: p.b, normalization: norm)
                    tableMaps[label!] = (Array(src[(shown * hw)..<((shown + 1) * hw)]), Array(tgt[(shown * hw)..<((shown + 1) * hw)]),
                                         fits[i].last!, (shape[2], shape[3]))
                }
                fitted.append(PairFit(layer: layer.layer, a: p.a, b: p.b,
                                      correlation: isGhost ? ghosts[i].correlation : correlation(x, p.a, p.b),
                                      kind: isGhost ? .ghost : .random, label: label, fits: fits[i], otherNormalizations: others))
            }
        }
        let seconds = Date().timeIntervalSince(t0)
        let report = FitKernelsReport(model: pairsFile.model, checkpoint: pairsFile.checkpoint, scan: scanDir, sizes: ds, normalization: norm,
                                      bias: !noBias, images: images > 0 ? min(images, pairsFile.images) : pairsFile.images,
                                      tableLayer: pairsFile.gridLayer, pairs: fitted, seconds: seconds)
        let dir = out ?? "outputs/fit-kernels-\(pairsFile.model)"
        try OutputDirectory.create(dir)
        var written = try report.write(to: dir)
        written += try FitKernelsFigures.write(report, to: dir)
        for (label, m) in tableMaps.sorted(by: { $0.key < $1.key }) {
            let (H, W) = m.shape
            let fittedMap = KernelFit.apply(m.fit, to: m.source, height: H, width: W)
            let three = Tensor(shape: [3, H, W], values: (m.source + m.target + fittedMap).map { Float($0) })
            var grid = FeatureMapGrid()
            grid.columns = 3
            grid.scale = max(1, 160 / max(W, 1))
            grid.padding = 8
            grid.normalization = .global
            let p = fitted.first { $0.label == label }!
            let caption = "\(p.layer) \(p.a) -> \(p.b): source, target, fit d=\(m.fit.d) (MSE \(String(format: "%.2f", m.fit.mse * 1e3))e-3)"
            try PNGFile.write(ScanFigures.captioned(grid.render(three), caption), to: dir + "/triplet-\(label).png")
            written.append(dir + "/triplet-\(label).png")
        }
        print(report.summaryTable())
        FileHandle.standardError.write(String(format: "fitted %d pairs × %d sizes in %.2f s\n", fitted.count, ds.count, seconds).data(using: .utf8)!)
        print("wrote " + written.joined(separator: ", "))
    }

    /// The scan directory to read, running the scan first when it has no pairs.json.
    func resolveScan() throws -> String {
        if let scan {
            guard FileManager.default.fileExists(atPath: scan + "/pairs.json") else {
                throw GhostError.file(scan + "/pairs.json", "no such file (run ghostkit scan --out \(scan) first)")
            }
            return scan
        }
        let ckpt = try checkpoint ?? ScanPipeline.defaultCheckpoint()
        let dir = ScanPipeline.defaultOutput("scan", checkpoint: ckpt)
        if FileManager.default.fileExists(atPath: dir + "/pairs.json") {
            let previous = try ScanReport.read(dir + "/pairs.json")
            if previous.sha256 == (try SHA256.hex(file: ckpt)) { return dir }
        }
        FileHandle.standardError.write("no scan of \(ckpt) in \(dir): scanning first\n".data(using: .utf8)!)
        var pipeline = ScanPipeline(checkpointPath: ckpt, architecture: nil)
        pipeline.outDir = dir
        pipeline.overwrite = true
        _ = try pipeline.run()
        return dir
    }

    /// Pearson r between channels a and b over every pixel of every image.
    func correlation(_ x: Tensor, _ a: Int, _ b: Int) -> Float {
        let u = PairFitting.maps(x, channel: a, normalization: .raw), v = PairFitting.maps(x, channel: b, normalization: .raw)
        let n = Double(u.count)
        let mu = u.reduce(0, +) / n, mv = v.reduce(0, +) / n
        var suv = 0.0, suu = 0.0, svv = 0.0
        for i in u.indices { suv += (u[i] - mu) * (v[i] - mv); suu += (u[i] - mu) * (u[i] - mu); svv += (v[i] - mv) * (v[i] - mv) }
        return suu > 0 && svv > 0 ? Float(suv / (suu * svv).squareRoot()) : 0
    }
}

/// Parses "1,3,5,7" into odd kernel sizes ≥ 1, ascending.
func parseSizes(_ spec: String) throws -> [Int] {
    let parts = spec.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    let values = parts.compactMap { Int($0) }
    guard !values.isEmpty, values.count == parts.count else { throw ValidationError("--sizes must be comma-separated integers, got '\(spec)'") }
    for d in values where d < 1 || d % 2 == 0 {
        throw ValidationError("kernel size \(d) is invalid: d must be odd and ≥ 1 (\"same\" padding needs a centre tap)")
    }
    return Array(Set(values)).sorted()
}

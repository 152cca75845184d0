import Foundation
import GhostDistributed
import GhostIO
import GhostTensor

/// What `ghostkit fit-kernels` fits: the typed form of its flags.
public struct FitKernelsConfig {
    /// Scan directory holding pairs.json and activations.h5.
    public var scanDir: String
    /// Kernel sizes d (odd, ascending).
    public var sizes = [1, 3, 5, 7]
    public var normalization = MapNormalization.minmax
    public var bias = true
    /// Ghost pairs per layer taken from pairs.json (0 = all listed).
    public var topK = 0
    /// Random control pairs per layer, and their seed.
    public var randomPairs = 16, seed: UInt64 = 0
    /// Fit over the first N images of the dump (0 = all).
    public var images = 0
    /// Image shown in the triplets (nil: the scan's Figure-1 image).
    public var imageIndex: Int?
    /// Images read from the dump at a time (nil: as many as fit in `defaultReadBytes`); memory is flat in the
    /// number of images, the sums (and so the fits) the same for any value up to rounding.
    public var imagesPerRead: Int?
    /// Bytes of activations read at a time by default (64 MiB).
    public static let defaultReadBytes = 64 << 20
    /// The job: under mpirun each rank sums its contiguous share of the images (`Shard`) and the sums are
    /// all-reduced before the fits are solved, so every rank holds the one-process report.
    public var communicator: Communicator = SingleProcess()

    public init(scanDir: String) { self.scanDir = scanDir }
}

/// One labelled pair's maps for one image: source, target and the fit's reconstruction of the target.
public struct FitTriplet {
    public let label: String
    public let pair: PairFit
    public let source: [Double], target: [Double], fitted: [Double]
    public let height: Int, width: Int
    /// Index of the image shown among the scanned ones.
    public let image: Int
    /// The largest-d fit drawn.
    public let fit: FittedKernel
}

/// The Table-2 analogue: exact least-squares d×d depthwise fits from each pair's source map to its target map over
/// every scanned image, for the scan's ghost pairs and a control of random pairs. The dump is read a batch of
/// images at a time and each pair's normal equations summed (`PairFitSums`), so memory does not grow with images.
public enum FitKernelsRun {
    /// Labels of the three best pairs of the Figure-1 layer, as in the paper's Figure 1.
    public static let pairLabels = ["red", "green", "blue"]

    /// Runs the fits; returns the report and the labelled pairs' maps for the triplet figures.
    public static func run(_ c: FitKernelsConfig) throws -> (report: FitKernelsReport, triplets: [FitTriplet]) {
        guard c.topK >= 0, c.randomPairs >= 0, c.images >= 0 else {
            throw GhostError("--top-k, --random-pairs and --images must be ≥ 0")
        }
        let scanDir = c.scanDir
        let pairsFile = try ScanReport.read(scanDir + "/pairs.json")
        let h5 = try ActivationReader(path: scanDir + "/activations.h5")
        let t0 = Date()
        var fitted: [PairFit] = []
        var triplets: [FitTriplet] = []
        let shown = c.imageIndex ?? pairsFile.imageIndex
        for layer in pairsFile.layers {
            guard h5.layerNames.contains(layer.layer) else {
                throw GhostError.file(
                    h5.path,
                    "has no layer '\(layer.layer)' (listed in \(scanDir)/pairs.json; the "
                        + "file has \(h5.layerNames.joined(separator: ", ")))")
            }
            let shape = try h5.shape("layers/" + layer.layer)
            guard shape.count == 4, shape[1] == layer.channels else {
                throw GhostError.file(
                    h5.path,
                    "layer '\(layer.layer)' has shape \(shape), pairs.json says "
                        + "\(layer.channels) channels")
            }
            let n = c.images > 0 ? min(c.images, shape[0]) : shape[0]
            guard shown >= 0 && shown < n else {
                throw GhostError("--image-index \(shown) is outside the \(n) images used")
            }
            let ghosts = Array(c.topK > 0 ? layer.topPairs.prefix(c.topK) : layer.topPairs[...])
            for p in ghosts where !(0..<layer.channels).contains(p.a) || !(0..<layer.channels).contains(p.b) {
                throw GhostError.file(
                    scanDir + "/pairs.json",
                    "pair \(p.a)~\(p.b) of '\(layer.layer)' is outside "
                        + "its \(layer.channels) channels")
            }
            let ghostPairs = ghosts.map { (a: $0.a, b: $0.b) }
            let randoms = PairFitting.randomPairs(
                channels: layer.channels, count: c.randomPairs,
                excluding: ghostPairs, seed: c.seed &+ UInt64(fitted.count))
            let all = ghostPairs + randoms
            func label(_ i: Int) -> String? {
                i < ghosts.count && layer.layer == pairsFile.gridLayer && i < 3 ? pairLabels[i] : nil
            }
            let otherModes = MapNormalization.allCases.filter { $0 != c.normalization }
            var sums = all.indices.map { i in
                PairFitSums(
                    a: all[i].a, b: all[i].b, maxD: c.sizes.max() ?? 1, bias: c.bias,
                    otherModes: label(i) != nil ? otherModes : [])
            }
            let perImage = shape.dropFirst().reduce(1, *)
            let step = max(1, c.imagesPerRead ?? FitKernelsConfig.defaultReadBytes / 4 / max(perImage, 1))
            var shownMaps: Tensor?
            let comm = c.communicator
            let mine = Shard.range(count: n, parts: comm.size, index: comm.rank)
            for start in stride(from: mine.lowerBound, to: mine.upperBound, by: step) {
                let x = try h5.read("layers/" + layer.layer, start: start, count: min(step, mine.upperBound - start))
                try PairFitting.checkFinite(x, layer: layer.layer, file: h5.path, firstImage: start)
                sums.withUnsafeMutableBufferPointer { out in
                    let out = out
                    Engine.parallelFor(out.count) { i in out[i].add(x, normalization: c.normalization) }
                }
                if (start..<(start + x.shape[0])).contains(shown) {
                    shownMaps = Tensor(uninitialized: [1] + Array(shape.dropFirst()))
                    shownMaps!.uncheckedMutablePointer.update(
                        from: x.readPointer + (shown - start) * perImage, count: perImage)
                }
            }
            PairFitSums.allReduce(&sums, comm)
            if shownMaps == nil && all.indices.contains(where: { label($0) != nil }) {
                shownMaps = try h5.read("layers/" + layer.layer, start: shown, count: 1)  // another rank's image
            }
            for (i, p) in all.enumerated() {
                let isGhost = i < ghosts.count
                let others =
                    label(i) == nil
                    ? nil
                    : Dictionary(
                        uniqueKeysWithValues: otherModes.map {
                            ($0.rawValue, sums[i].others[$0]!.solve(sizes: c.sizes).map(\.mse))
                        })
                let fit = PairFit(
                    layer: layer.layer, a: p.a, b: p.b,
                    correlation: isGhost ? ghosts[i].correlation : sums[i].correlation,
                    kind: isGhost ? .ghost : .random, label: label(i),
                    fits: sums[i].main.solve(sizes: c.sizes), otherNormalizations: others)
                fitted.append(fit)
                if let l = label(i), let shownMaps {
                    triplets.append(
                        triplet(
                            shownMaps, fit, label: l, image: shown, normalization: c.normalization,
                            height: shape[2], width: shape[3]))
                }
            }
        }
        let report = FitKernelsReport(
            model: pairsFile.model, checkpoint: pairsFile.checkpoint, scan: scanDir, sizes: c.sizes,
            normalization: c.normalization, bias: c.bias,
            images: c.images > 0 ? min(c.images, pairsFile.images) : pairsFile.images,
            tableLayer: pairsFile.gridLayer, pairs: fitted, seconds: Date().timeIntervalSince(t0))
        return (report, triplets.sorted { $0.label < $1.label })
    }

    /// The triplet of `image`, whose maps `x` [1, C, H, W] holds.
    static func triplet(
        _ x: Tensor, _ p: PairFit, label: String, image: Int, normalization: MapNormalization,
        height: Int, width: Int
    ) -> FitTriplet {
        let source = PairFitting.maps(x, channel: p.a, normalization: normalization)
        let target = PairFitting.maps(x, channel: p.b, normalization: normalization)
        let fit = p.fits.last!
        return FitTriplet(
            label: label, pair: p, source: source, target: target,
            fitted: KernelFit.apply(fit, to: source, height: height, width: width),
            height: height, width: width, image: image, fit: fit)
    }
}

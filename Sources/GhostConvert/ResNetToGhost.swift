import GhostAnalysis
import GhostDistributed
import GhostModels
import GhostTensor

/// How one replaced conv was initialised.
public struct ConvertedUnit: Codable {
    /// Dotted name of the replaced conv ("layer1.0.conv1", "layer2.0.downsample").
    public let name: String
    public let channels: Int
    public let intrinsic: Int
    /// The module's ratio s (1: left a plain conv) and cheap kernel d (nil in reports written before per-conv ratios).
    public var s: Int?
    public var d: Int?
    /// R² of each ghost channel's d×d fit from its intrinsic source (calibration set): mean and minimum.
    public let meanR2: Double?
    public let minR2: Double?

    enum CodingKeys: String, CodingKey {
        case name, channels, intrinsic, s, d
        case meanR2 = "mean_r2"
        case minR2 = "min_r2"
    }
}

/// Turns a trained ResNet into the Ghost-ResNet of the same shape, layer by layer:
///
/// 1. every conv's BN output (before ReLU) is collected over calibration images, and its channel correlation
///    matrix picks the intrinsic channels and who regenerates whom (`IntrinsicSelection.greedy`);
/// 2. the primary conv and BN copy the trained filters and statistics of the intrinsic channels;
/// 3. each ghost channel's cheap d×d kernel (+ bias) is the exact least-squares fit from its intrinsic map
///    (after ReLU where the block has one) to its original BN output, and the cheap BN is set so it passes
///    K ⊛ x + b through unchanged while holding the real statistics of K ⊛ x;
/// 4. `output_index` puts every channel back where the original conv had it.
/// The naive variant keeps channels 0..<m and identity cheap kernels (the ablation baseline).
public enum ResNetToGhost {
    public struct Settings {
        public var ghost: GhostSettings
        public var dataDriven = true
        public init(ghost: GhostSettings, dataDriven: Bool = true) {
            self.ghost = ghost
            self.dataDriven = dataDriven
        }
    }

    /// One conv + BN of the original paired with the Ghost module that replaces it.
    public struct Site {
        public let name: String
        public let conv: Conv2D, bn: BatchNorm2D, relu: Bool
        public let module: GhostModule
        /// Observer name of the original's BN output for this conv.
        public var observed: String {
            let parts = name.split(separator: ".")
            let last = String(parts.last!)
            return parts.dropLast().joined(separator: ".") + "."
                + (last == "downsample" ? "downsample" : "bn" + last.dropFirst(4))
        }
    }

    public static func sites(original: ResNet, ghost: ResNet) throws -> [Site] {
        var out: [Site] = []
        for (i, (a, b)) in zip(original.stages, ghost.stages).enumerated() {
            for (j, (blockA, blockB)) in zip(a.layers, b.layers).enumerated() {
                // A block left plain by the settings keeps the original's weights (copied by name).
                if blockB is PlainResidualBlock { continue }
                let units = (blockA as? PlainResidualBlock)?.convUnits
                let ghosts = (blockB as? GhostResidualBlock)?.ghostUnits
                guard let units, let ghosts else {
                    throw GhostError("layer\(i + 1).\(j): not a plain ResNet block (already a Ghost model?)")
                }
                for u in units {
                    guard let g = ghosts.first(where: { $0.name == u.name }) else {
                        throw GhostError("layer\(i + 1).\(j).\(u.name) has no Ghost counterpart")
                    }
                    out.append(
                        Site(
                            name: "layer\(i + 1).\(j).\(u.name)", conv: u.conv, bn: u.bn, relu: u.relu, module: g.module
                        ))
                }
            }
        }
        return out
    }

    /// Runs the original over the calibration batches (eval mode) and hands each batch's BN outputs to `visit`.
    public static func collect(_ model: ResNet, _ batches: [Tensor], sites: [Site], _ visit: ([String: Tensor]) -> Void)
    {
        var captured: [String: Tensor] = [:]
        observing(model, sites: sites, { name, t in captured[name] = t }) {
            for x in batches {
                captured = [:]
                _ = model(x)
                visit(captured)
            }
        }
    }

    /// Runs the original over this rank's calibration batches (`batches.local`; eval mode) and hands each wanted BN
    /// output to `visit` the moment it is computed, so no batch's activations outlive their layer. Each batch is
    /// passed `CalibrationBatches.forwardImages` images at a time (`visit` sees those parts; sums over them are the
    /// batch's).
    public static func observe(
        _ model: ResNet, _ batches: CalibrationBatches, sites: [Site],
        _ visit: @escaping (String, Tensor) -> Void
    ) throws {
        try observing(model, sites: sites, visit) {
            for b in batches.local {
                let x = try batches.batch(b)
                for part in CalibrationBatches.parts(of: x) { _ = model(CalibrationBatches.images(part, of: x)) }
            }
        }
    }

    /// Runs `body` with `model` in eval mode and its observer handing the sites' BN outputs to `visit`; the
    /// observer is removed afterwards.
    private static func observing(
        _ model: ResNet, sites: [Site], _ visit: @escaping (String, Tensor) -> Void, _ body: () throws -> Void
    ) rethrows {
        let wanted = Set(sites.map(\.observed))
        model.train(false)
        model.observeInsideBlocks = true
        defer {
            model.observeInsideBlocks = false
            model.observer = nil
        }
        model.observer = { name, t in if wanted.contains(name) { visit(name, t) } }
        try body()
    }

    /// Converts with calibration batches in memory (see the streaming form).
    public static func convert(
        _ model: ImageClassifier, architecture arch: Architecture, settings: Settings,
        calibration batches: [Tensor]
    ) throws
        -> (model: ResNet, architecture: Architecture, units: [ConvertedUnit])
    {
        try convert(model, architecture: arch, settings: settings, calibration: CalibrationBatches(batches))
    }

    /// Converts `original` (architecture `arch`) using calibration batches [N, C, H, W] (normalised inputs).
    /// Channel correlations and least-squares sums are accumulated per conv as each batch's BN outputs appear
    /// (two passes over the batches), so memory does not grow with the calibration set. Under mpirun each rank passes
    /// its share of the batches and both kinds of sums are all-reduced, so every rank builds the same model.
    /// `statistics` (e.g. a guided search's, `GuidedRatios.statistics`) replaces both passes when it covers every
    /// conv's (s, d).
    public static func convert(
        _ model: ImageClassifier, architecture arch: Architecture, settings: Settings,
        calibration batches: CalibrationBatches, statistics: ConversionStatistics? = nil
    ) throws
        -> (model: ResNet, architecture: Architecture, units: [ConvertedUnit])
    {
        guard let original = model as? ResNet else {
            throw GhostError("convert needs a plain ResNet; \(arch.displayName) is not one")
        }
        guard arch.ghost == nil else {
            throw GhostError("the checkpoint is already a Ghost-ResNet (\(arch.displayName))")
        }
        var ghostArch = arch
        ghostArch.ghost = settings.ghost
        try ghostArch.validate()
        let ghost = ghostArch.buildResNet()
        // Stem, classifier and anything else with the same name and shape: copied as is.
        let source = Dictionary(original.namedParameters(), uniquingKeysWith: { a, _ in a })
        for (name, p) in ghost.namedParameters() where source[name]?.value.shape == p.value.shape {
            p.value = Tensor(shape: p.value.shape, values: source[name]!.value.scalars)
        }
        let sites = try Self.sites(original: original, ghost: ghost)
        let ratio = Dictionary(uniqueKeysWithValues: sites.map { ($0.name, settings.ghost.ratio(conv: $0.name)) })

        // 1-2. Intrinsic channels and least-squares cheap kernels per conv (`ConversionStatistics`): the shared
        // statistics when they cover every conv's (s, d), else gathered here (two passes over the batches).
        var selections: [String: IntrinsicSelection] = [:]
        var fits: [String: [FittedKernel?]] = [:]
        if settings.dataDriven {
            let wanted = { (site: Site) in [(s: ratio[site.name]!.s, d: ratio[site.name]!.d)] }
            let given = statistics.flatMap { st in sites.allSatisfy { st.covers($0.name, wanted($0)) } ? st : nil }
            let stats = try given ?? ConversionStatistics.gather(original, sites: sites, batches: batches,
                                                                 options: wanted)
            for site in sites {
                let r = ratio[site.name]!
                selections[site.name] = stats.selection(site.name, s: r.s)
                fits[site.name] = stats.fits(site.name, s: r.s, d: r.d)
            }
        } else {
            for site in sites {
                selections[site.name] = IntrinsicSelection.naive(
                    channels: site.conv.outChannels, ratio: ratio[site.name]!.s)
            }
        }

        // 3. Write the Ghost modules.
        var units: [ConvertedUnit] = []
        for site in sites {
            let sel = selections[site.name]!
            let r = ratio[site.name]!
            initialise(site, selection: sel, fits: fits[site.name], d: r.d)
            let r2 = sel.ghosts.flatMap { $0 }.compactMap { fits[site.name]?[$0]?.r2 }
            units.append(
                ConvertedUnit(
                    name: site.name, channels: site.conv.outChannels, intrinsic: sel.intrinsic.count, s: r.s, d: r.d,
                    meanR2: r2.isEmpty ? nil : r2.reduce(0, +) / Double(r2.count), minR2: r2.min()))
        }
        ghost.train(false)
        return (ghost, ghostArch, units)
    }

    /// Fills one Ghost module from the original conv + BN, a selection and (data-driven) the fitted kernels.
    static func initialise(_ site: Site, selection sel: IntrinsicSelection, fits: [FittedKernel?]?, d: Int) {
        let g = site.module
        let s = sel.ratio
        copyChannels(from: site.conv, site.bn, channels: sel.intrinsic, to: g.primaryConv, g.primaryBN)
        let slots = g.cheapConv.outChannels
        g.outputIndex.value = Tensor(shape: [sel.outputIndex.count], values: sel.outputIndex.map(Float.init))
        guard slots > 0 else { return }  // s = 1: the primary conv is the whole module
        var kernel = [Float](repeating: 0, count: slots * d * d)
        var gamma = [Float](repeating: 1, count: slots)
        var beta = [Float](repeating: 0, count: slots)
        var mean = [Float](repeating: 0, count: slots)
        var variance = [Float](repeating: 1, count: slots)
        let eps = Double(g.cheapBN.eps)
        for (k, list) in sel.ghosts.enumerated() {
            for (t, c) in list.enumerated() {
                let q = k * (s - 1) + t
                if let f = fits?[c] {
                    for i in 0..<(d * d) { kernel[q * d * d + i] = Float(f.kernel[i]) }
                    // BN(y) = γ (y − μ)/√(σ² + ε) + β with γ = √(σ² + ε), β = μ + b gives y + b, holding y's real
                    // statistics.
                    let mu = f.filteredMean ?? 0
                    let v = f.filteredVariance ?? 1
                    mean[q] = Float(mu)
                    variance[q] = Float(v)
                    gamma[q] = Float((v + eps).squareRoot())
                    beta[q] = Float(mu + f.bias)
                } else {
                    kernel[q * d * d + (d * d) / 2] = 1  // identity: the ghost starts as a copy of its intrinsic map
                    gamma[q] = Float((1 + eps).squareRoot())
                }
            }
        }
        g.cheapConv.weight.value = Tensor(shape: g.cheapConv.weight.value.shape, values: kernel)
        g.cheapBN.weight.value = Tensor(shape: [slots], values: gamma)
        g.cheapBN.bias.value = Tensor(shape: [slots], values: beta)
        g.cheapBN.runningMean.value = Tensor(shape: [slots], values: mean)
        g.cheapBN.runningVar.value = Tensor(shape: [slots], values: variance)
    }

    /// Output channels `channels` of a conv + BN into a smaller conv + BN (same input channels and kernel).
    static func copyChannels(
        from conv: Conv2D, _ bn: BatchNorm2D, channels: [Int], to dst: Conv2D, _ dstBN: BatchNorm2D
    ) {
        let per = conv.weight.value.count / conv.outChannels
        let w = Tensor(uninitialized: dst.weight.value.shape)
        for (k, c) in channels.enumerated() {
            (w.uncheckedMutablePointer + k * per).update(from: conv.weight.value.readPointer + c * per, count: per)
        }
        dst.weight.value = w
        for (from, to) in [
            (bn.weight, dstBN.weight), (bn.bias, dstBN.bias), (bn.runningMean, dstBN.runningMean),
            (bn.runningVar, dstBN.runningVar),
        ] {
            to.value = Tensor(shape: [channels.count], values: channels.map { from.value.readPointer[$0] })
        }
    }

    /// AdaBN-style recalibration: the running statistics of every BN inside a Ghost module become the
    /// cumulative mean/variance of its input over `batches` (weights and biases unchanged) The BNs keep nothing for
    /// backward meanwhile (`keepsInputForBackward`), so a pass holds one layer's activations, not every BN input.
    public static func recalibrateBatchNorm(_ model: Module, batches: [Tensor]) {
        try! recalibrateBatchNorm(model, batches: CalibrationBatches(batches))  // in-memory batches cannot throw
    }

    /// AdaBN over batches made one at a time. Under mpirun each rank averages its share of the batches, then the
    /// averages are combined weighted by batches (all-reduced), which is the one-process average over all of them.
    public static func recalibrateBatchNorm(_ model: Module, batches: CalibrationBatches) throws {
        let bns = model.namedModules().compactMap { $0.1 as? GhostModule }.flatMap { [$0.primaryBN, $0.cheapBN] }
        let momenta = bns.map(\.momentum)
        let tracked = bns.map { $0.numBatchesTracked.value.readPointer[0] }
        model.train(false)
        for bn in bns {
            bn.train(true)
            bn.keepsInputForBackward = false
        }
        defer {
            for (bn, m) in zip(bns, momenta) {
                bn.train(false)
                bn.momentum = m
                bn.keepsInputForBackward = true
            }
        }
        for (k, b) in batches.local.enumerated() {
            let x = try batches.batch(b)
            for bn in bns { bn.momentum = 1 / Float(k + 1) }
            _ = model(x)
        }
        let comm = batches.communicator
        guard comm.size > 1 else { return }
        let mine = Double(batches.local.count)
        var sums = bns.flatMap { bn in
            (0..<bn.runningMean.value.count).flatMap { c in
                [mine * Double(bn.runningMean.value.readPointer[c]), mine * Double(bn.runningVar.value.readPointer[c])]
            }
        }
        comm.allReduceSum(&sums)
        var at = 0
        for (bn, t) in zip(bns, tracked) {
            for c in 0..<bn.runningMean.value.count {
                bn.runningMean.value.uncheckedMutablePointer[c] = Float(sums[at] / Double(batches.count))
                bn.runningVar.value.uncheckedMutablePointer[c] = Float(sums[at + 1] / Double(batches.count))
                at += 2
            }
            bn.numBatchesTracked.value.uncheckedMutablePointer[0] = t + Float(batches.count)
        }
    }
}

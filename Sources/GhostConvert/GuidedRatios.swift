import Foundation
import GhostAnalysis
import GhostModels
import GhostTensor

/// Redundancy-guided conversion: a ratio s ∈ {1 (plain conv), 2, 3, 4} and a cheap kernel d ∈ {1, 3} for
/// every convertible conv, so that the converted model's MACs stay within a fraction F of the original's at
/// the least predicted damage.
///
/// The damage of option (s, d) at conv ℓ is, by default (`GuidedDamageModel.measured`), measured directly:
/// the KL divergence of the output when only ℓ is converted with its real fitted module (`GuidedDamage`).
/// The proxy (`.noise`) is `sensitivity_ℓ × residual_ℓ(s, d)`; both quantities are reported either way:
/// - residual: the fraction of the conv's BN-output energy (Σ_c Var_c over its channels, calibration set) that
///   its ghosts fail to regenerate: Σ_{ghost c} MSE_c(d) / Σ_c Var_c, with the intrinsic set that
///   `IntrinsicSelection.greedy` picks at ratio s and MSE_c the exact least-squares d×d fit's residual — the
///   very fits the conversion then uses. Plain (s = 1) has residual 0.
/// - sensitivity: measured, not assumed. White Gaussian noise of relative energy ε (per channel variance
///   ε · Var_c) is added to that conv's BN output alone on a calibration batch, and the change of the logits
///   is taken relative to their energy: sensitivity = ‖Δz‖² / ‖z‖² / ε. It is the first-order (linearised)
///   transfer of a unit of relative error at ℓ to the output, so damages add across convs when their errors
///   are uncorrelated — the assumption that makes the choice a knapsack.
///
/// The choice is exact for the bucketed costs: a 0/1 multiple-choice knapsack solved by dynamic programming
/// over MAC buckets (each option's MACs rounded up to whole buckets, so the plan never exceeds the budget).
public enum GuidedRatios {
    /// The default (s, d) options after the plain one (`GuidedSearch().grid`).
    public static var optionGrid: [(s: Int, d: Int)] { GuidedSearch().grid }

    /// One (s, d) option of one conv.
    public struct Option: Codable, Equatable {
        public let s: Int
        public let d: Int
        /// MACs of the module at this option (Profiler accounting, one image).
        public let macs: Int
        /// Fraction of the BN-output energy the ghosts miss (0 for s = 1).
        public let residual: Double
        /// The damage the knapsack minimises (measured KL, or sensitivity × residual: `Plan.damageModel`).
        public let damage: Double

        public init(s: Int, d: Int, macs: Int, residual: Double, damage: Double) {
            self.s = s; self.d = d; self.macs = macs; self.residual = residual; self.damage = damage
        }
    }

    /// The statistics and the choice for one conv.
    public struct Conv: Codable {
        public let name: String
        public let channels: Int
        public let sensitivity: Double
        public let options: [Option]
        public var chosen: Option

        /// `options[0]` must be the plain conv (s = 1).
        public init(name: String, channels: Int, sensitivity: Double, options: [Option], chosen: Option) {
            self.name = name; self.channels = channels; self.sensitivity = sensitivity; self.options = options
            self.chosen = chosen
        }
    }

    /// The whole plan.
    public struct Plan: Codable {
        public let budgetFraction: Double
        public let originalMACs: Int
        /// MACs outside the convertible convs (stem, classifier, …).
        public let fixedMACs: Int
        /// fixed + Σ chosen options' MACs.
        public var predictedMACs: Int
        /// MACs of the converted model as profiled (set by the caller once it exists).
        public var measuredMACs: Int?
        public let buckets: Int
        public let noiseEnergy: Double
        /// What `Option.damage` is (nil in reports written before the measured model: the noise proxy).
        public var damageModel: GuidedDamageModel?
        /// Measured model: probe images, forward passes and seconds the measurement took.
        public var probeImages: Int?, damagePasses: Int?, damageSeconds: Double?
        /// The report whose options (and damages) this plan reused instead of measuring (`--damage-from`).
        public var damageReusedFrom: String?
        /// The joint-damage refinement that changed the knapsack's choice (nil: none ran).
        public var refinement: GuidedRefinement.Log?
        public var convs: [Conv]

        enum CodingKeys: String, CodingKey {
            case buckets, convs, refinement
            case damageModel = "damage_model", probeImages = "probe_images", damagePasses = "damage_passes"
            case damageSeconds = "damage_seconds", damageReusedFrom = "damage_reused_from"
            case budgetFraction = "budget_fraction", originalMACs = "original_macs", fixedMACs = "fixed_macs"
            case predictedMACs = "predicted_macs", measuredMACs = "measured_macs", noiseEnergy = "noise_energy"
        }

        /// The per-conv settings for `GhostSettings.convs`.
        public var ratios: [String: GhostSettings.ConvRatio] {
            Dictionary(uniqueKeysWithValues: convs.map {
                ($0.name, GhostSettings.ConvRatio(s: $0.chosen.s, d: $0.chosen.d))
            })
        }

        /// Total predicted damage of the chosen options.
        public var damage: Double { convs.reduce(0) { $0 + $1.chosen.damage } }
    }

    /// Measures every conv's options on the calibration batches and chooses under `fraction` × the original MACs.
    /// `inputShape`: the one-image input the MACs are counted at ([1, C, H, W]); `probeImages`: the first
    /// calibration images the measured damage model runs on.
    public static func plan(_ model: ImageClassifier, architecture arch: Architecture, calibration batches: [Tensor],
                            fraction: Double, inputShape: [Int], search: GuidedSearch = GuidedSearch(),
                            reuse: Reused? = nil, noiseEnergy: Double = 0.05, buckets: Int = 20_000) throws -> Plan {
        try plan(model, architecture: arch, calibration: CalibrationBatches(batches), fraction: fraction,
                 inputShape: inputShape, search: search, reuse: reuse, noiseEnergy: noiseEnergy, buckets: buckets)
    }

    /// `plan` over batches made one at a time (memory flat in the calibration set). `reuse`: the options of an
    /// earlier plan (`GuidedRatios.reused`), checked against this model's convs and `search`, not re-measured.
    /// `statistics`: the correlations and fits of `search.grid` (`GuidedRatios.statistics`), shared with the
    /// damage pass's conversions (and the caller's final one) instead of two passes over the batches each.
    /// `refinementProbe`: the (normalised) images the refinement measures the joint KL on, best outside the
    /// calibration set; nil: the first `search.refinement.probeImages` calibration images.
    public static func plan(_ model: ImageClassifier, architecture arch: Architecture,
                            calibration batches: CalibrationBatches, fraction: Double, inputShape: [Int],
                            search: GuidedSearch = GuidedSearch(), reuse: Reused? = nil,
                            statistics: ConversionStatistics? = nil, refinementProbe: Tensor? = nil,
                            noiseEnergy: Double = 0.05, buckets: Int = 20_000) throws -> Plan {
        if let p = search.problem() { throw GhostError(p) }
        guard fraction > 0, fraction < 1 else {
            throw GhostError("the MACs budget must be a fraction in (0, 1), got \(fraction)")
        }
        guard let original = model as? ResNet, arch.ghost == nil else {
            throw GhostError("guided conversion needs a plain ResNet")
        }
        guard batches.count > 0 else { throw GhostError("guided conversion needs calibration images") }
        let sites = try convertibleSites(original, architecture: arch)
        var p = Profiler()
        _ = original.profile(inputShape, &p)
        let originalMACs = p.totalMACs
        // The joint evaluator of the refinement, shared with the measured damage pass (its conversions cached).
        var shared: JointDamage?
        func joint() throws -> JointDamage {
            if let shared { return shared }
            let j = try JointDamage(original, architecture: arch, sites: sites, calibration: batches,
                                    probeImages: search.probeImages, statistics: statistics)
            shared = j
            return j
        }
        func refined(_ plan: Plan) throws -> Plan {
            let settings = search.refinement
            guard settings.isOn else { return plan }
            let probe = try refinementProbe ?? GuidedDamage.concatenate(batches, upTo: settings.probeImages)
            return try GuidedRefinement.refine(plan, joint: try joint().on(probe: probe, adaBN: settings.adaBN),
                                               heldOut: refinementProbe != nil, settings: settings)
        }
        if let reuse {
            try reuse.check(sites: sites, search: search, originalMACs: originalMACs)
            let fixed = originalMACs - reuse.plan.convs.reduce(0) { $0 + $1.options[0].macs }
            var plan = try choose(reuse.plan.convs, originalMACs: originalMACs, fixedMACs: fixed, fraction: fraction,
                                  buckets: buckets, noiseEnergy: reuse.plan.noiseEnergy)
            plan.damageModel = reuse.plan.damageModel; plan.probeImages = reuse.plan.probeImages
            plan.damagePasses = reuse.plan.damagePasses; plan.damageSeconds = reuse.plan.damageSeconds
            plan.damageReusedFrom = reuse.path
            return try refined(plan)
        }
        var stats = try measure(original, sites: sites, batches: batches, inputShape: inputShape,
                                grid: search.grid, noiseEnergy: noiseEnergy, statistics: statistics)
        var probe: (images: Int, passes: Int, seconds: Double)?
        if search.damage != .noise {
            let t0 = Date()
            let m = try GuidedDamage.measure(try joint(), grid: search.grid,
                                             stageContext: search.damage == .stageContext)
            probe = (m.probeImages, m.passes, Date().timeIntervalSince(t0))
            for i in stats.indices {
                let o = stats[i].options
                let options = [o[0]] + zip(o.dropFirst(), m.damages[i]).map {
                    Option(s: $0.s, d: $0.d, macs: $0.macs, residual: $0.residual, damage: $1)
                }
                stats[i] = Conv(name: stats[i].name, channels: stats[i].channels, sensitivity: stats[i].sensitivity,
                                options: options, chosen: options[0])
            }
        }
        let fixed = originalMACs - stats.reduce(0) { $0 + $1.options[0].macs }
        var plan = try choose(stats, originalMACs: originalMACs, fixedMACs: fixed, fraction: fraction,
                              buckets: buckets, noiseEnergy: noiseEnergy)
        plan.damageModel = search.damage
        plan.probeImages = probe?.images; plan.damagePasses = probe?.passes; plan.damageSeconds = probe?.seconds
        return try refined(plan)
    }

    /// The correlations and fits of every option of `search.grid` (and the stage context's) at every convertible
    /// conv (two passes over the batches), for `plan(statistics:)` and the final `ResNetToGhost.convert(statistics:)`.
    public static func statistics(_ model: ImageClassifier, architecture arch: Architecture,
                                  calibration batches: CalibrationBatches,
                                  search: GuidedSearch = GuidedSearch()) throws -> ConversionStatistics {
        guard let original = model as? ResNet, arch.ghost == nil else {
            throw GhostError("guided conversion needs a plain ResNet")
        }
        // Stage context converts the neighbours at s = 2, d = 3.
        let grid = search.grid + (search.damage == .stageContext ? [(s: 2, d: 3)] : [])
        return try ConversionStatistics.gather(original, sites: try convertibleSites(original, architecture: arch),
                                               batches: batches, options: { _ in grid })
    }

    /// The convertible convs of a plain ResNet (those of its uniform s = 2 conversion).
    static func convertibleSites(_ original: ResNet, architecture arch: Architecture) throws -> [ResNetToGhost.Site] {
        var uniform = arch
        uniform.ghost = GhostSettings(s: 2, d: 3)
        return try ResNetToGhost.sites(original: original, ghost: uniform.buildResNet())
    }

    /// Exact multiple-choice knapsack over MAC buckets: minimises Σ damage with Σ MACs ≤ F · original − fixed.
    public static func choose(_ convs: [Conv], originalMACs: Int, fixedMACs: Int, fraction: Double, buckets: Int,
                              noiseEnergy: Double) throws -> Plan {
        let capacity = fraction * Double(originalMACs) - Double(fixedMACs)
        let cheapest = convs.reduce(0) { $0 + ($1.options.map(\.macs).min() ?? 0) }
        guard capacity >= Double(cheapest) else {
            let least = Double(fixedMACs + cheapest) / Double(originalMACs)
            throw GhostError(String(format: "a MACs budget of %.3f is below the smallest reachable, %.3f "
                                    + "(the cheapest option everywhere)", fraction, least))
        }
        let unit = capacity / Double(buckets)
        let width = buckets + 1
        var best = [Double](repeating: .infinity, count: width), next = best
        best[0] = 0
        var choice = [UInt8](repeating: 0, count: convs.count * width)
        for (i, conv) in convs.enumerated() {
            for b in 0..<width { next[b] = .infinity }
            for (o, option) in conv.options.enumerated() {
                let cost = Int((Double(option.macs) / unit).rounded(.up))
                guard cost <= buckets else { continue }
                for b in cost..<width where best[b - cost] + option.damage < next[b] {
                    next[b] = best[b - cost] + option.damage
                    choice[i * width + b] = UInt8(o)
                }
            }
            swap(&best, &next)
        }
        guard var b = best.indices.min(by: { best[$0] < best[$1] }), best[b].isFinite else {
            throw GhostError("no combination of ratios fits the MACs budget \(fraction)")
        }
        var chosen = convs
        for i in convs.indices.reversed() {
            let option = convs[i].options[Int(choice[i * width + b])]
            chosen[i].chosen = option
            b -= Int((Double(option.macs) / unit).rounded(.up))
        }
        let predicted = fixedMACs + chosen.reduce(0) { $0 + $1.chosen.macs }
        return Plan(budgetFraction: fraction, originalMACs: originalMACs, fixedMACs: fixedMACs,
                    predictedMACs: predicted, measuredMACs: nil, buckets: buckets, noiseEnergy: noiseEnergy,
                    convs: chosen)
    }

    /// MACs of a Ghost module replacing `site` at (s, d), by building and profiling it.
    static func macs(_ site: ResNetToGhost.Site, s: Int, d: Int, outputHW: (Int, Int)) -> Int {
        var rng = SplitMix64(seed: 0)
        let c = site.conv, k = c.kernelSize.0
        let module = GhostModule(c.inChannels, c.outChannels, kernel: k, stride: c.stride.0, padding: c.padding.0,
                                 s: s, d: d, relu: site.relu, rng: &rng)
        let h = (outputHW.0 - 1) * c.stride.0 - 2 * c.padding.0 + k
        let w = (outputHW.1 - 1) * c.stride.1 - 2 * c.padding.1 + k
        var p = Profiler()
        _ = module.profile([1, c.inChannels, h, w], &p)
        return p.totalMACs
    }

    /// Per conv: the options' MACs and residuals (from `statistics`, else one correlation pass and one fitting
    /// pass over the batches) and the measured sensitivity (one noisy forward pass of the first batch per conv).
    static func measure(_ model: ResNet, sites: [ResNetToGhost.Site], batches: CalibrationBatches, inputShape: [Int],
                        grid: [(s: Int, d: Int)], noiseEnergy: Double,
                        statistics: ConversionStatistics? = nil) throws -> [Conv] {
        let stats = try statistics ?? ConversionStatistics.gather(model, sites: sites, batches: batches,
                                                                  options: { _ in grid })
        let variances = sites.map { site in
            let n = site.conv.outChannels, cov = stats.covariances[site.name]!
            return (0..<n).map { max(cov[$0 * n + $0], 0) }
        }
        let shapes = stats.shapes
        // missed[site][s][d]: Σ over ghost channels of the fit's MSE.
        var missed = [[Int: [Int: Double]]](repeating: [:], count: sites.count)
        for (i, site) in sites.enumerated() {
            for (s, d) in grid {
                guard let sel = stats.selection(site.name, s: s), let f = stats.fits(site.name, s: s, d: d) else {
                    throw GhostError("guided statistics: \(site.name) has no fits at s=\(s), d=\(d)")
                }
                missed[i][s, default: [:]][d] = sel.ghosts.joined().reduce(0) { $0 + f[$1]!.mse }
            }
        }
        let sensitivity = sensitivities(model, sites: sites, batch: try batches.batch(0), variances: variances,
                                        noiseEnergy: noiseEnergy)
        return sites.enumerated().map { i, site in
            let hw = (shapes[site.name]![2], shapes[site.name]![3]), energy = max(variances[i].reduce(0, +), 1e-30)
            var options = [Option(s: 1, d: 1, macs: macs(site, s: 1, d: 1, outputHW: hw), residual: 0, damage: 0)]
            for (s, d) in grid {
                let residual = (missed[i][s]?[d] ?? 0) / energy
                options.append(Option(s: s, d: d, macs: macs(site, s: s, d: d, outputHW: hw), residual: residual,
                                      damage: sensitivity[i] * residual))
            }
            return Conv(name: site.name, channels: site.conv.outChannels, sensitivity: sensitivity[i], options: options,
                        chosen: options[0])
        }
    }

    /// ‖z(noisy at ℓ) − z‖² / ‖z‖² / ε per site, on one batch (deterministic noise).
    static func sensitivities(_ model: ResNet, sites: [ResNetToGhost.Site], batch x: Tensor, variances: [[Double]],
                              noiseEnergy eps: Double) -> [Double] {
        model.train(false)
        model.observer = nil
        let clean = model(x)
        let energy = max(clean.scalars.reduce(0.0) { $0 + Double($1) * Double($1) }, 1e-30)
        model.observeInsideBlocks = true
        defer { model.observeInsideBlocks = false; model.observer = nil }
        return sites.enumerated().map { i, site in
            var rng = SplitMix64(seed: 0x5EED + UInt64(i))
            let std = variances[i].map { Float(($0 * eps).squareRoot()) }
            model.observer = { name, t in
                guard name == site.observed else { return }
                let (n, c, hw) = (t.shape[0], t.shape[1], t.shape[2] * t.shape[3])
                let p = t.uncheckedMutablePointer
                for b in 0..<n { for ch in 0..<c {
                    let base = (b * c + ch) * hw, sd = std[ch]
                    for k in 0..<hw { p[base + k] += sd * rng.nextGaussian() }
                } }
            }
            let noisy = model(x)
            var diff = 0.0
            for k in 0..<clean.count { let e = Double(noisy.readPointer[k] - clean.readPointer[k]); diff += e * e }
            return diff / energy / eps
        }
    }
}

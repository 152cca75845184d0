import Foundation
import GhostModels
import GhostTensor

/// How the guided conversion scores the damage of converting one conv at (s, d).
public enum GuidedDamageModel: String, Codable, CaseIterable {
    /// Measured (AIMET-style per-layer analysis): only that conv converted with its real fitted Ghost module,
    /// its BNs AdaBN-recalibrated on the probe images, the rest of the model exact; damage = the KL divergence
    /// of the original's softmax to that model's, mean over the probe images. One forward pass per option.
    case measured
    /// Measured in context: as `.measured`, but with every other convertible conv of the same stage converted
    /// at s = 2, d = 3 (AdaBN'd too), and damage = KL(context + ℓ at (s, d)) − KL(context + ℓ plain): the
    /// marginal damage of ℓ among neighbours that are converted too, which single-conv damages miss when
    /// errors compound inside a stage. One more forward pass per conv (its plain baseline).
    case stageContext = "stage-context"
    /// Proxy: sensitivity to injected noise × the fits' residual energy (`GuidedRatios` explains both).
    case noise
}

/// Per-layer measured damage: for every convertible conv ℓ and every option (s, d), the model with only ℓ
/// replaced by the Ghost module the conversion itself would build there (same intrinsic selection, same
/// least-squares cheap kernels: a conv's fits depend only on the original's activations, so the module of ℓ
/// in the uniform (s, d) conversion is exactly it), every other conv an exact plain module (s = 1) — or, in
/// stage context, the other convs of ℓ's stage at their s = 2, d = 3 modules.
///
/// damage_ℓ(s, d) = mean over probe images of KL(softmax(z) ‖ softmax(z_ℓ,s,d)) with z the original's logits
/// (in stage context minus the same KL with ℓ plain among the converted neighbours). Damages are clamped at 0
/// (KL ≥ 0; a marginal damage below 0 means ℓ's conversion did not add to its neighbours'); s = 1 scores 0
/// without a pass. Cost: one conversion per (s, d) (plus s = 2, d = 3 for the context) and one forward pass of
/// the probe batch per conv × option (+ 1 per conv in stage context).
public enum GuidedDamage {
    /// The damages, `damages[i][k]` for `sites[i]` and option k of `grid`, and the passes run. `statistics`
    /// (covering `grid` and, in stage context, s = 2, d = 3): the per-option conversions are built from them
    /// without a pass over the batches; nil: each conversion gathers its own.
    public static func measure(_ original: ResNet, architecture arch: Architecture, sites: [ResNetToGhost.Site],
                               calibration batches: CalibrationBatches, probeImages: Int,
                               grid: [(s: Int, d: Int)] = GuidedSearch().grid, stageContext: Bool = false,
                               recalibrate: Bool = true, statistics: ConversionStatistics? = nil) throws
        -> (damages: [[Double]], passes: Int, probeImages: Int) {
        let joint = try JointDamage(original, architecture: arch, sites: sites, calibration: batches,
                                    probeImages: probeImages, recalibrate: recalibrate, statistics: statistics)
        return try measure(joint, grid: grid, stageContext: stageContext)
    }

    /// `measure` with a joint evaluator made by the caller (e.g. shared with `GuidedRefinement`).
    public static func measure(_ joint: JointDamage, grid: [(s: Int, d: Int)] = GuidedSearch().grid,
                               stageContext: Bool = false) throws
        -> (damages: [[Double]], passes: Int, probeImages: Int) {
        let sites = joint.sites
        let stage = { (name: String) in name.split(separator: ".").first.map(String.init) ?? name }
        var damages = [[Double]](repeating: [], count: sites.count)
        var passes = 0
        for (i, site) in sites.enumerated() {
            var context: [Int: (s: Int, d: Int)] = [:]
            var baseline = 0.0
            if stageContext {
                for j in sites.indices where j != i && stage(sites[j].name) == stage(site.name) { context[j] = (2, 3) }
                var alone = context
                alone[i] = (1, 1)
                baseline = try joint.kl(alone)
                passes += 1
            }
            for o in grid {
                var options = context
                options[i] = o
                damages[i].append(max(0, try joint.kl(options) - baseline))
                passes += 1
            }
        }
        return (damages, passes, joint.probeImages)
    }

    /// The converted model's parameters and buffers by name (values shared, not copied).
    static func parameters(of original: ResNet, arch: Architecture, settings: GhostSettings,
                           batches: CalibrationBatches, statistics: ConversionStatistics? = nil) throws
        -> [String: Tensor] {
        let (ghost, _, _) = try ResNetToGhost.convert(original, architecture: arch, settings: .init(ghost: settings),
                                                      calibration: batches, statistics: statistics)
        return Dictionary(ghost.namedParameters().map { ($0.0, $0.1.value) }, uniquingKeysWith: { a, _ in a })
    }

    /// The first `limit` images of the batches as one batch.
    static func concatenate(_ batches: CalibrationBatches, upTo limit: Int) throws -> Tensor {
        var taken: [Tensor] = []
        var n = 0
        for i in 0..<batches.count where n < limit {
            let b = try batches.batch(i)
            taken.append(b)
            n += min(b.shape[0], limit - n)
        }
        guard let first = taken.first else { throw GhostError("guided damage needs calibration images") }
        let per = first.count / first.shape[0]
        let out = Tensor(uninitialized: [n] + first.shape.dropFirst())
        var filled = 0
        for b in taken where filled < n {
            let take = min(b.shape[0], n - filled)
            (out.uncheckedMutablePointer + filled * per).update(from: b.readPointer, count: take * per)
            filled += take
        }
        return out
    }

    /// Row-wise log-softmax of [N, K] logits, in double.
    static func logProbabilities(_ z: Tensor) -> [Double] {
        let (n, k) = (z.shape[0], z.shape[1])
        var out = [Double](repeating: 0, count: n * k)
        let p = z.readPointer
        out.withUnsafeMutableBufferPointer { o in
            for r in 0..<n {
                var top = -Double.infinity
                for c in 0..<k { top = max(top, Double(p[r * k + c])) }
                var sum = 0.0
                for c in 0..<k { sum += exp(Double(p[r * k + c]) - top) }
                let lse = top + log(sum)
                for c in 0..<k { o[r * k + c] = Double(p[r * k + c]) - lse }
            }
        }
        return out
    }

    /// Mean over rows of KL(p ‖ q) from log-probabilities of the same [N, K] shape.
    static func klDivergence(_ logP: [Double], _ logQ: [Double], rows: Int) -> Double {
        precondition(logP.count == logQ.count)
        var total = 0.0
        for i in logP.indices { total += exp(logP[i]) * (logP[i] - logQ[i]) }
        return total / Double(max(1, rows))
    }
}

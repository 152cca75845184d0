import Foundation
import GhostModels
import GhostTensor

/// The measured damage of a whole per-conv plan: the model with every convertible conv at its own (s, d) — its
/// real fitted Ghost module, the one the uniform (s, d) conversion builds there (a conv's fits depend only on
/// the original's activations) — and the rest plain; the converted modules' BNs AdaBN-recalibrated on the probe
/// images (batch statistics in the forward pass); damage = mean over the probe images of
/// KL(softmax(original) ‖ softmax(that model)). One forward pass of the probe batch per evaluation.
///
/// `GuidedDamage` scores single convs with it (one conv converted), `GuidedRefinement` whole plans.
public final class JointDamage {
    /// How an evaluated model's BNs are recalibrated before its probe pass.
    public enum AdaBN: String, Codable, CaseIterable {
        /// The converted modules' BNs in training mode during the probe pass (batch statistics of the probe
        /// itself); plain convs keep the original's statistics. One forward pass per evaluation.
        case probeBatch = "probe-batch"
        /// The conversion's own AdaBN (`ResNetToGhost.recalibrateBatchNorm`: running statistics of every Ghost
        /// module, plain ones included, averaged over the calibration batches), then the probe pass in eval mode:
        /// the model `convert` would save. One pass over the calibration images more per evaluation.
        case calibration
    }

    let original: ResNet
    let arch: Architecture
    let sites: [ResNetToGhost.Site]
    let batches: CalibrationBatches
    let statistics: ConversionStatistics?
    let recalibrate: Bool
    /// How `recalibrate` is done (the probe's batch statistics unless set otherwise).
    public private(set) var adaBN = AdaBN.probeBatch
    /// The probe batch and the original's log-probabilities on it.
    let probe: Tensor
    let reference: [Double]
    /// Every site plain (s = 1), and the parameters of that all-plain model.
    let plain: [String: GhostSettings.ConvRatio]
    let base: [String: Tensor]
    /// s → d → the uniform conversion's parameters, built on first use.
    var converted: [Int: [Int: [String: Tensor]]] = [:]

    /// The probe is the first `probeImages` calibration images. `statistics` (covering every (s, d) evaluated):
    /// the per-option conversions are built from them without a pass over the batches; nil: each gathers its own.
    public convenience init(_ original: ResNet, architecture arch: Architecture, sites: [ResNetToGhost.Site],
                            calibration batches: CalibrationBatches, probeImages: Int, recalibrate: Bool = true,
                            statistics: ConversionStatistics? = nil) throws {
        try self.init(original, architecture: arch, sites: sites, calibration: batches,
                      probe: try GuidedDamage.concatenate(batches, upTo: probeImages), recalibrate: recalibrate,
                      statistics: statistics)
    }

    /// As above on a given (normalised) probe batch, e.g. training images outside the calibration set.
    public init(_ original: ResNet, architecture arch: Architecture, sites: [ResNetToGhost.Site],
                calibration batches: CalibrationBatches, probe: Tensor, recalibrate: Bool = true,
                statistics: ConversionStatistics? = nil) throws {
        (self.original, self.arch, self.sites, self.batches) = (original, arch, sites, batches)
        (self.statistics, self.recalibrate, self.probe) = (statistics, recalibrate, probe)
        original.train(false)
        original.observer = nil
        reference = GuidedDamage.logProbabilities(original(probe))
        plain = Dictionary(uniqueKeysWithValues: sites.map { ($0.name, GhostSettings.ConvRatio(s: 1, d: 1)) })
        base = try GuidedDamage.parameters(of: original, arch: arch, settings: GhostSettings(s: 2, d: 3, convs: plain),
                                           batches: batches, statistics: statistics)
    }

    /// The same evaluator on another probe batch, sharing the converted parameters built so far.
    public func on(probe other: Tensor, adaBN: AdaBN? = nil) -> JointDamage {
        let j = JointDamage(copying: self, probe: other)
        j.adaBN = adaBN ?? self.adaBN
        return j
    }

    private init(copying j: JointDamage, probe other: Tensor) {
        (original, arch, sites, batches, statistics) = (j.original, j.arch, j.sites, j.batches, j.statistics)
        (recalibrate, plain, base, converted, probe) = (j.recalibrate, j.plain, j.base, j.converted, other)
        original.train(false)
        original.observer = nil
        reference = GuidedDamage.logProbabilities(original(other))
    }

    /// Images in the probe batch.
    public var probeImages: Int { probe.shape[0] }

    /// The KL of the model with `options` (site index → (s, d); sites not listed plain).
    public func kl(_ options: [Int: (s: Int, d: Int)]) throws -> Double {
        var mixed = plain
        var source: [(prefix: String, params: [String: Tensor])] = []
        for (i, o) in options {
            mixed[sites[i].name] = .init(s: o.s, d: o.d)
            if o.s > 1 { source.append((sites[i].name + ".", try uniform(o.s, o.d))) }
        }
        var a = arch
        a.ghost = GhostSettings(s: 2, d: 3, convs: mixed)
        let model = a.buildResNet()
        for (name, p) in model.namedParameters() {
            let from = source.first { name.hasPrefix($0.prefix) }?.params ?? base
            guard let src = from[name], src.shape == p.value.shape else {
                throw GhostError("guided damage: no converted parameter \(name) of shape \(p.value.shape)")
            }
            let copy = Tensor(uninitialized: src.shape)
            copy.uncheckedMutablePointer.update(from: src.readPointer, count: src.count)
            p.value = copy
        }
        model.train(false)
        if recalibrate, adaBN == .calibration {
            try ResNetToGhost.recalibrateBatchNorm(model, batches: batches)
            model.train(false)
        } else if recalibrate {
            // Batch statistics of the probe in the forward pass = AdaBN on the probe, converted modules only.
            let modules = Dictionary(try ResNetToGhost.sites(original: original, ghost: model)
                .map { ($0.name, $0.module) }, uniquingKeysWith: { a, _ in a })
            for (i, o) in options where o.s > 1 {
                guard let module = modules[sites[i].name] else {
                    throw GhostError("guided damage: \(sites[i].name) has no Ghost module")
                }
                for bn in [module.primaryBN, module.cheapBN] where bn.channels > 0 { bn.train(true) }
            }
        }
        return GuidedDamage.klDivergence(reference, GuidedDamage.logProbabilities(model(probe)),
                                         rows: probe.shape[0])
    }

    /// The parameters of the uniform (s, d) conversion (cached).
    func uniform(_ s: Int, _ d: Int) throws -> [String: Tensor] {
        if let p = converted[s]?[d] { return p }
        let p = try GuidedDamage.parameters(of: original, arch: arch, settings: GhostSettings(s: s, d: d),
                                            batches: batches, statistics: statistics)
        converted[s, default: [:]][d] = p
        return p
    }
}

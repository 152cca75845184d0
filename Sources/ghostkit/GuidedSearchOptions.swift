import ArgumentParser
import GhostConvert

extension GuidedDamageModel: ExpressibleByArgument {}
extension JointDamage.AdaBN: ExpressibleByArgument {}

/// `convert --macs-budget`'s search: the options per conv, the damage model, the probe images, a reused plan, the
/// joint-damage refinement.
struct GuidedSearchOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Guided: how an option's damage is scored (measured = only that conv converted; "
                + "stage-context = the rest of its stage converted at s=2 d=3 around it; noise = the proxy)."))
    var guidedDamage: GuidedDamageModel = .measured
    @Option(parsing: .upToNextOption, help: "Guided: the ratios s ≥ 2 tried per conv (s = 1 is always an option).")
    var guidedRatios: [Int] = [2, 3, 4]
    @Option(parsing: .upToNextOption, help: "Guided: the cheap kernel sizes d tried per conv (odd).")
    var guidedKernels: [Int] = [1, 3]
    @Option(help: "Guided: calibration images the measured damage runs on (one pass per conv × option).")
    var probeImages: Int = 256
    @Option(help: ArgumentHelp("Guided: reuse the options and damages of this earlier guided report.json (same "
                + "checkpoint and options) and only solve the knapsack at the new --macs-budget."))
    var damageFrom: String?
    @Option(help: ArgumentHelp("Guided: rounds of the joint-damage refinement of the knapsack's plan (one probe pass "
                + "per candidate move; 0 = off, the knapsack's plan)."))
    var guidedRefineRounds: Int = GuidedRefinement.Settings().rounds
    @Option(help: "Guided: moves evaluated on the joint probe KL per refinement round.")
    var guidedRefineCandidates: Int = GuidedRefinement.Settings().candidates
    @Option(help: "Guided: training images after the calibration images that the refinement's joint KL runs on.")
    var guidedRefineProbeImages: Int = GuidedRefinement.Settings().probeImages
    @Option(help: ArgumentHelp("Guided: how the refinement AdaBNs each plan before its probe pass (probe-batch = "
                + "the probe's batch statistics; calibration = the conversion's own AdaBN, then eval mode)."))
    var guidedRefineAdabn: JointDamage.AdaBN = GuidedRefinement.Settings().adaBN

    /// The typed search.
    func search() -> GuidedSearch {
        var g = GuidedSearch()
        (g.damage, g.ratios, g.kernels, g.probeImages, g.damageFrom) =
            (guidedDamage, guidedRatios, guidedKernels, probeImages, damageFrom)
        g.refinement = GuidedRefinement.Settings(rounds: guidedRefineRounds, candidates: guidedRefineCandidates,
                                                 probeImages: guidedRefineProbeImages, adaBN: guidedRefineAdabn)
        return g
    }
}

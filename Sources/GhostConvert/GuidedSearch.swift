import Foundation

/// The search of a guided conversion (`convert --macs-budget`): the options tried per conv, how their damage is
/// scored, on how many calibration images, and the joint-damage refinement of the knapsack's plan.
public struct GuidedSearch: Codable, Equatable {
    /// How an option's damage is scored.
    public var damage = GuidedDamageModel.measured
    /// Ratios s tried besides s = 1 (left plain, always an option), each ≥ 2, and the cheap kernels d (odd).
    public var ratios = [2, 3, 4], kernels = [1, 3]
    /// The first calibration images the measured damage runs on (one forward pass of them per conv × option).
    public var probeImages = 256
    /// An earlier guided convert report (report.json) of the same checkpoint and options: its per-conv MACs,
    /// residuals and damages are reused and only the knapsack is solved again (e.g. a second budget F).
    public var damageFrom: String?
    /// The joint-damage local search after the knapsack (`GuidedRefinement`); `.off` = the knapsack's plan.
    public var refinement = GuidedRefinement.Settings()

    public init() {}

    /// The (s, d) options after the plain one, s-major: the order of `GuidedRatios.Conv.options.dropFirst()`.
    public var grid: [(s: Int, d: Int)] { ratios.flatMap { s in kernels.map { (s, $0) } } }

    /// The first problem with this search, as a message naming the flag, or nil.
    public func problem() -> String? {
        guard !ratios.isEmpty, ratios.allSatisfy({ $0 >= 2 }), Set(ratios).count == ratios.count else {
            return "--guided-ratios must be distinct ratios ≥ 2 (got \(ratios))"
        }
        guard !kernels.isEmpty, kernels.allSatisfy({ $0 >= 1 && $0 % 2 == 1 }), Set(kernels).count == kernels.count
        else { return "--guided-kernels must be distinct odd sizes ≥ 1 (got \(kernels))" }
        guard probeImages >= 1 else { return "--probe-images must be ≥ 1 (got \(probeImages))" }
        return refinement.problem()
    }
}

import Foundation
import GhostTensor

/// Refines a guided plan on the measured *joint* damage (`JointDamage`: every conv at its own (s, d), KL of the
/// original's softmax to that model on the probe images), under the same MACs budget. The knapsack adds
/// single-conv damages, which underestimates how errors compound when many convs are converted together; this
/// local search corrects the plan where that matters.
///
/// Start points: the knapsack's plan and every uniform plan (all convs at one option (s, d)) within the budget;
/// the one of the lowest joint KL is kept. Then up to `Settings.rounds` rounds: the moves from the current plan
/// that keep MACs ≤ the budget — one conv to another option, or a pair of convs changed together (one up, one
/// down in MACs) — are ranked by the change of the summed single-conv damages the knapsack already has (most
/// negative first), the top `Settings.candidates` not evaluated before get one probe pass each, and the best is
/// accepted if it lowers the joint KL; the search stops when none does. The refined plan's joint probe KL is
/// therefore never above its best start's, and so never above any uniform plan's that fits the budget
/// (e.g. uniform s = 2, d = 3 at s = 2's MACs fraction). Cost: one probe forward pass per start and per candidate.
/// `convert` measures the joint KL on training images outside the calibration set (the fits and the single-conv
/// damages are in-sample on it). Off by default (`Settings.rounds` = 0): see the README for what it measured.
public enum GuidedRefinement {
    /// How much refinement to run (`convert --guided-refine-rounds/--guided-refine-candidates`).
    public struct Settings: Codable, Equatable {
        /// Rounds of move proposals (0 = off: the knapsack's plan exactly, no pass spent).
        public var rounds: Int
        /// Moves evaluated (one probe pass each) per round.
        public var candidates: Int
        /// Images of the refinement's probe: training images right after the calibration images when the caller
        /// has them (`GuidedRatios.plan(refinementProbe:)`, as `convert` does), else the first calibration images.
        public var probeImages: Int
        /// How each evaluated plan is AdaBN-recalibrated before its probe pass (`--guided-refine-adabn`).
        public var adaBN: JointDamage.AdaBN

        /// The default is off (see the README: on the s = 2 budgets measured, the joint probe KL did not predict
        /// which plan is more accurate); `convert --guided-refine-rounds 6` turns it on with 4 candidates.
        public init(rounds: Int = 0, candidates: Int = 4, probeImages: Int = 256,
                    adaBN: JointDamage.AdaBN = .probeBatch) {
            self.rounds = rounds; self.candidates = candidates; self.probeImages = probeImages; self.adaBN = adaBN
        }

        enum CodingKeys: String, CodingKey { case rounds, candidates, probeImages, adaBN }

        /// Reports written before `adaBN` existed decode as `.probeBatch`.
        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            self.init(rounds: try c.decode(Int.self, forKey: .rounds),
                      candidates: try c.decode(Int.self, forKey: .candidates),
                      probeImages: try c.decode(Int.self, forKey: .probeImages),
                      adaBN: try c.decodeIfPresent(JointDamage.AdaBN.self, forKey: .adaBN) ?? .probeBatch)
        }

        /// No refinement.
        public static let off = Settings(rounds: 0)

        public var isOn: Bool { rounds > 0 }

        /// The first problem with these settings, as a message naming the flag, or nil.
        public func problem() -> String? {
            guard rounds >= 0 else { return "--guided-refine-rounds must be ≥ 0 (got \(rounds))" }
            guard candidates >= 1 else { return "--guided-refine-candidates must be ≥ 1 (got \(candidates))" }
            guard probeImages >= 1 else { return "--guided-refine-probe-images must be ≥ 1 (got \(probeImages))" }
            return nil
        }
    }

    /// One conv's option in a plan.
    public struct Choice: Codable, Equatable {
        public let conv: String
        public let s: Int, d: Int
    }

    /// A start point and its joint KL.
    public struct Start: Codable {
        /// "knapsack" or "uniform s=… d=…".
        public let name: String
        public let macs: Int
        public let kl: Double
    }

    /// An accepted move: the convs changed (to their new options), the predicted change of the summed
    /// single-conv damages, and the joint KL before and after.
    public struct Move: Codable {
        public let round: Int
        public let changes: [Choice]
        public let predictedChange: Double
        public let klBefore: Double, klAfter: Double
        public let macs: Int

        enum CodingKeys: String, CodingKey {
            case round, changes, macs
            case predictedChange = "predicted_change", klBefore = "kl_before", klAfter = "kl_after"
        }
    }

    /// What the refinement did (report.json's `guided.refinement`).
    public struct Log: Codable {
        public let settings: Settings
        /// The budget in MACs: F × the original's, rounded to the nearest MAC.
        public let budgetMACs: Int
        public let probeImages: Int
        /// Whether the probe images were outside the calibration set (which the fits and AdaBN were made on).
        public let heldOut: Bool
        public let starts: [Start]
        /// The start kept (the lowest joint KL).
        public let start: String
        public let moves: [Move]
        /// Rounds run (the last one accepted nothing unless the rounds ran out) and probe passes spent.
        public let rounds: Int, passes: Int
        public let seconds: Double
        /// Joint probe KL of the start kept and of the refined plan.
        public let startKL: Double, kl: Double

        enum CodingKeys: String, CodingKey {
            case settings, starts, start, moves, rounds, passes, seconds, kl
            case budgetMACs = "budget_macs", probeImages = "probe_images", startKL = "start_kl", heldOut = "held_out"
        }
    }

    /// The plan refined on `joint` (built on the plan's convs, in order; `heldOut`: its probe is outside the
    /// calibration set); `plan.refinement` says how. Off: `plan` unchanged.
    public static func refine(_ plan: GuidedRatios.Plan, joint: JointDamage, heldOut: Bool = false,
                              settings: Settings) throws -> GuidedRatios.Plan {
        guard settings.isOn else { return plan }
        if let p = settings.problem() { throw GhostError(p) }
        precondition(joint.sites.map(\.name) == plan.convs.map(\.name), "joint damage of other convs")
        let t0 = Date()
        let convs = plan.convs
        let budget = Int((plan.budgetFraction * Double(plan.originalMACs)).rounded())
        let macs = { (x: [Int]) in plan.fixedMACs + zip(convs, x).reduce(0) { $0 + $1.0.options[$1.1].macs } }
        var seen: [[Int]: Double] = [:]
        var passes = 0
        func kl(_ x: [Int]) throws -> Double {
            if let v = seen[x] { return v }
            let v = try joint.kl(Dictionary(uniqueKeysWithValues: x.enumerated().map { i, o in
                (i, (s: convs[i].options[o].s, d: convs[i].options[o].d))
            }))
            seen[x] = v
            passes += 1
            return v
        }

        let knapsack = convs.map { c in c.options.firstIndex(of: c.chosen) ?? 0 }
        var startPoints = [(name: "knapsack", plan: knapsack)]
        for k in 1..<(convs.first?.options.count ?? 1) {
            let x = [Int](repeating: k, count: convs.count)
            let o = convs[0].options[k]
            if macs(x) <= budget { startPoints.append(("uniform s=\(o.s) d=\(o.d)", x)) }
        }
        var starts: [Start] = []
        for p in startPoints { starts.append(Start(name: p.name, macs: macs(p.plan), kl: try kl(p.plan))) }
        let best = starts.indices.min { starts[$0].kl < starts[$1].kl }!
        var current = startPoints[best].plan, currentKL = starts[best].kl
        var moves: [Move] = []
        var round = 0
        while round < settings.rounds {
            round += 1
            let proposals = proposals(from: current, convs: convs, budget: budget, macs: macs(current))
                .filter { seen[$0.plan] == nil }.prefix(settings.candidates)
            var winner: (plan: [Int], kl: Double, predicted: Double)?
            for p in proposals {
                let v = try kl(p.plan)
                if v < (winner?.kl ?? currentKL) { winner = (p.plan, v, p.predicted) }
            }
            guard let w = winner else { break }
            let changes = convs.indices.filter { w.plan[$0] != current[$0] }.map { i in
                Choice(conv: convs[i].name, s: convs[i].options[w.plan[i]].s, d: convs[i].options[w.plan[i]].d)
            }
            moves.append(Move(round: round, changes: changes, predictedChange: w.predicted, klBefore: currentKL,
                              klAfter: w.kl, macs: macs(w.plan)))
            (current, currentKL) = (w.plan, w.kl)
        }

        var refined = plan
        for i in refined.convs.indices { refined.convs[i].chosen = convs[i].options[current[i]] }
        refined.predictedMACs = macs(current)
        refined.refinement = Log(settings: settings, budgetMACs: budget, probeImages: joint.probeImages,
                                 heldOut: heldOut, starts: starts, start: starts[best].name, moves: moves,
                                 rounds: round, passes: passes, seconds: Date().timeIntervalSince(t0), startKL: starts[best].kl,
                                 kl: currentKL)
        return refined
    }

    /// Every move from `x` within the budget (one conv to another option; two convs, one up and one down in
    /// MACs), most negative change of the summed single-conv damages first (ties: fewer convs changed, then order).
    static func proposals(from x: [Int], convs: [GuidedRatios.Conv], budget: Int, macs: Int)
        -> [(plan: [Int], predicted: Double)] {
        // Per conv, the changes to its other options: (option, ΔMACs, Δdamage).
        let changes = convs.indices.map { i in
            convs[i].options.indices.filter { $0 != x[i] }.map { o in
                (o: o, macs: convs[i].options[o].macs - convs[i].options[x[i]].macs,
                 damage: convs[i].options[o].damage - convs[i].options[x[i]].damage)
            }
        }
        var out: [(plan: [Int], predicted: Double, size: Int, order: Int)] = []
        for i in convs.indices {
            for c in changes[i] where macs + c.macs <= budget {
                var y = x
                y[i] = c.o
                out.append((y, c.damage, 1, out.count))
            }
        }
        for i in convs.indices {
            for up in changes[i] where up.macs > 0 {
                for j in convs.indices where j != i {
                    for down in changes[j] where down.macs < 0 && macs + up.macs + down.macs <= budget {
                        var y = x
                        (y[i], y[j]) = (up.o, down.o)
                        out.append((y, up.damage + down.damage, 2, out.count))
                    }
                }
            }
        }
        out.sort { ($0.predicted, $0.size, $0.order) < ($1.predicted, $1.size, $1.order) }
        return out.map { ($0.plan, $0.predicted) }
    }
}

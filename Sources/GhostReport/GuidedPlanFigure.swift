import Foundation
import GhostConvert

/// The per-conv plan of a guided conversion (`convert --macs-budget`), three stacked bar charts over the
/// convertible convs in forward order: the chosen ratio s (labelled with d; s = 1 = left a plain conv), the
/// damage the knapsack charged for that choice, and the conv's noise sensitivity.
public enum GuidedPlanFigure {
    /// The figure for `plan`.
    public static func figure(_ plan: GuidedRatios.Plan) -> Figure {
        let model = plan.damageModel ?? .noise, measured = model != .noise
        let budget = String(format: "MACs budget %.3f, measured %.3f of the original", plan.budgetFraction,
                            Double(plan.measuredMACs ?? plan.predictedMACs) / Double(plan.originalMACs))
        var ratio = BarChart(title: "guided plan: chosen s per conv (label: conv · d)", valueLabel: "ratio s",
                             bars: plan.convs.map { c in
                                 (label: c.name + (c.chosen.s == 1 ? " · plain" : " · d\(c.chosen.d)"),
                                  value: Double(c.chosen.s))
                             }, valueRange: 0...Double(max(4, plan.convs.map(\.chosen.s).max() ?? 4)))
        ratio.notes = [budget + "; s = 1: the conv is kept whole"]
        ratio.valueFormat = { String(format: "%.0f", $0) }
        let damages = plan.convs.map(\.chosen.damage)
        var damage = BarChart(title: "damage charged for the choice", valueLabel: measured ? "KL (nats)" : "damage",
                              bars: zip(plan.convs, damages).map { (label: $0.name, value: $1) },
                              valueRange: 0...max(damages.max() ?? 0, 1e-9) * 1.15)
        damage.notes = [
            model == .measured ? "measured: KL to the original with only this conv converted (AdaBN on the probe)"
                : model == .stageContext ? "measured: KL this conv adds, its stage converted at s=2 d=3 around it"
                : "noise proxy: sensitivity × residual"]
        damage.valueFormat = { String(format: "%.2g", $0) }
        damage.color = Color.palette[1]
        let sens = plan.convs.map(\.sensitivity)
        var sensitivity = BarChart(title: "noise sensitivity per conv", valueLabel: "‖Δz‖²/‖z‖² per ε",
                                   bars: zip(plan.convs, sens).map { (label: $0.name, value: $1) },
                                   valueRange: 0...max(sens.max() ?? 0, 1e-9) * 1.15)
        sensitivity.notes = ["relative logit change per unit of relative noise energy at the conv's BN output"]
        sensitivity.valueFormat = { String(format: "%.2g", $0) }
        sensitivity.color = Color.palette[2]
        let charts = [ratio, damage, sensitivity]
        let labelH = Canvas.measuring { c in
            charts.flatMap(\.bars).map { c.textWidth($0.label, size: Axes.tickSize) }.max() ?? 0
        }
        let panel = 300.0 + labelH
        let width = max(Double(plan.convs.count) * 30 + 120, 560)
        return Figure(width: width, height: panel * Double(charts.count), title: ratio.title) { c in
            c.fill(Rect(x: 0, y: 0, width: width, height: panel * Double(charts.count)), color: .white)
            for (k, chart) in charts.enumerated() {
                chart.draw(c, in: Rect(x: 0, y: panel * Double(k), width: width, height: panel), labelHeight: labelH)
            }
        }
    }

    /// Writes guided-plan.{png,svg,pdf} into `dir`; returns the paths written.
    @discardableResult
    public static func write(_ plan: GuidedRatios.Plan, to dir: String) throws -> [String] {
        try figure(plan).write(to: dir + "/" + fileName)
    }

    /// The figure's file name without extension, as the convert report links it.
    public static let fileName = "guided-plan"
}

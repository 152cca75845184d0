import Foundation
import GhostTensor

/// Learning rate as a function of the optimisation step.
public enum LRSchedule: Equatable {
    /// Linear warm-up from 0 over `warmupSteps`, then cosine decay to `minLR` at `totalSteps`.
    case cosine(baseLR: Float, totalSteps: Int, warmupSteps: Int, minLR: Float)
    /// base · gamma^(number of milestones passed), after the same linear warm-up.
    case step(baseLR: Float, milestones: [Int], gamma: Float, warmupSteps: Int)
    case constant(Float)

    /// Learning rate for step `t` (0-based).
    public func learningRate(at t: Int) -> Float {
        switch self {
        case .constant(let lr):
            return lr
        case let .cosine(base, total, warmup, minLR):
            if t < warmup { return base * Float(t + 1) / Float(warmup) }
            let span = max(total - warmup, 1)
            let progress = min(Float(t - warmup) / Float(span), 1)
            return minLR + (base - minLR) * 0.5 * (1 + cos(Float.pi * progress))
        case let .step(base, milestones, gamma, warmup):
            if t < warmup { return base * Float(t + 1) / Float(warmup) }
            return base * pow(gamma, Float(milestones.filter { t >= $0 }.count))
        }
    }
}

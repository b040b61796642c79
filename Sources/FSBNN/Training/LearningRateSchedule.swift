import Foundation

/// A learning-rate schedule evaluated per optimizer step, with optional linear warm-up.
///
/// - `constant`: the base rate.
/// - `step`: base * gamma^(number of milestones (epochs) already reached), as PyTorch's MultiStepLR.
/// - `cosine`: cosine annealing from base to `minimum` over the steps after warm-up
///   (Loshchilov & Hutter, SGDR, ICLR 2017, without restarts).
/// - `oneCycle`: Smith & Topin (2017) with cosine phases, as PyTorch's OneCycleLR:
///   from base/divFactor up to base over `pctStart` of the steps, then down to
///   base/(divFactor*finalDivFactor).
/// Warm-up (not combined with oneCycle) rises linearly from base/steps to base over
/// `warmupEpochs` epochs, then the schedule continues over the remaining steps.
public struct LearningRateSchedule: Equatable, Sendable {
    /// The shape of the schedule.
    public enum Kind: Equatable, Sendable {
        case constant
        case step(milestones: [Int], gamma: Double)
        case cosine(minimum: Double)
        case oneCycle(pctStart: Double, divFactor: Double, finalDivFactor: Double)
    }

    public var base: Double
    public var kind: Kind
    public var warmupEpochs: Int

    public init(base: Double, kind: Kind, warmupEpochs: Int = 0) {
        self.base = base
        self.kind = kind
        self.warmupEpochs = warmupEpochs
    }

    /// The rate for optimizer step `step` (0-based) of a run of `totalEpochs` epochs
    /// of `stepsPerEpoch` steps each.
    public func rate(step: Int, stepsPerEpoch: Int, totalEpochs: Int) -> Double {
        let totalSteps = max(1, stepsPerEpoch * totalEpochs)
        let warmupSteps = min(totalSteps, warmupEpochs * stepsPerEpoch)
        if step < warmupSteps {
            return base * Double(step + 1) / Double(warmupSteps)
        }
        switch kind {
        case .constant:
            return base
        case .step(let milestones, let gamma):
            let epoch = step / max(1, stepsPerEpoch)
            let reached = milestones.filter { epoch >= $0 }.count
            return base * pow(gamma, Double(reached))
        case .cosine(let minimum):
            let span = max(1, totalSteps - warmupSteps)
            let progress = Double(step - warmupSteps) / Double(span)
            return minimum + 0.5 * (base - minimum) * (1 + cos(Double.pi * min(1, progress)))
        case .oneCycle(let pctStart, let divFactor, let finalDivFactor):
            let initial = base / divFactor
            let final = initial / finalDivFactor
            let peakStep = pctStart * Double(totalSteps) - 1
            let s = Double(step)
            func anneal(_ from: Double, _ to: Double, _ fraction: Double) -> Double {
                to + (from - to) / 2 * (1 + cos(Double.pi * fraction))
            }
            if s <= peakStep {
                return anneal(initial, base, peakStep > 0 ? s / peakStep : 1)
            }
            let downSteps = Double(totalSteps - 1) - peakStep
            return anneal(base, final, downSteps > 0 ? min(1, (s - peakStep) / downSteps) : 1)
        }
    }
}

// Learning-rate schedules exactly as the official codes compute them (methods/summary.md §3).
// Each is a pure function of the step (or epoch) index returning the lr for that step.
import Foundation

/// A schedule variant; `lr(at:)` takes the 0-based index of the unit the schedule is stepped on
/// (epochs for `warmupCosineEpoch` and `multiStep`, optimiser updates for the others).
public enum Schedule: Codable, Sendable, Equatable {
    /// VPT/E2VPT `WarmupCosineSchedule` as a LambdaLR stepped once per epoch:
    /// λ(e) = e / max(1, W) for e < W, else max(0, ½(1 + cos(π (e − W) / max(1, T − W)))). λ(0) = 0.
    case warmupCosineEpoch(warmupEpochs: Int, totalEpochs: Int)
    /// SA2VP / MAE `cosine_scheduler`: `np.linspace(start, base, W)` over the first W steps, then
    /// min + ½(base − min)(1 + cos(π i / I)) for i = 0..<I, I = total − W.
    case linspaceWarmupCosine(warmupSteps: Int, totalSteps: Int, minLR: Double, startLR: Double)
    /// DAM-VP / InsVP `cosine_lr`: base·(s+1)/W for s < W, else ½(1 + cos(π (s − W) / (S − W)))·base.
    case stepWarmupCosine(warmupSteps: Int, totalSteps: Int)
    /// timm `CosineLRScheduler` (warmup_prefix False, one cycle): warmup_lr_init + t·(base − init)/W for
    /// t < W, else min + ½(base − min)(1 + cos(π t / T)); min after T.
    case timmCosine(tInitial: Int, warmupT: Int, warmupLRInit: Double, lrMin: Double)
    /// torch MultiStepLR: base · γ^(number of milestones ≤ e).
    case multiStep(milestones: [Int], gamma: Double)
    /// torch CosineAnnealingLR (closed form): min + ½(base − min)(1 + cos(π t / T)).
    case cosineAnnealing(tMax: Int, etaMin: Double)
    case constant
    /// A per-epoch schedule read one epoch late: timm schedulers stepped as `scheduler.step(epoch)` after each epoch
    /// (NOAH, V-PETL Bench) train epoch e at f(max(0, e − 1)) — the constructor already set f(0) for epoch 0.
    indirect case stepAfterEpoch(Schedule)

    /// The learning rate at step/epoch `t` for base learning rate `base`.
    public func lr(at t: Int, base: Double) -> Double {
        switch self {
        case let .warmupCosineEpoch(w, total):
            if t < w { return base * Double(t) / Double(max(1, w)) }
            let progress = Double(t - w) / Double(max(1, total - w))
            return base * max(0, 0.5 * (1 + cos(Double.pi * progress)))
        case let .linspaceWarmupCosine(w, total, minLR, start):
            if t < w {
                // np.linspace(start, base, w)[t]
                return w == 1 ? start : start + (base - start) * Double(t) / Double(w - 1)
            }
            let iters = total - w, i = t - w
            if i >= iters { return minLR + 0.5 * (base - minLR) * (1 + cos(Double.pi * Double(iters - 1) / Double(iters))) }
            return minLR + 0.5 * (base - minLR) * (1 + cos(Double.pi * Double(i) / Double(iters)))
        case let .stepWarmupCosine(w, total):
            if t < w { return base * Double(t + 1) / Double(w) }
            let e = t - w, es = total - w
            return 0.5 * (1 + cos(Double.pi * Double(e) / Double(es))) * base
        case let .timmCosine(tInitial, warmupT, warmupInit, lrMin):
            if t < warmupT { return warmupInit + Double(t) * (base - warmupInit) / Double(warmupT) }
            if t >= tInitial { return lrMin }
            return lrMin + 0.5 * (base - lrMin) * (1 + cos(Double.pi * Double(t) / Double(tInitial)))
        case let .multiStep(milestones, gamma):
            return base * pow(gamma, Double(milestones.filter { $0 <= t }.count))
        case let .cosineAnnealing(tMax, etaMin):
            return etaMin + 0.5 * (base - etaMin) * (1 + cos(Double.pi * Double(t) / Double(tMax)))
        case .constant:
            return base
        case let .stepAfterEpoch(inner):
            return inner.lr(at: max(0, t - 1), base: base)
        }
    }

    /// `lr · batch / 256` (VPT's tune scripts, DeiT/MAE-style recipes).
    public static func scaledLR(_ lr: Double, batchSize: Int) -> Double { lr * Double(batchSize) / 256 }
}

extension Optimizer {
    /// Sets every group's lr from its base lr through `schedule` at `t`.
    public func apply(_ schedule: Schedule, at t: Int) {
        for i in groups.indices { groups[i].lr = Float(schedule.lr(at: t, base: Double(groups[i].baseLR))) }
    }
}

// A recipe: everything about how one method trains on one benchmark, as the official scripts do it.
// Recipes are YAML files under recipes/<benchmark>/<method>.yaml; each value carries a comment naming
// the official file it comes from (or, for the mini benchmark, how it was scaled).
import Engine
import Foundation
import Methods
import Yams

/// Optimiser settings of a recipe.
public struct OptimizerSpec: Codable, Sendable, Equatable {
    public var kind: OptimizerKind
    public var momentum: Float?
    public var betas: [Float]?
    public var eps: Float?
}

/// Learning-rate schedule of a recipe; steps are derived from epochs × iterations per epoch.
public struct ScheduleSpec: Codable, Sendable, Equatable {
    /// `warmup-cosine-epoch` (VPT/E2VPT), `linspace-warmup-cosine` (SA2VP), `step-warmup-cosine` (DAM-VP/InsVP,
    /// warmup = 20% of steps), `timm-cosine` (DA-VPT), `timm-cosine-epoch` (SSF, V-PETL Bench: timm CosineLRScheduler
    /// stepped per epoch), `multistep` (ILM-VP), `cosine-annealing`, `constant`.
    public var kind: String
    public var warmupEpochs: Int?
    public var minLR: Double?
    public var warmupLRInit: Double?
    public var milestones: [Int]?
    public var gamma: Double?
    /// `timm-cosine-epoch`: epochs run after the cosine cycle at `minLR` (timm `--cooldown-epochs`; the cycle is
    /// `epochs − cooldownEpochs` long) and how many epochs the lr lags (1 when the official loop calls
    /// `scheduler.step(epoch)` instead of `step(epoch + 1)` after each epoch).
    public var cooldownEpochs: Int?
    public var epochLag: Int?

    /// The engine schedule and whether it is stepped per optimiser update (else per epoch).
    public func resolve(epochs: Int, itersPerEpoch: Int) throws -> (Schedule, perStep: Bool) {
        let total = epochs * itersPerEpoch, warm = (warmupEpochs ?? 0) * itersPerEpoch
        switch kind {
        case "warmup-cosine-epoch": return (.warmupCosineEpoch(warmupEpochs: warmupEpochs ?? 0, totalEpochs: epochs), false)
        case "linspace-warmup-cosine": return (.linspaceWarmupCosine(warmupSteps: warm, totalSteps: total, minLR: minLR ?? 0, startLR: 0), true)
        case "step-warmup-cosine": return (.stepWarmupCosine(warmupSteps: max(1, total / 5), totalSteps: total), true)
        case "timm-cosine": return (.timmCosine(tInitial: total, warmupT: warm, warmupLRInit: warmupLRInit ?? 0, lrMin: minLR ?? 0), true)
        case "timm-cosine-epoch":
            let cycle = epochs - (cooldownEpochs ?? 0)
            guard cycle > 0, (epochLag ?? 0) >= 0 else { throw RecipeError(file: "", message: "timm-cosine-epoch: cooldownEpochs must be < epochs and epochLag ≥ 0") }
            return (.timmCosineEpoch(tInitial: cycle, warmupT: warmupEpochs ?? 0, warmupLRInit: warmupLRInit ?? 0, lrMin: minLR ?? 0, lag: epochLag ?? 0), false)
        case "multistep": return (.multiStep(milestones: milestones ?? [], gamma: gamma ?? 0.1), false)
        case "cosine-annealing": return (.cosineAnnealing(tMax: total, etaMin: minLR ?? 0), true)
        case "constant": return (.constant, false)
        default: throw RecipeError(file: "", message: "unknown schedule kind '\(kind)'")
        }
    }
}

/// Which epoch's number a run reports.
public enum SelectionRule: String, Codable, Sendable {
    /// Test accuracy after the last epoch (VPT/E2VPT VTAB, SA2VP VTAB).
    case lastEpochTest = "last-epoch-test"
    /// Highest test accuracy over epochs (InsVP, DA-VPT, ILM-VP; reads test labels).
    case bestTestOverEpochs = "best-test-over-epochs"
    /// Test accuracy at the epoch with the best validation accuracy (first on ties).
    case testAtBestVal = "test-at-best-val-epoch"

    public var readsTestLabels: Bool { self == .bestTestOverEpochs }
}

/// The (lr, weight decay) grid a protocol searches before its final runs.
public struct HyperGrid: Codable, Sendable, Equatable {
    public var lr: [Double]
    public var weightDecay: [Double]
    /// How a grid point is scored on the validation split: `last-epoch-val` (absent; VPT tune_vtab.py find_best_lrwd)
    /// or `best-val-over-epochs` (E2VPT tune_fgvc_fiveRuns.py find_best_lrwd reads every epoch's val line).
    public var score: String?
    enum CodingKeys: String, CodingKey { case lr, weightDecay = "weight_decay", score }
    public init(lr: [Double], weightDecay: [Double], score: String? = nil) { self.lr = lr; self.weightDecay = weightDecay; self.score = score }

    public static let scores = ["last-epoch-val", "best-val-over-epochs"]

    /// Grid points in a fixed order: lr ascending, then weight decay ascending (ties resolve to the first).
    public var points: [(lr: Double, weightDecay: Double)] {
        lr.sorted().flatMap { l in weightDecay.sorted().map { (l, $0) } }
    }
}

/// A problem in a recipe file.
public struct RecipeError: Error, CustomStringConvertible {
    public var file: String
    public var message: String
    public var description: String { file.isEmpty ? message : "\(file): \(message)" }
}

/// How one method trains on one benchmark.
public struct Recipe: Codable, Sendable, Equatable {
    public var method: String
    public var options: MethodOptions = [:]
    public var optimizer: OptimizerSpec
    /// Base learning rate (before `lr_scaling`).
    public var lr: Double
    /// `batch/256`: lr · batch / 256 (VPT tune scripts, MAE-style recipes); absent: lr as given.
    public var lrScaling: String?
    public var weightDecay: Double
    public var schedule: ScheduleSpec
    public var epochs: Int
    public var batchSize: Int
    public var evalBatchSize: Int?
    public var labelSmoothing: Double?
    public var gradClipValue: Double?
    public var gradClipNorm: Double?
    public var classBalanced: Bool?
    public var dropLast: Bool?
    /// The number the official protocol reports, and a clean one chosen without test labels.
    public var officialSelection: SelectionRule
    public var cleanSelection: SelectionRule
    /// Data pipeline id (see Data's `Pipeline.named`).
    public var pipeline: String
    /// Size the pipeline prepares images at; absent: the backbone's input size. Input-space prompts that pad a
    /// small image up to the backbone's size set it (ILM-VP: `input_size`).
    public var imageSize: Int?
    /// The backbone this recipe is written for, when a table mixes backbones (the mini table's CNN rows);
    /// absent: the table's backbone.
    public var backbone: String?
    /// Evaluate every `evalEvery` epochs (and always after the last).
    public var evalEvery: Int?
    /// timm Mixup/CutMix (batch mode): Beta α of mixup and of cutmix (0/absent = off), the probability that a
    /// batch is mixed at all (`mix_prob`, timm `prob`, default 1) and of cutmix given both (`switch_prob`,
    /// default 0.5). With either α > 0, targets are soft (label_smoothing applied) and odd batches lose their
    /// last sample.
    public var mixup: Double?
    public var cutmix: Double?
    /// Hyper-parameter grid of the protocol (VPT `tune_vtab.py`): every (lr, weight_decay) is trained on the
    /// grid split and scored by last-epoch validation accuracy; the best (ties → smaller lr, then smaller
    /// weight decay) is used for the final runs. Absent: the recipe's own values are final.
    public var grid: HyperGrid?
    public var mixProb: Double?
    public var switchProb: Double?
    /// DA-VPT `eval_after` (train.py:388): the official code evaluates, and keeps its best, only at epochs ≥ this
    /// (0-based). Selection rules other than last-epoch-test range over those epochs only, and per-epoch test
    /// evaluations before it are skipped. Absent: every epoch.
    public var evalAfter: Int?
    /// DA-VPT `samples_per_class` (params.py:101): samples of each class in a class-balanced batch; absent: 2.
    public var samplesPerClass: Int?
    /// The official configuration these values come from (`bench recipe import`; checked by OfficialRecipeTests).
    public var official: OfficialSource?
    /// Values set on purpose to something other than the official source, each with its reason.
    public var declaredDifferences: [DeclaredDifference]?
    /// Official early stops on test accuracy / metric loss (DA-VPT `early_stop_thr`, `vpt_loss_stop_thr`): not
    /// implemented, so a recipe holding one is rejected (declare the difference instead).
    public var earlyStopThr: Double?
    public var vptLossStopThr: Double?
    /// Official settings `bench recipe import` writes as recipe keys but the trainer does not implement: a recipe holding
    /// one is rejected naming it (remove it and declare the difference instead), so none is ignored silently.
    public static let notImplemented: [String: String] = [
        "train_aug": "V-PETL Bench's train_aug: RandAugment + flip on VTAB (dataloader/vtab.py:54-65)",
        "model_ema_decay": "an EMA of the weights, whose accuracy the official run reports (timm train.py --model-ema)",
        "random_erasing": "timm random erasing on the training batch (--reprob, applied by the prefetcher)",
        "train_interpolation": "a random bilinear/bicubic choice per training crop (timm --train-interpolation random)",
    ]

    /// The Mixup settings when the recipe mixes, else nil.
    public var mixupConfig: MixupConfig? {
        guard (mixup ?? 0) > 0 || (cutmix ?? 0) > 0 else { return nil }
        return MixupConfig(mixupAlpha: mixup ?? 0, cutmixAlpha: cutmix ?? 0, mixProb: mixProb ?? 1, switchProb: switchProb ?? 0.5,
                           labelSmoothing: labelSmoothing ?? 0)
    }

    enum CodingKeys: String, CodingKey {
        case method, options, optimizer, lr, epochs, pipeline, schedule
        case lrScaling = "lr_scaling", weightDecay = "weight_decay", batchSize = "batch_size"
        case evalBatchSize = "eval_batch_size", labelSmoothing = "label_smoothing"
        case gradClipValue = "grad_clip_value", gradClipNorm = "grad_clip_norm", classBalanced = "class_balanced"
        case dropLast = "drop_last", officialSelection = "official_selection", cleanSelection = "clean_selection"
        case evalEvery = "eval_every", imageSize = "image_size", backbone
        case mixup, cutmix, mixProb = "mix_prob", switchProb = "switch_prob", grid, evalAfter = "eval_after"
        case samplesPerClass = "samples_per_class", official, declaredDifferences = "declared_differences"
        case earlyStopThr = "early_stop_thr", vptLossStopThr = "vpt_loss_stop_thr"
    }

    /// The learning rate the optimiser starts from.
    public var effectiveLR: Double {
        lrScaling == "batch/256" ? Schedule.scaledLR(lr, batchSize: batchSize) : lr
    }

    public static func load(_ url: URL) throws -> Recipe {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw RecipeError(file: url.path, message: "recipe file missing or unreadable")
        }
        do {
            let r = try YAMLDecoder().decode(Recipe.self, from: text)
            if let s = r.lrScaling, s != "batch/256" { throw RecipeError(file: url.path, message: "lr_scaling must be batch/256 or absent") }
            _ = try r.schedule.resolve(epochs: r.epochs, itersPerEpoch: 1)
            if let e = r.evalAfter, e < 0 { throw RecipeError(file: url.path, message: "eval_after must be ≥ 0") }
            if let k = r.samplesPerClass, k < 1 || r.batchSize % k != 0 {
                throw RecipeError(file: url.path, message: "samples_per_class must be ≥ 1 and divide batch_size")
            }
            for (key, v) in [("early_stop_thr", r.earlyStopThr), ("vpt_loss_stop_thr", r.vptLossStopThr)] where (v ?? -1) > 0 {
                throw RecipeError(file: url.path, message: "\(key) (the official DA-VPT early stop) is not implemented: remove it and list it under declared_differences with the reason")
            }
            if let top = try Yams.compose(yaml: text)?.mapping {
                for (key, what) in notImplemented.sorted(by: { $0.key < $1.key }) where top[key] != nil {
                    throw RecipeError(file: url.path, message: "\(key) (\(what)) is not implemented: remove it and list it under declared_differences with the reason")
                }
            }
            if let g = r.grid {
                if g.lr.isEmpty || g.weightDecay.isEmpty { throw RecipeError(file: url.path, message: "grid: lr and weight_decay must each list at least one value") }
                if let sc = g.score, !HyperGrid.scores.contains(sc) {
                    throw RecipeError(file: url.path, message: "grid: score '\(sc)' is not one of \(HyperGrid.scores.joined(separator: ", "))")
                }
                // The best epoch is only seen when grid runs evaluate their val split (in the test slot) every epoch.
                let everyEpoch = r.evalEvery == 1 || (r.evalAfter == nil && [r.officialSelection, r.cleanSelection].contains { $0 != .lastEpochTest })
                if g.score == "best-val-over-epochs" && !everyEpoch {
                    throw RecipeError(file: url.path, message: "grid: score best-val-over-epochs needs an evaluation every epoch (eval_every: 1, or a selection rule other than last-epoch-test without eval_after)")
                }
            }
            return r
        } catch let e as RecipeError {
            throw RecipeError(file: url.path, message: e.message)
        } catch {
            throw RecipeError(file: url.path, message: "not a valid recipe: \(error)")
        }
    }

    public var optimizerConfig: OptimizerConfig {
        var c = OptimizerConfig(kind: optimizer.kind, momentum: optimizer.momentum ?? 0)
        if let b = optimizer.betas, b.count == 2 { c.beta1 = b[0]; c.beta2 = b[1] }
        if let e = optimizer.eps { c.eps = e }
        return c
    }
}

// The one trainer every method goes through. A run is a function of (cell, seed, thread count): data
// order comes from (seed, epoch), augmentation from (seed, epoch, sample), method randomness (prompt dropout,
// drop-path) from (seed, epoch, step). Each epoch ends with an atomic checkpoint of the trainable tensors,
// optimiser state and method state; a run restarted on the same folder resumes from it and ends with the
// same numbers as an uninterrupted one.
import Backbones
import Checkpoints
import Data
import Engine
import Foundation
import Methods
import Random

/// A training failure that leaves the last good checkpoint in place.
public struct TrainingError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// The data a run trains and evaluates on.
public struct RunData {
    public var train: DataLoader
    public var val: DataLoader?
    public var test: DataLoader
    public init(train: DataLoader, val: DataLoader?, test: DataLoader) { self.train = train; self.val = val; self.test = test }
}

/// Trains one method with one recipe and seed, writing metrics and checkpoints into `folder`.
public final class Trainer {
    public let method: PromptMethod
    public let recipe: Recipe
    public let data: RunData
    public let seed: UInt64
    public let folder: URL?
    public let progress: ProgressReporter
    public private(set) var history: [EpochMetrics] = []
    /// Test hook: stop with an error right after the checkpoint of this epoch (simulates a crash).
    public var crashAfterEpoch: Int?
    let optimizer: Optimizer
    let schedule: Schedule
    let perStep: Bool
    let itersPerEpoch: Int
    let mixupConfig: MixupConfig?
    /// Whether frozen-prefix features may be cached (set false to force recomputation, e.g. to time it).
    public var allowFeatureCache = true
    /// Frozen-prefix features of every split, built at the start of `run` when the method and pipeline allow it.
    var featureCache: FeatureCache?

    public init(method: PromptMethod, recipe: Recipe, data: RunData, seed: UInt64, folder: URL?, label: String = "train") throws {
        self.method = method
        self.recipe = recipe
        self.data = data
        self.seed = seed
        self.folder = folder
        progress = ProgressReporter(label: label)
        itersPerEpoch = data.train.plan(epoch: 0).count
        mixupConfig = recipe.mixupConfig
        guard itersPerEpoch > 0 else { throw TrainingError(message: "the training split yields no batch (batch size \(recipe.batchSize))") }
        (schedule, perStep) = try recipe.schedule.resolve(epochs: recipe.epochs, itersPerEpoch: itersPerEpoch)
        // Data-dependent structure (clusters, per-cluster prompters, label mappings) exists before the optimiser.
        try method.prepare(trainingData: Trainer.reader(data.train))
        let lr = Float(recipe.effectiveLR)
        optimizer = Optimizer(recipe.optimizerConfig, groups: method.parameterGroups(lr: lr, weightDecay: Float(recipe.weightDecay)))
    }

    /// The training loader as the methods' `TrainingData`.
    static func reader(_ loader: DataLoader) -> TrainingData {
        { epoch in
            var source = loader
            if epoch == wholeTrainingSetEpoch {
                var o = loader.options
                o.shuffle = false; o.dropLast = false; o.train = false; o.classBalanced = false
                source = DataLoader(dataset: loader.dataset, pipeline: loader.pipeline, options: o)
            }
            let it = source.batches(epoch: max(epoch, 0))
            return { try it.next().map { (Tensor($0.images, shape: $0.shape), $0.labels.map { Int($0) }) } }
        }
    }

    /// `evaluate` between the method's evaluation hooks (on cached features when the run has them).
    func evaluate(_ split: EvaluationSplit, _ loader: DataLoader, epoch: Int) throws -> Double {
        method.willEvaluate(split, epoch: epoch)
        let cached = split == .val ? featureCache?.val : featureCache?.test
        // The epoch picks each image's random draws where an evaluation pipeline augments (ILM-VP's full fine-tuning
        // crops and flips its test images at random, fresh every epoch); deterministic pipelines ignore it.
        let acc = try cached.map { featureCache!.accuracy($0) } ?? evaluate(loader, epoch: epoch)
        method.didEvaluate(split, epoch: epoch, accuracy: acc)
        return acc
    }

    var checkpointURL: URL? { folder?.appendingPathComponent("checkpoint.safetensors") }
    var metricsURL: URL? { folder?.appendingPathComponent("metrics.jsonl") }

    /// Top-1 accuracy (%) of the method on a loader, in eval mode.
    public func evaluate(_ loader: DataLoader, epoch: Int = 0) throws -> Double {
        var correct = 0, total = 0
        let it = loader.batches(epoch: epoch)
        while let b = try it.next() {
            let x = Tensor(b.images, shape: b.shape)
            var ctx = ForwardContext.eval
            let pred = withoutGrad { method.logits(x, context: &ctx).argmaxLastAxis() }
            for (p, y) in zip(pred, b.labels) where p == Int(y) { correct += 1 }
            total += b.labels.count
        }
        return total == 0 ? 0 : 100 * Double(correct) / Double(total)
    }

    /// (1 − ε)·one-hot + ε / C, [B, C].
    public static func smoothedTargets(_ labels: [Int], classes: Int, epsilon: Float) -> Tensor {
        var t = [Float](repeating: epsilon / Float(classes), count: labels.count * classes)
        for (i, y) in labels.enumerated() { t[i * classes + y] += 1 - epsilon }
        return Tensor(t, shape: [labels.count, classes])
    }

    /// Trains from the last checkpoint (or from scratch) to `recipe.epochs`, returning the per-epoch history.
    public func run() throws -> [EpochMetrics] {
        let start = try resume()
        let epochs = recipe.epochs
        if allowFeatureCache, start < epochs, let m = method as? CachesFrozenFeatures {
            if let why = FeatureCache.reasonNotCached(method: method, recipe: recipe, train: data.train) {
                progress.note("features not cached: \(why)")
            } else {
                let t = Date()
                featureCache = try FeatureCache(method: m, data: data, batchSize: recipe.evalBatchSize ?? 256)
                let c = featureCache!
                var note = String(format: "frozen features cached for %d train / %d test images in %.1f s", c.train.labels.count,
                                  c.test?.labels.count ?? 0, Date().timeIntervalSince(t))
                let left = [data.val != nil && c.val == nil ? "val" : nil, c.test == nil ? "test" : nil].compactMap { $0 }
                if !left.isEmpty { note += "; \(left.joined(separator: " and ")) evaluated from images (over VPT_FEATURE_CACHE_MB)" }
                progress.note(note)
            }
        }
        var lastStep = Date()
        for epoch in start..<epochs {
            let t0 = Date()
            if !perStep { optimizer.apply(schedule, at: epoch) }
            try method.epochWillBegin(epoch, trainingData: Trainer.reader(data.train))
            var lossSum = 0.0, seen = 0
            let next = batches(epoch: epoch)
            var step = 0
            while let b = try next() {
                if perStep { optimizer.apply(schedule, at: epoch * itersPerEpoch + step) }
                var x = b.x
                var labels = b.labels
                var targets: Tensor? = nil
                if let mix = mixupConfig {
                    // timm Mixup needs an even batch; InsVP drops the last sample of an odd one (train/trainer.py:97-99).
                    if labels.count % 2 == 1 {
                        labels.removeLast()
                        var s = x.shape; s[0] -= 1
                        x = Tensor(Array(x.scalars[0..<(s.reduce(1, *))]), shape: s)
                    }
                    if labels.isEmpty { step += 1; continue }
                    var mixRng = RandomStream(seed, UInt64(epoch), UInt64(step), 0x313)
                    (x, targets) = Mixup.mix(images: x, labels: labels, classes: data.train.dataset.numClasses, config: mix, rng: &mixRng)
                } else if let eps = recipe.labelSmoothing, eps > 0 {
                    // Label smoothing without mixing (timm LabelSmoothingCrossEntropy, torch CE label_smoothing):
                    // (1 − ε)·NLL + ε·mean(−log p) = soft-target CE against (1 − ε)·one-hot + ε / C.
                    targets = Self.smoothedTargets(labels, classes: data.train.dataset.numClasses, epsilon: Float(eps))
                }
                var ctx = ForwardContext(training: true, rng: RandomStream(seed, UInt64(epoch), UInt64(step), 0xD0))
                let batch = TrainingBatch(images: x, labels: labels, targets: targets, epoch: epoch)
                let loss: Tensor
                if let cache = featureCache {
                    loss = method.crossEntropy(cache.method.trainingLogits(fromFeatures: x, context: &ctx), batch)
                } else {
                    loss = method.loss(batch, context: &ctx)
                }
                let value = loss.item
                guard value.isFinite else {
                    throw TrainingError(message: "loss is \(value) at epoch \(epoch) step \(step); stopped, the last good checkpoint (end of epoch \(epoch - 1)) is kept")
                }
                optimizer.zeroGrad()
                loss.backward()
                Self.injectFault(method)
                if let v = recipe.gradClipValue { GradClip.byValue(optimizer.parameters, Float(v)) }
                if let n = recipe.gradClipNorm { GradClip.byNorm(optimizer.parameters, Float(n)) }
                optimizer.step()
                lossSum += Double(value) * Double(labels.count)
                seen += labels.count
                step += 1
                let elapsed = Date().timeIntervalSince(t0)
                let ips = Double(seen) / max(elapsed, 1e-9)
                let remaining = Double((epochs - epoch) * itersPerEpoch - step) * Date().timeIntervalSince(lastStep)
                lastStep = Date()
                progress.update(epoch: epoch, epochs: epochs, step: step, steps: itersPerEpoch, loss: value, imagesPerSecond: ips, etaSeconds: remaining)
            }
            let trainSeconds = Date().timeIntervalSince(t0)
            method.epochDidEnd(epoch)
            // Validation every epoch (small, and the curves need it). Test only where a selection rule needs
            // per-epoch test numbers, every `eval_every` epochs if the recipe asks, and always after the last epoch.
            let testNow = Self.testsAfter(epoch: epoch, epochs: epochs, recipe: recipe)
            let val = try data.val.map { try evaluate(.val, $0, epoch: epoch) }
            let test = testNow ? try evaluate(.test, data.test, epoch: epoch) : nil
            let m = EpochMetrics(epoch: epoch, lr: Double(optimizer.groups.first?.lr ?? 0), trainLoss: lossSum / Double(max(seen, 1)),
                                 valAccuracy: val, testAccuracy: test, wallSeconds: Date().timeIntervalSince(t0),
                                 imagesPerSecond: Double(seen) / max(trainSeconds, 1e-9))
            history.append(m)
            try saveCheckpoint(epoch: epoch)
            if crashAfterEpoch == epoch { throw TrainingError(message: "simulated crash after epoch \(epoch)") }
        }
        progress.finish("")
        return history
    }

    /// The epoch's training batches in the loader's order: images, or cached features of the same samples.
    func batches(epoch: Int) -> () throws -> (x: Tensor, labels: [Int])? {
        if let cache = featureCache {
            var plan = data.train.plan(epoch: epoch)[...]
            return { plan.popFirst().map { cache.train.batch($0) } }
        }
        let it = data.train.batches(epoch: epoch)
        return { try it.next().map { (Tensor($0.images, shape: $0.shape), $0.labels.map { Int($0) }) } }
    }

    /// Debug builds only, so a test can show that `bench check` catches a broken method (release builds ignore it):
    /// `VPT_TEST_FAULT=zero-prompt-grad` zeroes every prompt gradient before the update;
    /// `VPT_TEST_FAULT=zero-grad` zeroes every gradient (nothing learns).
    static let testFault = ProcessInfo.processInfo.environment["VPT_TEST_FAULT"]  // read once, not every step
    static func injectFault(_ method: PromptMethod) {
        #if DEBUG
        guard let fault = testFault, fault == "zero-prompt-grad" || fault == "zero-grad" else { return }
        for p in method.trainable where fault == "zero-grad" || method.role(of: p) == .prompt { p.value.grad?.fill(0) }
        #endif
    }

    // MARK: - Checkpoints

    /// Writes trainable tensors, optimiser state, method state and the metrics so far in one atomic file.
    func saveCheckpoint(epoch: Int) throws {
        guard let url = checkpointURL else { return }
        var tensors: [StoredTensor] = []
        for p in method.trainable { tensors.append(StoredTensor(name: "param/" + p.name, shape: p.shape, floats: p.value.scalars)) }
        for (name, bufs) in optimizer.state {
            for (k, v) in bufs { tensors.append(StoredTensor(name: "opt/\(name)/\(k)", shape: [v.count], floats: v)) }
        }
        for (k, t) in method.checkpointState() { tensors.append(StoredTensor(name: "state/" + k, shape: t.shape, floats: t.scalars)) }
        let meta: [String: String] = [
            "epoch": String(epoch),
            "opt_steps": String(decoding: try JSONEncoder().encode(optimizer.stepCount), as: UTF8.self),
            "history": String(decoding: try JSONEncoder().encode(history), as: UTF8.self),
        ]
        try RunStore.writeAtomically(try Safetensors.encode(tensors, metadata: meta, file: url.path), to: url)
        // metrics.jsonl is rewritten from the history so it always agrees with the checkpoint.
        if let m = metricsURL {
            let lines = try history.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }.joined(separator: "\n") + "\n"
            try RunStore.writeAtomically(Data(lines.utf8), to: m)
        }
    }

    /// Restores the last checkpoint if there is one; returns the first epoch still to train.
    func resume() throws -> Int {
        guard let url = checkpointURL, FileManager.default.fileExists(atPath: url.path) else { return 0 }
        let ck = try Safetensors.load(url)
        guard let e = ck.metadata["epoch"].flatMap(Int.init), let stepsText = ck.metadata["opt_steps"],
              let histText = ck.metadata["history"] else {
            throw TrainingError(message: "\(url.path): checkpoint metadata is incomplete; delete the file to start over")
        }
        let byName = Dictionary(uniqueKeysWithValues: method.trainable.map { ($0.name, $0) })
        var state: [String: [String: [Float]]] = [:]
        var methodState: [String: Tensor] = [:]
        for name in ck.names {
            let t = try ck.tensor(name)
            let v = try t.floats()
            if name.hasPrefix("param/") {
                let pn = String(name.dropFirst(6))
                guard let p = byName[pn], p.count == v.count else {
                    throw TrainingError(message: "\(url.path): checkpoint tensor \(pn) does not match this run's trainable parameters")
                }
                v.withUnsafeBufferPointer { p.value.data.update(from: $0.baseAddress!, count: v.count) }
            } else if name.hasPrefix("opt/") {
                let rest = name.dropFirst(4)
                guard let slash = rest.lastIndex(of: "/") else { continue }
                state[String(rest[..<slash]), default: [:]][String(rest[rest.index(after: slash)...])] = v
            } else if name.hasPrefix("state/") {
                methodState[String(name.dropFirst(6))] = Tensor(v, shape: t.shape)
            }
        }
        let steps = try JSONDecoder().decode([String: Int].self, from: Data(stepsText.utf8))
        optimizer.load(state: state, stepCount: steps)
        try method.restore(checkpointState: methodState)
        history = try JSONDecoder().decode([EpochMetrics].self, from: Data(histText.utf8))
        progress.finish("resuming after epoch \(e + 1) from \(url.path)")
        return e + 1
    }

    // MARK: - Selection

    /// Whether the test split is evaluated after `epoch` (0-based): always after the last; every epoch from `eval_after` on
    /// where a selection rule needs per-epoch test numbers; every `eval_every` epochs if the recipe asks — and with
    /// `eval_every`, the per-epoch tests keep to it too (V-PETL Bench tests only at epochs 89 and 99: every 10th after 80).
    static func testsAfter(epoch: Int, epochs: Int, recipe: Recipe) -> Bool {
        let perEpochTest = [recipe.officialSelection, recipe.cleanSelection].contains { $0 != .lastEpochTest }
        let everyN = recipe.evalEvery.map { (epoch + 1) % $0 == 0 }
        return epoch == epochs - 1 || (perEpochTest && epoch >= (recipe.evalAfter ?? 0) && everyN ?? true) || everyN == true
    }

    /// The accuracy `rule` picks from the history. With `evalAfter` (DA-VPT's `eval_after`), the best-over-epochs
    /// rules only consider epochs ≥ evalAfter (0-based), as the official code only evaluates those; when none is
    /// evaluated there, the last evaluated epoch counts.
    public static func select(_ rule: SelectionRule, from h: [EpochMetrics], evalAfter: Int? = nil) -> SelectedAccuracy {
        var evaluated = h.filter { $0.testAccuracy != nil }
        guard let last = evaluated.last else { return SelectedAccuracy(accuracy: .nan, rule: rule.rawValue, epoch: -1) }
        if let e = evalAfter, rule != .lastEpochTest {
            let late = evaluated.filter { $0.epoch >= e }
            evaluated = late.isEmpty ? [last] : late
        }
        switch rule {
        case .lastEpochTest:
            return SelectedAccuracy(accuracy: last.testAccuracy!, rule: rule.rawValue, epoch: last.epoch)
        case .bestTestOverEpochs:
            let best = evaluated.max { $0.testAccuracy! < $1.testAccuracy! || ($0.testAccuracy! == $1.testAccuracy! && $0.epoch > $1.epoch) }!
            return SelectedAccuracy(accuracy: best.testAccuracy!, rule: rule.rawValue, epoch: best.epoch)
        case .testAtBestVal:
            let withVal = evaluated.filter { $0.valAccuracy != nil }
            guard let best = withVal.max(by: { $0.valAccuracy! < $1.valAccuracy! || ($0.valAccuracy! == $1.valAccuracy! && $0.epoch > $1.epoch) }) else {
                return SelectedAccuracy(accuracy: last.testAccuracy!, rule: SelectionRule.lastEpochTest.rawValue, epoch: last.epoch)
            }
            return SelectedAccuracy(accuracy: best.testAccuracy!, rule: rule.rawValue, epoch: best.epoch)
        }
    }
}

// Frozen-prefix feature caching: for a method whose trainable part sits after a frozen deterministic prefix
// (`CachesFrozenFeatures`: the linear probe, Partial-1), the prefix runs once per image of each split and every
// epoch trains and evaluates on the stored features. Valid only when the training pipeline draws no random numbers
// (no random crop or flip) and the recipe does not mix images; otherwise `reasonNotCached` says why.
import Data
import Engine
import Foundation
import Methods

/// Features [N, F] and labels of one split, in dataset order.
struct CachedSplit {
    let features: Tensor
    let labels: [Int]

    /// Rows `indices` as a batch.
    func batch(_ indices: [Int]) -> (Tensor, [Int]) {
        let f = features.shape[1]
        let out = Tensor(uninitialized: [indices.count, f])
        for (r, i) in indices.enumerated() { (out.data + r * f).update(from: features.data + i * f, count: f) }
        return (out, indices.map { labels[$0] })
    }
}

/// Cached features of the train / val / test splits of one run. The training split is always cached; val and test
/// only while the whole cache stays within `budgetBytes` (Partial-1 keeps 605 KB per ViT-B/16 image: a 26k-image
/// test split would take 16 GB) — a split left out is evaluated by running the prefix again.
final class FeatureCache {
    let method: CachesFrozenFeatures
    let train: CachedSplit
    let val: CachedSplit?
    let test: CachedSplit?
    /// Rows per forward when extracting and evaluating.
    let batchSize: Int

    /// `VPT_FEATURE_CACHE_MB` (default 4096): the most the cached features of one run may take. A fixed default,
    /// not a share of the machine's memory: which splits are cached changes the batching of their forward, and a
    /// run's numbers must not depend on the machine.
    static var budgetBytes: Int {
        (ProcessInfo.processInfo.environment["VPT_FEATURE_CACHE_MB"].flatMap { Int($0) } ?? 4096) * 1_048_576
    }

    static func bytes(_ method: CachesFrozenFeatures, images: Int) -> Int { images * method.featureWidth * MemoryLayout<Float>.size }

    /// Why the run cannot cache (nil when it can).
    static func reasonNotCached(method: PromptMethod, recipe: Recipe, train: DataLoader, budgetBytes: Int = FeatureCache.budgetBytes) -> String? {
        guard let m = method as? CachesFrozenFeatures else { return "\(method.id) trains tensors inside the backbone" }
        if recipe.mixupConfig != nil { return "the recipe mixes images (mixup/cutmix)" }
        if let random = train.pipeline.steps(train: true).first(where: \.isRandom) {
            return "the training pipeline '\(train.pipeline.name)' augments at random (\(random))"
        }
        let need = bytes(m, images: train.dataset.count)
        if need > budgetBytes {
            return String(format: "the training split's features take %.0f MiB, over the cache's %d MiB (VPT_FEATURE_CACHE_MB)", Double(need) / 1_048_576, budgetBytes / 1_048_576)
        }
        return nil
    }

    init(method: CachesFrozenFeatures, data: RunData, batchSize: Int, budgetBytes: Int = FeatureCache.budgetBytes) throws {
        self.method = method
        self.batchSize = batchSize
        let width = method.featureWidth
        func extract(_ loader: DataLoader) throws -> CachedSplit {
            // Dataset order, the loader's own phase (train transforms for the training split: deterministic here).
            var o = loader.options
            o.shuffle = false; o.dropLast = false; o.classBalanced = false; o.batchSize = batchSize
            let ordered = DataLoader(dataset: loader.dataset, pipeline: loader.pipeline, options: o)
            let n = loader.dataset.count
            let features = Tensor(uninitialized: [n, width])
            var labels = [Int](repeating: 0, count: n)
            let it = ordered.batches(epoch: 0)
            while let b = try it.next() {
                let f = method.frozenFeatures(Tensor(b.images, shape: b.shape))
                precondition(f.count == b.indices.count * width, "\(method.id): features \(f.shape) for \(b.indices.count) images of width \(width)")
                for (r, i) in b.indices.enumerated() { (features.data + i * width).update(from: f.data + r * width, count: width) }
                for (i, y) in zip(b.indices, b.labels) { labels[i] = Int(y) }
            }
            return CachedSplit(features: features, labels: labels)
        }
        var left = budgetBytes
        /// A split's features when they fit in what is left of the budget.
        func fitting(_ loader: DataLoader) throws -> CachedSplit? {
            let need = Self.bytes(method, images: loader.dataset.count)
            guard need <= left else { return nil }
            left -= need
            return try extract(loader)
        }
        guard let train = try fitting(data.train) else {
            throw TrainingError(message: "\(method.id): the training split's features do not fit VPT_FEATURE_CACHE_MB")
        }
        self.train = train
        val = try data.val.flatMap(fitting)
        test = try fitting(data.test)
    }

    /// Top-1 accuracy (%) on a cached split, `batchSize` rows per forward (as evaluation from images).
    func accuracy(_ split: CachedSplit) -> Double {
        var correct = 0
        for start in stride(from: 0, to: split.labels.count, by: batchSize) {
            let (x, y) = split.batch(Array(start..<min(start + batchSize, split.labels.count)))
            let pred = withoutGrad { method.logits(fromFeatures: x).argmaxLastAxis() }
            correct += zip(pred, y).filter { $0 == $1 }.count
        }
        return split.labels.isEmpty ? 0 : 100 * Double(correct) / Double(split.labels.count)
    }
}

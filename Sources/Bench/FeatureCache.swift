// Frozen-prefix feature caching: for a method whose trainable part sits after a frozen deterministic prefix
// (`CachesFrozenFeatures`, the linear probe), the prefix runs once per image of each split and every epoch
// trains and evaluates on the stored features. Valid only when the training pipeline draws no random numbers
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
        var out = [Float](repeating: 0, count: indices.count * f)
        let src = features.data
        out.withUnsafeMutableBufferPointer { dst in
            for (r, i) in indices.enumerated() { (dst.baseAddress! + r * f).update(from: src + i * f, count: f) }
        }
        return (Tensor(out, shape: [indices.count, f]), indices.map { labels[$0] })
    }
}

/// Cached features of the train / val / test splits of one run.
final class FeatureCache {
    let method: CachesFrozenFeatures
    let train: CachedSplit
    let val: CachedSplit?
    let test: CachedSplit

    /// Why the run cannot cache (nil when it can).
    static func reasonNotCached(method: PromptMethod, recipe: Recipe, train: DataLoader) -> String? {
        guard method is CachesFrozenFeatures else { return "\(method.id) trains tensors inside the backbone" }
        if recipe.mixupConfig != nil { return "the recipe mixes images (mixup/cutmix)" }
        if let random = train.pipeline.steps(train: true).first(where: \.isRandom) {
            return "the training pipeline '\(train.pipeline.name)' augments at random (\(random))"
        }
        return nil
    }

    init(method: CachesFrozenFeatures, data: RunData, batchSize: Int) throws {
        self.method = method
        func extract(_ loader: DataLoader) throws -> CachedSplit {
            // Dataset order, the loader's own phase (train transforms for the training split: deterministic here).
            var o = loader.options
            o.shuffle = false; o.dropLast = false; o.classBalanced = false; o.batchSize = batchSize
            let ordered = DataLoader(dataset: loader.dataset, pipeline: loader.pipeline, options: o)
            var rows: [Float] = [], labels = [Int](repeating: 0, count: loader.dataset.count), width = 0
            let it = ordered.batches(epoch: 0)
            while let b = try it.next() {
                let f = method.frozenFeatures(Tensor(b.images, shape: b.shape))
                width = f.shape[1]
                rows += f.scalars
                for (i, y) in zip(b.indices, b.labels) { labels[i] = Int(y) }
            }
            return CachedSplit(features: Tensor(rows, shape: [labels.count, width]), labels: labels)
        }
        train = try extract(data.train)
        val = try data.val.map(extract)
        test = try extract(data.test)
    }

    /// Top-1 accuracy (%) on a cached split.
    func accuracy(_ split: CachedSplit) -> Double {
        let pred = withoutGrad { method.logits(fromFeatures: split.features).argmaxLastAxis() }
        let correct = zip(pred, split.labels).filter { $0 == $1 }.count
        return split.labels.isEmpty ? 0 : 100 * Double(correct) / Double(split.labels.count)
    }
}

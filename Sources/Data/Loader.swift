// Deterministic multi-threaded loader. Epoch order comes from RandomStream(seed, epoch), each sample's
// augmentation from RandomStream(seed, epoch, sampleIndex); samples are decoded concurrently but written
// into fixed slots, so batches are bit-identical whatever the thread count.

import Foundation
import Random

/// A batch ready for the trainer (no engine dependency; the trainer wraps `images` in a tensor).
public struct Batch: Equatable, Sendable {
    /// B × C × H × W, row-major.
    public var images: [Float]
    /// [B, C, H, W].
    public var shape: [Int]
    public var labels: [Int32]
    /// Dataset indices of the samples, in batch order.
    public var indices: [Int]
}

/// How a loader walks a dataset.
public struct LoaderOptions: Codable, Equatable, Sendable {
    public var batchSize: Int
    /// Shuffle every epoch (train); eval loaders keep dataset order.
    public var shuffle: Bool
    public var dropLast: Bool
    /// Train-phase transforms (augmentation) or eval-phase ones.
    public var train: Bool
    public var seed: UInt64
    /// Decode/transform threads (≥ 1).
    public var threads: Int
    /// Batches computed ahead of the consumer (≥ 1).
    public var prefetch: Int
    /// DA-VPT's class-balanced sampler: each batch holds batchSize/k classes × k samples (k = samplesPerClass).
    public var classBalanced: Bool
    /// k of the class-balanced sampler (DA-VPT `samples_per_class`, params.py:101); absent: 2.
    public var samplesPerClass: Int?
    /// Keep the decoded, deterministically resized uint8 image of every sample in memory (small sets).
    public var cache: Bool

    public init(batchSize: Int, shuffle: Bool = true, dropLast: Bool = false, train: Bool = true, seed: UInt64 = 0,
                threads: Int = 2, prefetch: Int = 2, classBalanced: Bool = false, samplesPerClass: Int? = nil, cache: Bool = false) {
        self.batchSize = batchSize; self.shuffle = shuffle; self.dropLast = dropLast; self.train = train
        self.seed = seed; self.threads = threads; self.prefetch = prefetch
        self.classBalanced = classBalanced; self.samplesPerClass = samplesPerClass; self.cache = cache
    }
}

/// Thread-safe store of pipeline-prefix outputs keyed by sample index.
final class ImageCache: @unchecked Sendable {
    private var store: [Int: Image] = [:]
    private let lock = NSLock()
    func get(_ i: Int) -> Image? { lock.lock(); defer { lock.unlock() }; return store[i] }
    func put(_ i: Int, _ img: Image) { lock.lock(); store[i] = img; lock.unlock() }
}

/// Produces the batches of one dataset through one pipeline, epoch by epoch.
public final class DataLoader: @unchecked Sendable {
    public let dataset: any ImageDataset
    public let pipeline: Pipeline
    public let options: LoaderOptions
    private let cache = ImageCache()

    public init(dataset: any ImageDataset, pipeline: Pipeline, options: LoaderOptions) {
        precondition(options.batchSize > 0 && options.threads > 0 && options.prefetch > 0)
        self.dataset = dataset; self.pipeline = pipeline; self.options = options
    }

    /// The sample indices of every batch of `epoch` (the whole plan; cheap).
    public func plan(epoch: Int) -> [[Int]] {
        let n = dataset.count, B = options.batchSize
        var rng = RandomStream(options.seed, UInt64(epoch))
        if options.classBalanced { return balancedPlan(&rng) }
        let order = options.shuffle ? rng.permutation(n) : Array(0..<n)
        var out: [[Int]] = []
        var s = 0
        while s < n {
            let e = min(n, s + B)
            if e - s < B && options.dropLast { break }
            out.append(Array(order[s..<e]))
            s = e
        }
        return out
    }

    /// batchSize/k distinct classes × k samples per batch, count/batchSize batches (DA-VPT's sampler shape; k = 2 unless set).
    private func balancedPlan(_ rng: inout RandomStream) -> [[Int]] {
        var byClass = [[Int]](repeating: [], count: dataset.numClasses)
        for i in 0..<dataset.count { byClass[dataset.label(i)].append(i) }
        let present = byClass.indices.filter { !byClass[$0].isEmpty }
        let perClass = max(1, options.samplesPerClass ?? 2)
        let k = max(1, min(options.batchSize / perClass, present.count))
        var out: [[Int]] = []
        for _ in 0..<max(1, dataset.count / options.batchSize) {
            let classes = rng.permutation(present.count).prefix(k).map { present[$0] }
            var b: [Int] = []
            for c in classes {
                let members = byClass[c]
                for _ in 0..<perClass { b.append(members[rng.int(below: members.count)]) }
            }
            out.append(b)
        }
        return out
    }

    /// The transformed sample `i` as CHW floats, augmentation keyed by (seed, epoch, i).
    public func sample(_ i: Int, epoch: Int) throws -> FloatImage {
        let k = pipeline.cacheablePrefix(train: options.train)
        var base: Image
        if options.cache, let hit = cache.get(i) {
            base = hit
        } else {
            base = pipeline.applyPrefix(try dataset.image(i), train: options.train, count: k)
            if options.cache { cache.put(i, base) }
        }
        var rng = RandomStream(options.seed, UInt64(epoch), UInt64(i))
        return pipeline.apply(base, train: options.train, from: k, rng: &rng)
    }

    /// Builds one batch from its indices with `threads` workers, each writing its own slots.
    public func makeBatch(_ idx: [Int], epoch: Int) throws -> Batch {
        let S = pipeline.size, per = 3 * S * S, B = idx.count
        var images = [Float](repeating: 0, count: B * per)
        var errors = [Error?](repeating: nil, count: B)
        let T = min(options.threads, B)
        images.withUnsafeMutableBufferPointer { imgBuf in
            errors.withUnsafeMutableBufferPointer { errBuf in
                let ib = imgBuf, eb = errBuf
                DispatchQueue.concurrentPerform(iterations: T) { t in
                    var j = t
                    while j < B {
                        do {
                            let f = try self.sample(idx[j], epoch: epoch)
                            f.values.withUnsafeBufferPointer { src in
                                (ib.baseAddress! + j * per).update(from: src.baseAddress!, count: per)
                            }
                        } catch { eb[j] = error }
                        j += T
                    }
                }
            }
        }
        if let e = errors.compactMap({ $0 }).first { throw e }
        return Batch(images: images, shape: [B, 3, S, S], labels: idx.map { Int32(dataset.label($0)) }, indices: idx)
    }

    /// An iterator over the batches of `epoch`, computing up to `prefetch` batches ahead on a background queue.
    public func batches(epoch: Int) -> BatchIterator { BatchIterator(loader: self, epoch: epoch) }
}

/// State shared by a `BatchIterator` and its producer thread (the producer must not keep the
/// iterator alive, so that dropping the iterator early cancels the producer).
final class PrefetchState: @unchecked Sendable {
    var results: [Int: Result<Batch, Error>] = [:]
    let cond = NSCondition()
    var nextToTake = 0
    var cancelled = false
}

/// Pulls batches in plan order; a producer thread stays at most `prefetch` batches ahead.
public final class BatchIterator: @unchecked Sendable {
    private let plan: [[Int]]
    private let state = PrefetchState()

    init(loader: DataLoader, epoch: Int) {
        let plan = loader.plan(epoch: epoch)
        self.plan = plan
        let total = plan.count, ahead = loader.options.prefetch, st = state
        Thread.detachNewThread {
            for b in 0..<total {
                st.cond.lock()
                while b - st.nextToTake >= ahead && !st.cancelled { st.cond.wait() }
                let stop = st.cancelled
                st.cond.unlock()
                if stop { return }
                let r = Result { try loader.makeBatch(plan[b], epoch: epoch) }
                st.cond.lock(); st.results[b] = r; st.cond.broadcast(); st.cond.unlock()
            }
        }
    }

    deinit { state.cond.lock(); state.cancelled = true; state.cond.broadcast(); state.cond.unlock() }

    public var count: Int { plan.count }

    /// The next batch in order, nil at the end of the epoch; rethrows a decode error of that batch.
    public func next() throws -> Batch? {
        let st = state
        st.cond.lock()
        defer { st.cond.unlock() }
        guard st.nextToTake < plan.count else { return nil }
        while st.results[st.nextToTake] == nil { st.cond.wait() }
        let r = st.results.removeValue(forKey: st.nextToTake)!
        st.nextToTake += 1
        st.cond.broadcast()
        return try r.get()
    }
}

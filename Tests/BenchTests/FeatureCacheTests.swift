import XCTest
@testable import Bench
import Backbones
import Data
import Engine
import Methods
import Random

/// Frozen-prefix feature caching: the linear probe and Partial-1 train on cached features when the pipeline is deterministic,
/// with the same numbers as recomputing the backbone every epoch; other methods and random pipelines never cache.
final class FeatureCacheTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func recipe(_ method: String = "linear", pipeline: String = "builtin", mixup: Bool = false) throws -> Recipe {
        // Partial-1 on its own recipe (linear's lr 0.5 sends a whole trained block into chaos, where rounding grows).
        let own = ["partial-1", "partial-2", "partial-4", "mlp-3", "sidetune"].contains(method)
        var r = try Recipe.load(Self.root.appendingPathComponent("recipes/mini/\(own ? method : "linear").yaml"))
        r.method = method; r.pipeline = pipeline; r.epochs = 3
        if mixup { r.mixup = 0.8 }
        return r
    }

    func trainer(_ r: Recipe, method id: String = "linear", pipeline: String = "builtin") throws -> Trainer {
        Threads.set(2)
        let vit = try BackboneZoo.load("vit-mini", weights: Self.root.appendingPathComponent("weights/vit-mini.safetensors"))
        let p = try Pipeline.make(pipeline, size: 32)
        func ds(_ s: VTABSplit) -> BuiltinDataset { BuiltinDataset(task: .scenes, split: s, seed: 0, size: 32, testCount: 300) }
        func ev(_ d: BuiltinDataset) -> DataLoader { DataLoader(dataset: d, pipeline: p, options: LoaderOptions(batchSize: 250, shuffle: false, train: false, seed: 1)) }
        let method = try makeMethod(id, setup: MethodSetup(backbone: .vit(vit), numClasses: 8, options: r.options, rng: RandomStream(1, 0x1A17)))
        if let st = method as? Sidetune { try SideNetworks.load(into: st, weights: Self.root.appendingPathComponent("weights"), checkHash: true) }
        let t = try Trainer(method: method, recipe: r, data: RunData(
            train: DataLoader(dataset: ds(.train800), pipeline: p, options: LoaderOptions(batchSize: r.batchSize, shuffle: true, train: true, seed: 1)),
            val: ev(ds(.val200)), test: ev(ds(.test))), seed: 1, folder: nil)
        t.progress.quiet = true
        return t
    }

    func testCachedLinearProbeMatchesRecomputation() throws {
        let cached = try trainer(try recipe())
        let a = try cached.run()
        XCTAssertNotNil(cached.featureCache, "the linear probe on the deterministic built-in pipeline caches")
        let plain = try trainer(try recipe())
        plain.allowFeatureCache = false
        let b = try plain.run()
        XCTAssertNil(plain.featureCache)
        XCTAssertEqual(a.count, b.count)
        for (x, y) in zip(a, b) {
            // Same samples, order and updates; only the batching of the frozen forward differs (rounding).
            XCTAssertEqual(x.trainLoss, y.trainLoss, accuracy: 1e-4 * max(1, abs(y.trainLoss)), "epoch \(x.epoch)")
            XCTAssertEqual(x.valAccuracy!, y.valAccuracy!, accuracy: 1.0)
        }
        XCTAssertEqual(a.last!.testAccuracy!, b.last!.testAccuracy!, accuracy: 1.0)
        XCTAssertGreaterThan(a.last!.testAccuracy!, 25, "learns (chance 12.5%)")
    }

    /// The linear probe on a frozen ResNet (ILM-VP's linear_probing.py recipe: Adam lr 0.1, MultiStepLR) caches the
    /// pooled features: training on them equals running the ResNet every epoch.
    func testCachedResNetLinearProbeMatchesRecomputation() throws {
        func resnetTrainer(cache: Bool) throws -> Trainer {
            Threads.set(2)
            var r = try Recipe.load(Self.root.appendingPathComponent("recipes/ilm13/linear/cifar10.yaml"))
            r.epochs = 3; r.batchSize = 64; r.pipeline = "builtin-imagenet"; r.lr = 0.01
            r.schedule.milestones = [1, 2]
            let model = try BackboneZoo.loadModel("resnet-mini", weights: Self.root.appendingPathComponent("weights/resnet-mini.safetensors"))
            let p = try Pipeline.make(r.pipeline, size: 32)
            func ds(_ s: VTABSplit) -> BuiltinDataset { BuiltinDataset(task: .scenes, split: s, seed: 0, size: 32, testCount: 300) }
            func ev(_ d: BuiltinDataset) -> DataLoader { DataLoader(dataset: d, pipeline: p, options: LoaderOptions(batchSize: 250, shuffle: false, train: false, seed: 1)) }
            let method = try makeMethod("linear", setup: MethodSetup(backbone: model, numClasses: 8, options: r.options, rng: RandomStream(1, 0x1A17)))
            XCTAssert(method is ResNetLinearProbe)
            let t = try Trainer(method: method, recipe: r, data: RunData(
                train: DataLoader(dataset: ds(.train800), pipeline: p, options: LoaderOptions(batchSize: r.batchSize, shuffle: true, train: true, seed: 1)),
                val: ev(ds(.val200)), test: ev(ds(.test))), seed: 1, folder: nil)
            t.progress.quiet = true
            t.allowFeatureCache = cache
            return t
        }
        let cached = try resnetTrainer(cache: true)
        let a = try cached.run()
        let cache = try XCTUnwrap(cached.featureCache, "the ResNet linear probe on a deterministic pipeline caches")
        XCTAssertEqual(cache.train.features.shape[0], 800)
        let plain = try resnetTrainer(cache: false)
        let b = try plain.run()
        XCTAssertNil(plain.featureCache)
        for (x, y) in zip(a, b) {
            XCTAssertEqual(x.trainLoss, y.trainLoss, accuracy: 1e-4 * max(1, abs(y.trainLoss)), "epoch \(x.epoch)")
            XCTAssertEqual(x.valAccuracy!, y.valAccuracy!, accuracy: 1.0)
        }
        XCTAssertEqual(a.last!.testAccuracy!, b.last!.testAccuracy!, accuracy: 1.0)
        XCTAssertNotEqual(a.first!.trainLoss, a.last!.trainLoss, "the fc trains")
        print("linear (mini ResNet, scenes, 3 epochs, cached): losses \(a.map(\.trainLoss)), test \(a.last!.testAccuracy!)")
        XCTAssertGreaterThan(a.last!.testAccuracy!, 25, "learns (chance 12.5%)")
        // Full fine-tuning trains the whole ResNet: never cached.
        XCTAssertFalse(try makeMethod("full", setup: MethodSetup(backbone: BackboneZoo.loadModel("resnet-mini", weights: Self.root.appendingPathComponent("weights/resnet-mini.safetensors")),
                                                                  numClasses: 8, rng: RandomStream(0))) is CachesFrozenFeatures)
    }

    /// Partial-1 caches the tokens entering its last block; training on them equals recomputing the 11 frozen blocks.
    func testCachedPartialOneMatchesRecomputation() throws {
        let cached = try trainer(try recipe("partial-1"), method: "partial-1")
        let a = try cached.run()
        let cache = try XCTUnwrap(cached.featureCache, "partial-1 on the deterministic built-in pipeline caches")
        let vit = try XCTUnwrap((cached.method as? PartialFinetune)?.vit)
        XCTAssertEqual(cache.train.features.shape, [800, (vit.config.numPatches + 1) * vit.config.dim])
        let plain = try trainer(try recipe("partial-1"), method: "partial-1")
        plain.allowFeatureCache = false
        let b = try plain.run()
        XCTAssertNil(plain.featureCache)
        for (x, y) in zip(a, b) {
            XCTAssertEqual(x.trainLoss, y.trainLoss, accuracy: 1e-4 * max(1, abs(y.trainLoss)), "epoch \(x.epoch)")
            XCTAssertEqual(x.valAccuracy!, y.valAccuracy!, accuracy: 1.0)
        }
        XCTAssertEqual(a.last!.testAccuracy!, b.last!.testAccuracy!, accuracy: 1.0)
        XCTAssertNotEqual(a.first!.trainLoss, a.last!.trainLoss, "the last block trains")
    }

    /// Partial-2 caches the tokens entering block L − 2: training on them equals recomputing the frozen blocks.
    func testCachedPartialTwoMatchesRecomputation() throws {
        let cached = try trainer(try recipe("partial-2"), method: "partial-2")
        let a = try cached.run()
        XCTAssertNotNil(cached.featureCache, "partial-2 on the deterministic built-in pipeline caches")
        let plain = try trainer(try recipe("partial-2"), method: "partial-2")
        plain.allowFeatureCache = false
        let b = try plain.run()
        for (x, y) in zip(a, b) {
            XCTAssertEqual(x.trainLoss, y.trainLoss, accuracy: 1e-4 * max(1, abs(y.trainLoss)), "epoch \(x.epoch)")
            XCTAssertEqual(x.valAccuracy!, y.valAccuracy!, accuracy: 1.0)
        }
        XCTAssertEqual(a.last!.testAccuracy!, b.last!.testAccuracy!, accuracy: 1.0)
    }

    /// MLP-3 trains its head in train mode on cached features: the same dropout masks (drawn from the step's stream) and
    /// batch statistics as recomputing the frozen ViT, and the same BatchNorm running statistics at the end.
    func testCachedMLPMatchesRecomputation() throws {
        let cached = try trainer(try recipe("mlp-3"), method: "mlp-3")
        let a = try cached.run()
        XCTAssertNotNil(cached.featureCache, "mlp-3 on the deterministic built-in pipeline caches")
        let plain = try trainer(try recipe("mlp-3"), method: "mlp-3")
        plain.allowFeatureCache = false
        let b = try plain.run()
        for (x, y) in zip(a, b) {
            XCTAssertEqual(x.trainLoss, y.trainLoss, accuracy: 1e-4 * max(1, abs(y.trainLoss)), "epoch \(x.epoch)")
            XCTAssertEqual(x.valAccuracy!, y.valAccuracy!, accuracy: 1.0)
        }
        XCTAssertEqual(a.last!.testAccuracy!, b.last!.testAccuracy!, accuracy: 1.0)
        let sa = cached.method.checkpointState(), sb = plain.method.checkpointState()
        XCTAssertEqual(sa.count, 4, "two BatchNorm layers × (running_mean, running_var)")
        for (k, v) in sa {
            let diff = zip(v.scalars, try XCTUnwrap(sb[k], k).scalars).map { abs($0 - $1) }.max() ?? 0
            XCTAssertLessThan(diff, 1e-3, k)
        }
        XCTAssertNotEqual(try XCTUnwrap(sa["head.projection.2.running_var"]).scalars, [Float](repeating: 1, count: 96), "running statistics move")
        XCTAssertGreaterThan(a.last!.testAccuracy!, 25, "learns (chance 12.5%)")
    }

    /// Sidetune caches the frozen ViT's feature beside the image its side network trains on: training on those rows equals
    /// running the ViT every epoch, and the side network, projection and gate all move.
    func testCachedSidetuneMatchesRecomputation() throws {
        let cached = try trainer(try recipe("sidetune"), method: "sidetune")
        let a = try cached.run()
        let cache = try XCTUnwrap(cached.featureCache, "sidetune on the deterministic built-in pipeline caches")
        XCTAssertEqual(cache.train.features.shape, [800, 96 + 3 * 32 * 32])
        let plain = try trainer(try recipe("sidetune"), method: "sidetune")
        plain.allowFeatureCache = false
        let b = try plain.run()
        XCTAssertNil(plain.featureCache)
        for (x, y) in zip(a, b) {
            XCTAssertEqual(x.trainLoss, y.trainLoss, accuracy: 1e-4 * max(1, abs(y.trainLoss)), "epoch \(x.epoch)")
            XCTAssertEqual(x.valAccuracy!, y.valAccuracy!, accuracy: 1.0)
        }
        XCTAssertEqual(a.last!.testAccuracy!, b.last!.testAccuracy!, accuracy: 1.0)
        let m = try XCTUnwrap(cached.method as? Sidetune)
        XCTAssertNotEqual(m.alpha.value.scalars, [0], "side_alpha trains")
    }

    /// Splits past the budget are evaluated from images; a training split past it is not cached at all.
    func testFeatureCacheBudget() throws {
        let t = try trainer(try recipe("partial-1"), method: "partial-1")
        let m = try XCTUnwrap(t.method as? CachesFrozenFeatures)
        let trainBytes = FeatureCache.bytes(m, images: 800), valBytes = FeatureCache.bytes(m, images: 200)
        let cache = try FeatureCache(method: m, data: t.data, batchSize: 128, budgetBytes: trainBytes + valBytes + 4)
        XCTAssertNotNil(cache.val)
        XCTAssertNil(cache.test, "300 test images do not fit the 4 bytes left")
        // Cached evaluation (in batches of 128) equals evaluation from images.
        XCTAssertEqual(cache.accuracy(try XCTUnwrap(cache.val)), try t.evaluate(try XCTUnwrap(t.data.val)), accuracy: 0.5)
        let why = FeatureCache.reasonNotCached(method: t.method, recipe: t.recipe, train: t.data.train, budgetBytes: trainBytes - 1)
        XCTAssertTrue(why?.contains("VPT_FEATURE_CACHE_MB") == true, why ?? "nil")
        XCTAssertNil(FeatureCache.reasonNotCached(method: t.method, recipe: t.recipe, train: t.data.train, budgetBytes: trainBytes))
    }

    func testNotCachedWhenTheMethodTrainsInsideTheBackboneOrTheDataIsRandom() throws {
        let vpt = try trainer(try recipe("vpt-deep"), method: "vpt-deep")
        XCTAssertNotNil(FeatureCache.reasonNotCached(method: vpt.method, recipe: vpt.recipe, train: vpt.data.train))
        let mixed = try trainer(try recipe(mixup: true))
        XCTAssertEqual(FeatureCache.reasonNotCached(method: mixed.method, recipe: mixed.recipe, train: mixed.data.train),
                       "the recipe mixes images (mixup/cutmix)")
        let augmented = try trainer(try recipe(pipeline: "vpt-fgvc"), pipeline: "vpt-fgvc")
        let why = FeatureCache.reasonNotCached(method: augmented.method, recipe: augmented.recipe, train: augmented.data.train)
        XCTAssertTrue(why?.contains("at random") == true, why ?? "nil")
    }
}

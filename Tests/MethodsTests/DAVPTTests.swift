import XCTest
import Backbones
import Bench
import Checkpoints
import Data
import Engine
import Methods
import Random

/// DA-VPT against the official Noahsark/DA-VPT code (fixtures: Tests/Fixtures/methods/da_vpt/make_davpt_golden.py).
final class DAVPTTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let dir = root.appendingPathComponent("Tests/Fixtures/methods/da_vpt")

    override func setUp() { Threads.set(1) }

    func npy(_ name: String) throws -> StoredTensor { try Npy.load(Self.dir.appendingPathComponent(name)) }

    /// Max |a − e| relative to max |e|.
    func relError(_ a: [Float], _ e: [Float]) -> Float {
        XCTAssertEqual(a.count, e.count)
        var num: Float = 0, den: Float = 0
        for i in 0..<min(a.count, e.count) { num = max(num, abs(a[i] - e[i])); den = max(den, abs(e[i])) }
        return den == 0 ? num : num / den
    }

    /// The golden script's tiny config with the ViT-B flag set.
    static let goldenOptions: MethodOptions = [
        "num_prompts": .int(3), "proxy_prompt_len": .int(4), "proxy_prompt_start_idx": .int(2), "proxy_prompt_end_idx": .int(3),
        "proxy_vpt": .bool(true), "initial_mapping": .string("kmeans"), "vpt_norm": .string("l2"), "init_divide_by8": .bool(true),
        "mask": .bool(true), "vpt_loss_weight": .double(0.3), "cls_loss_weight": .double(0.2), "loss_vpt_scale_ratio": .double(5),
        "train_cls": .bool(true), "norm_norm1": .bool(true), "bias_k": .bool(true), "bias_v": .bool(true),
        "bias_proj": .bool(true), "bias_fc2": .bool(true), "bias_norm2": .bool(true),
    ]

    func testParityWithOfficialCode() throws {
        let vit = ViT(ViTConfig(imageSize: 32, patchSize: 8, dim: 32, depth: 4, heads: 2, mlpDim: 128), seed: 3)
        let method = try DAVPT(setup: MethodSetup(backbone: .vit(vit), numClasses: 6, options: Self.goldenOptions, rng: RandomStream(5)))
        let ck = try loadCheckpoint(Self.dir.appendingPathComponent("weights.safetensors"))
        _ = try Probe.loadOfficialWeights(method, from: ck)
        let meta = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.dir.appendingPathComponent("golden.json"))) as! [String: Any]
        method.setMapping(meta["mapping"] as! [Int])
        let x = try npy("x.npy"), y = try npy("labels.npy")
        let r = try Probe.run(method, images: Tensor(try x.floats(), shape: x.shape), labels: try y.int64s().map { Int($0) })

        let le = relError(r.logits.scalars, try npy("logits.npy").floats())
        let expectedLoss = Float(meta["loss"] as! Double)
        let lossErr = abs(r.loss - expectedLoss) / abs(expectedLoss)
        let grads = try loadCheckpoint(Self.dir.appendingPathComponent("grads.safetensors"))
        let ours = Dictionary(uniqueKeysWithValues: r.gradients.map { ($0.name, $0) })
        XCTAssertEqual(Set(ours.keys), Set(grads.names), "trainable tensors differ from the official set")
        var worst: (String, Float) = ("", 0)
        let globalMax = try grads.names.map { try grads.tensor($0).floats().map(abs).max() ?? 0 }.max() ?? 1
        for name in grads.names {
            guard let g = ours[name] else { continue }
            let e = try grads.tensor(name), ev = try e.floats(), gv = try g.floats()
            XCTAssertEqual(g.shape, e.shape, name)
            // k.bias adds q·b_k to a whole score row, which softmax ignores: its true gradient is 0 and both
            // sides hold round-off (~1e-7); require ours to be ≈ 0 on the global gradient scale instead.
            if (ev.map(abs).max() ?? 0) < 1e-6 * globalMax {
                XCTAssertLessThan((gv.map(abs).max() ?? 0) / globalMax, 1e-6, "gradient \(name) should vanish")
                continue
            }
            let err = relError(gv, ev)
            if err > worst.1 { worst = (name, err) }
            XCTAssertLessThan(err, 1e-3, "gradient \(name)")
        }
        print("DA-VPT parity: logits rel \(le), loss rel \(lossErr) (\(r.loss) vs \(expectedLoss)), worst gradient \(worst.0) rel \(worst.1)")
        XCTAssertLessThan(le, 1e-4)
        XCTAssertLessThan(lossErr, 1e-4)
    }

    /// Without the metric-learning terms the loss must change (the golden loss is mostly Lda): guards the test.
    func testMetricLossMatters() throws {
        var opts = Self.goldenOptions
        opts["vpt_loss_weight"] = .double(0); opts["cls_loss_weight"] = .double(0)
        let vit = ViT(ViTConfig(imageSize: 32, patchSize: 8, dim: 32, depth: 4, heads: 2, mlpDim: 128), seed: 3)
        let method = try DAVPT(setup: MethodSetup(backbone: .vit(vit), numClasses: 6, options: opts, rng: RandomStream(5)))
        _ = try Probe.loadOfficialWeights(method, from: try loadCheckpoint(Self.dir.appendingPathComponent("weights.safetensors")))
        let x = try npy("x.npy"), y = try npy("labels.npy")
        let r = try Probe.run(method, images: Tensor(try x.floats(), shape: x.shape), labels: try y.int64s().map { Int($0) })
        let meta = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.dir.appendingPathComponent("golden.json"))) as! [String: Any]
        XCTAssertEqual(r.loss, Float(meta["ce"] as! Double), accuracy: 1e-4)
    }

    /// The initial k-means needs one class per proxy in the training data: fewer is a clear error, not a crash.
    func testPrepareWithTooFewClassesThrows() throws {
        let vit = ViT(ViTConfig(imageSize: 32, patchSize: 8, dim: 32, depth: 4, heads: 2, mlpDim: 128), seed: 3)
        let method = try DAVPT(setup: MethodSetup(backbone: .vit(vit), numClasses: 6, options: Self.goldenOptions, rng: RandomStream(5)))
        var rng = RandomStream(9)
        let x = Init.normal([3, 3, 32, 32], std: 1, rng: &rng)
        let data: TrainingData = { _ in
            var left = 1
            return { left -= 1; return left >= 0 ? (x, [0, 1, 2]) : nil }  // 3 classes, 4 proxies
        }
        XCTAssertThrowsError(try method.prepare(trainingData: data)) { e in
            XCTAssertTrue("\(e)".contains("at least 4 classes"), "\(e)")
        }
        let all: TrainingData = { _ in
            var left = 2
            return { left -= 1; return left >= 0 ? (x, left == 1 ? [0, 1, 2] : [3, 4, 5]) : nil }
        }
        XCTAssertNoThrow(try method.prepare(trainingData: all))
    }

    func testCosineKMeansMatchesOfficial() throws {
        let d = try npy("kmeans_data.npy"), s = try npy("kmeans_start.npy")
        func rows(_ t: StoredTensor) throws -> [[Float]] {
            let v = try t.floats(), w = t.shape[1]
            return (0..<t.shape[0]).map { Array(v[($0 * w)..<(($0 + 1) * w)]) }
        }
        var rng = RandomStream(0)
        let (c, a) = DAVPT.cosineKMeans(try rows(d), k: 3, centroids: try rows(s), layerNorm: true, rng: &rng)
        XCTAssertEqual(a, try npy("kmeans_assign.npy").int64s().map { Int($0) })
        XCTAssertLessThan(relError(c.flatMap { $0 }, try npy("kmeans_centroids.npy").floats()), 1e-4)
    }

    /// 768·Σ_l L_l + 66,048 + 769·C (spec §2); CUB (Lo = Lp = 10, p_idxs {10, 11}, C = 200) → 312,008.
    func testTrainableCountViTB16CUB() throws {
        let vit = ViT(.vitB16())
        let opts: MethodOptions = [
            "num_prompts": .int(10), "proxy_prompt_len": .int(10), "proxy_prompt_start_idx": .int(10), "proxy_prompt_end_idx": .int(11),
            "train_cls": .bool(true), "norm_norm1": .bool(true), "bias_k": .bool(true), "bias_v": .bool(true),
            "bias_proj": .bool(true), "bias_fc2": .bool(true), "bias_norm2": .bool(true),
        ]
        let m = try DAVPT(setup: MethodSetup(backbone: .vit(vit), numClasses: 200, options: opts, rng: RandomStream(0)))
        let split = m.trainableSplit
        XCTAssertEqual(split.prompts, 768 * 12 * 10)
        XCTAssertEqual(split.other, 66_048)
        XCTAssertEqual(split.head, 769 * 200)
        XCTAssertEqual(split.prompts + split.head + split.other, 312_008)
        XCTAssertTrue(m.trainable.contains { $0.name == "patch_embed.proj.bias" }, "bias_proj quirk (spec §7.4)")
        XCTAssertFalse(m.trainable.contains { $0.name.hasSuffix("attn.q.bias") || $0.name.hasSuffix("qkv.bias") })
    }

    func testFixedVariantsAndIgnoredKeys() throws {
        let vit = ViT(ViTConfig(imageSize: 32, patchSize: 8, dim: 32, depth: 4, heads: 2, mlpDim: 64))
        let base: MethodOptions = ["num_prompts": .int(2), "proxy_prompt_start_idx": .int(1), "proxy_prompt_depth": .int(2),
                                   "vpt_and_cls_loss_weight": .double(0.5), "bias_proj": .bool(true)]
        let official = try DAVPT(setup: MethodSetup(backbone: .vit(vit), numClasses: 20, options: base, rng: RandomStream(0)))
        XCTAssertEqual(official.proxyLayers, [1, 2, 3])  // proxy_prompt_depth ignored: runs to end_idx 11, clipped
        XCTAssertEqual(official.config.vpt_loss_weight, 0)
        XCTAssertTrue(official.trainable.contains { $0.name == "patch_embed.proj.bias" })
        var f = base; f["FIXED_CONFIG_KEYS"] = .bool(true); f["FIXED_BIAS_PROJ"] = .bool(true)
        let fixed = try DAVPT(setup: MethodSetup(backbone: .vit(ViT(vit.config)), numClasses: 20, options: f, rng: RandomStream(0)))
        XCTAssertEqual(fixed.proxyLayers, [1, 2])
        XCTAssertEqual(fixed.config.vpt_loss_weight, 0.5)
        XCTAssertEqual(fixed.config.cls_loss_weight, 0.5)
        XCTAssertFalse(fixed.trainable.contains { $0.name == "patch_embed.proj.bias" })
        XCTAssertThrowsError(try DAVPT(setup: MethodSetup(backbone: .vit(vit), numClasses: 20, options: ["typo": .int(1)], rng: RandomStream(0))))
    }

    /// A short run of the mini recipe through the shared trainer on a built-in task, clearly above chance.
    func testMiniTrainingAboveChance() throws {
        var recipe = try Recipe.load(Self.root.appendingPathComponent("recipes/mini/da-vpt.yaml"))
        recipe.epochs = 10
        recipe.lr = 5e-3
        let vit = ViT(ViTConfig(imageSize: 32, patchSize: 8, dim: 32, depth: 4, heads: 2, mlpDim: 64), seed: 7)
        let task = BuiltinTask.scenes
        let method = try makeMethod("da-vpt", setup: MethodSetup(backbone: .vit(vit), numClasses: task.numClasses, options: recipe.options, rng: RandomStream(1)))
        let pipe = try Pipeline.make(recipe.pipeline, size: 32)
        let train = DataLoader(dataset: BuiltinDataset(task: task, pool: 0..<320), pipeline: pipe,
                               options: LoaderOptions(batchSize: recipe.batchSize, train: true, seed: 1, threads: 1, classBalanced: recipe.classBalanced ?? false, cache: true))
        let test = DataLoader(dataset: BuiltinDataset(task: task, pool: 1000..<1200), pipeline: pipe,
                              options: LoaderOptions(batchSize: 100, shuffle: false, train: false, seed: 1, threads: 1, cache: true))
        // Initial mapping: plain-backbone CLS means of init_sample_per_class training images per class, then k-means.
        let davpt = method as! DAVPT
        var byClass = [[Int]](repeating: [], count: task.numClasses)
        for i in 0..<train.dataset.count where byClass[train.dataset.label(i)].count < 10 { byClass[train.dataset.label(i)].append(i) }
        let b = try train.makeBatch(byClass.flatMap { $0 }, epoch: 0)
        var rng = RandomStream(1, 0xA11)
        davpt.initializeMapping(batches: [(Tensor(b.images, shape: b.shape), b.labels.map { Int($0) })], rng: &rng)
        XCTAssertGreaterThan(Set(davpt.mapping).count, 1)
        let trainer = try Trainer(method: method, recipe: recipe, data: RunData(train: train, val: nil, test: test), seed: 1, folder: nil)
        let h = try trainer.run()
        let acc = Trainer.select(.lastEpochTest, from: h).accuracy
        print("DA-VPT mini run (scenes, chance 12.5%): losses \(h.map { $0.trainLoss }), test acc \(h.compactMap { $0.testAccuracy })")
        XCTAssertGreaterThan(acc, 25)
        XCTAssertNotNil(method.checkpointState()["mapping"])
    }
}

/// Every DA-VPT and DA-VPT+ recipe parses and builds its method; the two rows differ exactly in the efficient-bias
/// flags (DA-VPT+ = the official config; DA-VPT = the same with them off), and the tasks without an official config
/// search lr × weight decay.
final class DAVPTRecipeTests: XCTestCase {
    static let flags = ["learn_bias", "train_cls", "bias_fc1", "bias_fc2", "bias_proj", "bias_norm1", "bias_norm2", "bias_norm",
                        "norm_norm1", "norm_norm2", "norm_norm", "bias_q", "bias_k", "bias_v"]

    /// The dataset ids the DA-VPT tables use (PaperTables KnownIds).
    static let vtab = ["caltech101", "cifar100", "dtd", "oxford_flowers102", "oxford_pet", "svhn", "sun397", "patch_camelyon", "eurosat",
                       "resisc45", "retinopathy", "clevr_count", "clevr_dist", "dmlab", "kitti_dist", "dsprites_loc", "dsprites_ori",
                       "smallnorb_azi", "smallnorb_ele"]
    static let fgvc = ["cub200", "nabirds", "oxford_flowers", "stanford_dogs", "stanford_cars"]

    func testRecipesLoadAndBuild() throws {
        let root = DAVPTTests.root.appendingPathComponent("recipes")
        var n = 0
        for method in ["da-vpt", "da-vpt-plus"] {
            for bench in ["vtab1k", "fgvc"] {
                let dir = root.appendingPathComponent("\(bench)/\(method)")
                let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".yaml") }.sorted()
                let tasks = (bench == "vtab1k" ? Self.vtab : Self.fgvc).map { $0 + ".yaml" }
                XCTAssertEqual(files, tasks.sorted(), "\(bench)/\(method): one recipe per table dataset id")
                for f in files {
                    let r = try Recipe.load(dir.appendingPathComponent(f))
                    XCTAssertEqual(r.method, method)
                    XCTAssertEqual(r.officialSelection, .bestTestOverEpochs)
                    XCTAssertEqual(r.cleanSelection, .lastEpochTest)
                    XCTAssertEqual(r.gradClipValue, 10)
                    XCTAssertEqual(r.grid != nil, ["svhn.yaml", "sun397.yaml", "kitti_dist.yaml"].contains(f), f)
                    let vit = ViT(ViTConfig(imageSize: 32, patchSize: 16, dim: 16, depth: 12, heads: 2, mlpDim: 16))
                    XCTAssertNoThrow(try makeMethod(method, setup: MethodSetup(backbone: .vit(vit), numClasses: 100, options: r.options, rng: RandomStream(0))), f)
                    if method == "da-vpt" {
                        // Everything but the flags equals the DA-VPT+ recipe of the same task.
                        let plus = try Recipe.load(root.appendingPathComponent("\(bench)/da-vpt-plus/\(f)"))
                        XCTAssertEqual(r.options.filter { !Self.flags.contains($0.key) }, plus.options.filter { !Self.flags.contains($0.key) }, f)
                        XCTAssertTrue(plus.options.contains { Self.flags.contains($0.key) && $0.value == .bool(true) }, f)
                        XCTAssertEqual(r.lr, plus.lr, f); XCTAssertEqual(r.weightDecay, plus.weightDecay, f); XCTAssertEqual(r.grid, plus.grid, f)
                    }
                    n += 1
                }
            }
        }
        XCTAssertEqual(n, 48)
    }
}

import XCTest
import Backbones
import Bench
import Checkpoints
import Data
import Engine
import Methods
import Random

/// DA-VPT(+) on an MAE ViT: the official global-pool readout (model_name mae-B → global_pool, model_creator.py:115;
/// mean(norm(x)[:, 1:]), models/vpt.py:381-393) and the plain-ViT feature of the initial k-means
/// (norm(mean(x[:, 1:])), models/vit.py:78-80), against the official code (fixtures:
/// Tests/Fixtures/methods/da_vpt_mae/make_davpt_mae_golden.py). The family comes from the cell's backbone id
/// (`vit-b16-mae`), as GateVPT picks its pooling, or from the official option `model_name`.
final class DAVPTMAETests: XCTestCase {
    static let dir = DAVPTTests.root.appendingPathComponent("Tests/Fixtures/methods/da_vpt_mae")

    override func setUp() { Threads.set(1) }

    /// The golden script's tiny config with the MAE configs' flag set (configs/vtab/mae_cifar100.yaml).
    static let options: MethodOptions = DAVPTTests.goldenOptions.filter { $0.key != "bias_k" }

    func relError(_ a: [Float], _ e: [Float]) -> Float {
        XCTAssertEqual(a.count, e.count)
        var num: Float = 0, den: Float = 0
        for i in 0..<min(a.count, e.count) { num = max(num, abs(a[i] - e[i])); den = max(den, abs(e[i])) }
        return den == 0 ? num : num / den
    }

    func build(_ options: MethodOptions, backboneId: String?) throws -> DAVPT {
        let vit = ViT(ViTConfig(imageSize: 32, patchSize: 8, dim: 32, depth: 4, heads: 2, mlpDim: 128), seed: 3)
        let m = try makeMethod("da-vpt-plus", setup: MethodSetup(backbone: .vit(vit), numClasses: 6, options: options,
                                                                 rng: RandomStream(5), backboneId: backboneId))
        return try XCTUnwrap(m as? DAVPT)
    }

    /// Logits, loss, gradients and trainable count of one variant folder.
    func compare(_ variant: String, _ options: MethodOptions, backboneId: String?) throws -> (logits: Float, loss: Float, grad: Float) {
        let folder = Self.dir.appendingPathComponent(variant)
        let m = try build(options, backboneId: backboneId)
        XCTAssertTrue(m.globalPool)
        _ = try Probe.loadOfficialWeights(m, from: try loadCheckpoint(folder.appendingPathComponent("weights.safetensors")))
        let meta = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("golden.json"))) as! [String: Any]
        m.setMapping(meta["mapping"] as! [Int])
        let x: StoredTensor = try Npy.load(Self.dir.appendingPathComponent("x.npy"))
        let r = try Probe.run(m, images: Tensor(try x.floats(), shape: x.shape), labels: meta["labels"] as! [Int])
        let grads = try loadCheckpoint(folder.appendingPathComponent("grads.safetensors"))
        let ours = Dictionary(uniqueKeysWithValues: r.gradients.map { ($0.name, $0) })
        XCTAssertEqual(Set(ours.keys), Set(grads.names), "\(variant): trainable tensors differ from the official set")
        let globalMax = try grads.names.map { try grads.tensor($0).floats().map(abs).max() ?? 0 }.max() ?? 1
        var worst: Float = 0
        for name in grads.names {
            let ev = try grads.tensor(name).floats()
            guard let g = ours[name] else { continue }
            let gv = try g.floats()
            if (ev.map(abs).max() ?? 0) < 1e-6 * globalMax {  // a whole-softmax-row shift: true gradient 0 (see DAVPTTests)
                XCTAssertLessThan((gv.map(abs).max() ?? 0) / globalMax, 1e-6, "gradient \(name) should vanish"); continue
            }
            let err = relError(gv, ev)
            worst = max(worst, err)
            XCTAssertLessThan(err, 1e-3, "\(variant): gradient \(name)")
        }
        XCTAssertEqual(m.trainable.reduce(0) { $0 + $1.count }, meta["trainable_count"] as! Int, "\(variant): trainable count")
        let expectedLoss = Float(meta["loss"] as! Double)
        let logits = relError(r.logits.scalars, try (Npy.load(folder.appendingPathComponent("logits.npy")) as StoredTensor).floats())
        return (logits, abs(r.loss - expectedLoss) / abs(expectedLoss), worst)
    }

    func testParityWithOfficialMAEReadout() throws {
        let cases: [(String, MethodOptions, String?)] = [
            ("all", Self.options, "vit-b16-mae"),                                             // family from the backbone id
            ("all", Self.options.merging(["model_name": .string("mae-B")]) { $1 }, nil),       // or the official option
            ("img", Self.options.merging(["mae_pooling": .string("img")]) { $1 }, "vit-b16-mae"),
            ("all0", Self.options.merging(["num_prompts": .int(0)]) { $1 }, "vit-b16-mae"),   // most mae_* configs
        ]
        for (variant, options, id) in cases {
            let r = try compare(variant, options, backboneId: id)
            print("da-vpt-plus MAE parity (\(variant), \(id ?? "model_name mae-B")): logits rel \(r.logits), loss rel \(r.loss), worst gradient rel \(r.grad)")
            XCTAssertLessThan(r.logits, 1e-4, variant)
            XCTAssertLessThan(r.loss, 1e-4, variant)
        }
    }

    /// The CLS readout (ViT-B / MoCo v3) gives other logits on the same weights: the family choice matters.
    func testFamilySelection() throws {
        XCTAssertFalse(try build(Self.options, backboneId: "vit-b16-mocov3").globalPool)
        XCTAssertFalse(try build(Self.options, backboneId: "vit-b16-in21k").globalPool)
        XCTAssertFalse(try build(Self.options, backboneId: nil).globalPool)
        XCTAssertTrue(try build(Self.options, backboneId: "vit-b16-mae").globalPool)
        XCTAssertFalse(try build(Self.options.merging(["model_name": .string("moco-B")]) { $1 }, backboneId: "vit-b16-mae").globalPool)
        XCTAssertThrowsError(try build(Self.options.merging(["model_name": .string("clip-B")]) { $1 }, backboneId: nil)) {
            XCTAssert("\($0)".contains("model_name"), "\($0)")
        }
        XCTAssertThrowsError(try build(Self.options.merging(["mae_pooling": .string("cls")]) { $1 }, backboneId: "vit-b16-mae")) {
            XCTAssert("\($0)".contains("mae_pooling"), "\($0)")
        }
        let folder = Self.dir.appendingPathComponent("all")
        let m = try build(Self.options, backboneId: "vit-b16-mocov3")
        _ = try Probe.loadOfficialWeights(m, from: try loadCheckpoint(folder.appendingPathComponent("weights.safetensors")))
        let x: StoredTensor = try Npy.load(Self.dir.appendingPathComponent("x.npy"))
        var ctx = ForwardContext.eval
        let logits = m.logits(Tensor(try x.floats(), shape: x.shape), context: &ctx)
        let expected = try (Npy.load(folder.appendingPathComponent("logits.npy")) as StoredTensor).floats()
        XCTAssertGreaterThan(relError(logits.scalars, expected), 1e-2)
    }

    /// The initial mapping's feature on MAE: the plain ViT's norm(mean(x[:, 1:])) (models/vit.py:78-80).
    func testInitialMappingFeatureMatchesOfficialPlainViT() throws {
        let m = try build(Self.options, backboneId: "vit-b16-mae")
        _ = try Probe.loadOfficialWeights(m, from: try loadCheckpoint(Self.dir.appendingPathComponent("all/weights.safetensors")))
        let x: StoredTensor = try Npy.load(Self.dir.appendingPathComponent("x.npy"))
        var ctx = ForwardContext.eval
        let f = m.plainFeatures(Tensor(try x.floats(), shape: x.shape), context: &ctx)
        let e = try (Npy.load(Self.dir.appendingPathComponent("plain_features.npy")) as StoredTensor).floats()
        let err = relError(f.scalars, e)
        print("da-vpt MAE initial-mapping feature: rel \(err)")
        XCTAssertLessThan(err, 1e-4)
        // The CLS feature of the same weights is another vector.
        var ctx2 = ForwardContext.eval
        let cls = try build(Self.options, backboneId: nil)
        _ = try Probe.loadOfficialWeights(cls, from: try loadCheckpoint(Self.dir.appendingPathComponent("all/weights.safetensors")))
        XCTAssertGreaterThan(relError(cls.plainFeatures(Tensor(try x.floats(), shape: x.shape), context: &ctx2).scalars, e), 1e-2)
    }

    /// A mini run with the MAE readout (global pool over prompts + image tokens, k-means on the pooled plain feature)
    /// learns: above chance on the 8-class scenes task, as DAVPTTests' CLS run does.
    func testMiniTrainingAboveChanceWithMAEReadout() throws {
        var recipe = try Recipe.load(DAVPTTests.root.appendingPathComponent("recipes/mini/da-vpt.yaml"))
        recipe.epochs = 10
        recipe.lr = 5e-3
        let vit = ViT(ViTConfig(imageSize: 32, patchSize: 8, dim: 32, depth: 4, heads: 2, mlpDim: 64), seed: 7)
        let task = BuiltinTask.scenes
        let method = try makeMethod("da-vpt", setup: MethodSetup(backbone: .vit(vit), numClasses: task.numClasses, options: recipe.options,
                                                                 rng: RandomStream(1), backboneId: "vit-b16-mae"))
        let davpt = try XCTUnwrap(method as? DAVPT)
        XCTAssertTrue(davpt.globalPool)
        let pipe = try Pipeline.make(recipe.pipeline, size: 32)
        let train = DataLoader(dataset: BuiltinDataset(task: task, pool: 0..<320), pipeline: pipe,
                               options: LoaderOptions(batchSize: recipe.batchSize, train: true, seed: 1, threads: 1, classBalanced: recipe.classBalanced ?? false, cache: true))
        let test = DataLoader(dataset: BuiltinDataset(task: task, pool: 1000..<1200), pipeline: pipe,
                              options: LoaderOptions(batchSize: 100, shuffle: false, train: false, seed: 1, threads: 1, cache: true))
        var byClass = [[Int]](repeating: [], count: task.numClasses)
        for i in 0..<train.dataset.count where byClass[train.dataset.label(i)].count < 10 { byClass[train.dataset.label(i)].append(i) }
        let b = try train.makeBatch(byClass.flatMap { $0 }, epoch: 0)
        var rng = RandomStream(1, 0xA11)
        davpt.initializeMapping(batches: [(Tensor(b.images, shape: b.shape), b.labels.map { Int($0) })], rng: &rng)
        XCTAssertGreaterThan(Set(davpt.mapping).count, 1)
        let trainer = try Trainer(method: method, recipe: recipe, data: RunData(train: train, val: nil, test: test), seed: 1, folder: nil)
        let h = try trainer.run()
        let acc = Trainer.select(.lastEpochTest, from: h).accuracy
        print("DA-VPT mini run, MAE readout (scenes, chance 12.5%): losses \(h.map { $0.trainLoss }), test acc \(h.compactMap { $0.testAccuracy })")
        XCTAssertGreaterThan(acc, 25)
    }
}

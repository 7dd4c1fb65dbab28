import XCTest
import Backbones
@testable import Bench
import Checkpoints
import Data
import Engine
import Random
@testable import Methods

/// DAM-VP against shikiw/DAM-VP (fixtures: Tests/Fixtures/methods/dam_vp/make_dam_vp_golden.py).
final class DAMVPTests: XCTestCase {
    static let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/methods/dam_vp")

    override func setUp() { Threads.set(1) }

    func io(_ name: String) throws -> Tensor { try Golden.tensor("dam_vp", "io.safetensors", name) }

    func golden() throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: Self.dir.appendingPathComponent("golden.json"))) as! [String: Any]
    }

    static func relError(_ a: [Float], _ e: [Float]) -> Float {
        precondition(a.count == e.count, "\(a.count) vs \(e.count)")
        var num: Float = 0, den: Float = 0
        for i in e.indices { num = max(num, abs(a[i] - e[i])); den = max(den, abs(e[i])) }
        return den == 0 ? num : num / den
    }

    /// Cluster labels equal sklearn's `labels_` exactly (numbering included) for several thresholds.
    func testClusteringEqualsSklearn() throws {
        let j = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.dir.appendingPathComponent("clustering.json"))) as! [String: Any]
        let rows = j["x"] as! [[Double]]
        let x = rows.flatMap { $0.map { Float($0) } }
        var distinct = Set<Int>()
        for case let c as [String: Any] in j["cases"] as! [Any] {
            let tau = c["threshold"] as! Double, expected = c["labels"] as! [Int]
            let got = AgglomerativeClustering.labels(x, rows: rows.count, threshold: tau)
            XCTAssertEqual(got, expected, "τ = \(tau)")
            distinct.insert(Set(expected).count)
        }
        XCTAssertGreaterThan(distinct.count, 3, "the fixture must exercise several cluster counts")
    }

    static let tinyConfig = ViTConfig(imageSize: 32, patchSize: 8, dim: 32, depth: 2, heads: 2, mlpDim: 128, preLogits: true)

    /// Clustering, prototype selection, logits, loss and every gradient against the official model.
    func testParityWithOfficial() throws {
        let g = try golden()
        let vit = ViT(Self.tinyConfig, seed: 5)
        let weights = try loadCheckpoint(Self.dir.appendingPathComponent("weights.safetensors"))
        try vit.load(StateDict(weights), naming: .timm)
        let tau = g["threshold"] as! Double
        let m = try DAMVP(setup: MethodSetup(backbone: .vit(vit), numClasses: g["num_classes"] as! Int,
                                             options: ["prompt_size": .int(4), "distance_threshold": .double(tau)], rng: RandomStream(3)))
        // Clustering on the same 24 images, fed in the official loader's batches of 8.
        let ci = try io("cluster_images")
        var next = 0
        try m.prepare(trainingData: { _ in {
            guard next < 24 else { return nil }
            defer { next += 8 }
            return (ci.rows(next, next + 8), [Int](repeating: 0, count: 8))
        } })
        XCTAssertEqual(m.clusterCount, g["K"] as! Int)
        XCTAssertEqual(m.clusterLabels, try io("cluster_labels").scalars.map { Int($0) })
        let pe = Self.relError(m.prototypes!.scalars, try io("prototypes").scalars)
        XCTAssertLessThan(pe, 1e-4)

        let report = try Probe.loadOfficialWeights(m, from: weights)
        XCTAssertTrue(report.unexpected.isEmpty, "\(report.unexpected)")
        let x = try io("images"), labels = try io("labels").scalars.map { Int($0) }
        XCTAssertEqual(m.assign(x), try io("assign").scalars.map { Int($0) })
        let r = try Probe.run(m, images: x, labels: labels)
        let le = Self.relError(r.logits.scalars, try io("logits").scalars)
        let lossErr = abs(r.loss - Float(g["loss"] as! Double)) / abs(Float(g["loss"] as! Double))
        var worst: Float = 0, worstName = ""
        XCTAssertEqual(r.gradients.count, 4 * m.clusterCount + 2)
        for t in r.gradients {
            let e = try io("grad/" + t.name)
            let err = Self.relError(try t.floats(), e.scalars)
            if err > worst { worst = err; worstName = t.name }
            XCTAssertGreaterThan(e.scalars.map(abs).max()!, 0, "\(t.name): every prompter must receive gradient in this batch")
        }
        print("dam-vp parity: logits \(le), loss \(lossErr), worst grad \(worst) (\(worstName)), prototypes \(pe)")
        XCTAssertLessThan(le, 1e-4)
        XCTAssertLessThan(lossErr, 1e-4)
        XCTAssertLessThan(worst, 1e-3)
    }

    /// The official head-tuning loop (`Adapter.our_method_with_head`) for 5 epochs of one fixed batch each: from its initial
    /// state (meta prompter copies, fresh head, prototypes of its own clustering), with the HTA recipe's optimiser (SGD,
    /// momentum 0 because of the 'momemtum' key), the per-step warmup-cosine that overwrites the head's lr 0.1, and the
    /// method's groups (prompters wd, head wd 0): the first 5 training losses agree within 1e-3.
    func testFirstFiveLossesMatchOfficialTraining() throws {
        let f = try golden()["first_losses"] as! [String: Any]
        func num(_ k: String) -> Double { (f[k] as! NSNumber).doubleValue }
        let expected = (f["losses"] as! [NSNumber]).map(\.floatValue)
        XCTAssertEqual(expected.count, 5)
        // The official optimiser state this replays: the typo key present, momentum 0, every group at the prompt lr.
        XCTAssertTrue((f["group_keys"] as! [String]).contains("momemtum"))
        XCTAssertTrue((f["group_momentum"] as! [[NSNumber]]).allSatisfy { $0.allSatisfy { $0.doubleValue == 0 } })
        let recipe = try Recipe.load(Golden.recipes.appendingPathComponent("hta/dam-vp/cifar10.yaml"))
        XCTAssertEqual(recipe.optimizerConfig.kind, .sgd)
        XCTAssertEqual(recipe.optimizerConfig.momentum, 0, "HTA recipe must carry the official (typo) momentum")

        let vit = ViT(Self.tinyConfig, seed: 5)
        let m = try DAMVP(setup: MethodSetup(backbone: .vit(vit), numClasses: golden()["num_classes"] as! Int,
                                             options: ["prompt_size": .int(4)], rng: RandomStream(3)))
        let report = try Probe.loadOfficialWeights(m, from: try loadCheckpoint(Self.dir.appendingPathComponent("train_init.safetensors")))
        XCTAssertTrue(report.unexpected.isEmpty, "\(report.unexpected)")
        XCTAssertEqual(m.clusterCount, f["K"] as! Int)
        let epochs = Int(num("epochs")), lr = num("lr")
        let (schedule, perStep) = try ScheduleSpec(kind: "step-warmup-cosine").resolve(epochs: epochs, itersPerEpoch: 1)
        XCTAssertTrue(perStep)
        let groups = m.parameterGroups(lr: Float(lr), weightDecay: Float(num("weight_decay")))
        XCTAssertEqual(groups.map { Double($0.weightDecay) }, (f["group_weight_decay"] as! [NSNumber]).map { Double(Float($0.doubleValue)) })
        let opt = Optimizer(recipe.optimizerConfig, groups: groups)
        for (t, lrs) in (f["group_lrs"] as! [[NSNumber]]).enumerated() {
            for e in lrs { XCTAssertEqual(schedule.lr(at: t, base: lr), e.doubleValue, accuracy: 1e-12, "lr at step \(t)") }
        }
        let batches = try loadCheckpoint(Self.dir.appendingPathComponent("train_batches.safetensors"))
        let xs = try Golden.tensor(batches, "x"), ys = try Golden.tensor(batches, "y")
        let b = xs.shape[1], per = b * 3 * 32 * 32
        func batch(_ e: Int) -> (Tensor, [Int]) {
            (Tensor(Array(xs.scalars[(e * per)..<((e + 1) * per)]), shape: [b, 3, 32, 32]), ys.scalars[(e * b)..<((e + 1) * b)].map { Int($0) })
        }
        var losses: [Float] = [], frozen: [Float] = []
        for step in 0..<expected.count {
            opt.apply(schedule, at: step)
            let (x, y) = batch(step)
            var ctx = ForwardContext.eval
            let loss = m.loss(TrainingBatch(images: x, labels: y, epoch: step), context: &ctx)
            losses.append(loss.item)
            opt.zeroGrad()
            loss.backward()
            opt.step()
        }
        // The same batches without any update: proves the comparison sees the training steps.
        let still = try DAMVP(setup: MethodSetup(backbone: .vit(vit), numClasses: golden()["num_classes"] as! Int,
                                                 options: ["prompt_size": .int(4)], rng: RandomStream(3)))
        _ = try Probe.loadOfficialWeights(still, from: try loadCheckpoint(Self.dir.appendingPathComponent("train_init.safetensors")))
        for step in 0..<expected.count {
            let (x, y) = batch(step)
            var ctx = ForwardContext.eval
            frozen.append(withoutGrad { still.loss(TrainingBatch(images: x, labels: y, epoch: step), context: &ctx) }.item)
        }
        print("dam-vp first losses \(losses) vs official \(expected) (without updates: \(frozen))")
        for (a, e) in zip(losses, expected) { XCTAssertEqual(a, e, accuracy: 1e-3 * max(1, abs(e))) }
        XCTAssertGreaterThan(zip(frozen.dropFirst(), expected.dropFirst()).map { abs($0 - $1) }.max()!, 1e-2)
    }

    /// 69,840·K + 769·C for ViT-B/16 (K = 3, C = 10).
    func testTrainableCountViTB16() throws {
        let vit = ViT(.vitB16(preLogits: true), seed: 0)
        let m = try DAMVP(setup: MethodSetup(backbone: .vit(vit), numClasses: 10, rng: RandomStream(0)))
        m.setClusters(prototypes: Tensor(zeros: [3, 768]))
        let s = m.trainableSplit
        XCTAssertEqual(s.prompts, 69_840 * 3)
        XCTAssertEqual(s.head, 769 * 10)
        XCTAssertEqual(s.other, 0)
        XCTAssertEqual(m.prompterGather[2].up.name, "prompter_gather.2.pad_up")
    }

    /// Official groups: K prompter groups at lr/wd and the head at the prompt lr (schedule overwrite), wd 0.
    func testOptimiserGroups() throws {
        let vit = ViT(Self.tinyConfig, seed: 1)
        let make = { (opts: MethodOptions) in try DAMVP(setup: MethodSetup(backbone: .vit(vit), numClasses: 4, options: opts, rng: RandomStream(0))) }
        let m = try make(["prompt_size": .int(4)])
        m.setClusters(prototypes: Tensor(zeros: [2, 32]))
        let g = m.parameterGroups(lr: 5, weightDecay: 1e-3)
        XCTAssertEqual(g.map(\.name), ["prompter_gather.0", "prompter_gather.1", "head"])
        XCTAssertEqual(g.map(\.lr), [5, 5, 5])
        XCTAssertEqual(g.map(\.weightDecay), [1e-3, 1e-3, 0])
        let f = try make(["prompt_size": .int(4), "FIXED_HEAD_LR": .bool(true)])
        f.setClusters(prototypes: Tensor(zeros: [2, 32]))
        XCTAssertEqual(f.parameterGroups(lr: 5, weightDecay: 0).last!.lr, 0.1)
        XCTAssertThrowsError(try make(["prompt_size": .int(4), "momemtum": .double(0.9)]))
    }

    /// Tests use the best-validation prompters with the current head; the live prompters come back afterwards.
    func testBestValidationSnapshot() throws {
        let vit = ViT(Self.tinyConfig, seed: 1)
        let m = try DAMVP(setup: MethodSetup(backbone: .vit(vit), numClasses: 4, options: ["prompt_size": .int(4)], rng: RandomStream(0)))
        m.setClusters(prototypes: Tensor(zeros: [1, 32]))
        let p = m.prompterGather[0].up, h = m.head.weight
        m.didEvaluate(.val, epoch: 0, accuracy: 50)
        let best = p.value.scalars
        p.value.data[0] += 1; h.value.data[0] += 1
        let live = p.value.scalars, liveHead = h.value.scalars
        m.didEvaluate(.val, epoch: 1, accuracy: 50)  // not better: snapshot kept
        m.willEvaluate(.test, epoch: 1)
        XCTAssertEqual(p.value.scalars, best)
        XCTAssertEqual(h.value.scalars, liveHead, "official: the head is not snapshotted")
        m.didEvaluate(.test, epoch: 1, accuracy: 0)
        XCTAssertEqual(p.value.scalars, live)
    }

    /// Head tuning through the shared trainer on a built-in task, above chance.
    func testTrainingRunAboveChance() throws {
        let vit = ViT(ViTConfig(imageSize: 32, patchSize: 8, dim: 32, depth: 2, heads: 2, mlpDim: 64, preLogits: true), seed: 7)
        let m = try DAMVP(setup: MethodSetup(backbone: .vit(vit), numClasses: BuiltinTask.scenes.numClasses,
                                             options: ["prompt_size": .int(4), "distance_threshold": .double(1.5), "max_cluster_samples": .int(200)],
                                             rng: RandomStream(1)))
        let pipe = try Pipeline.make("builtin", size: 32)
        func loader(_ range: Range<Int>, train: Bool) -> DataLoader {
            DataLoader(dataset: BuiltinDataset(task: .scenes, pool: range, seed: 3, size: 32), pipeline: pipe,
                       options: LoaderOptions(batchSize: 32, shuffle: train, train: train, seed: 11, cache: true))
        }
        let recipe = Recipe(method: "dam-vp", optimizer: OptimizerSpec(kind: .sgd, momentum: 0), lr: 2, weightDecay: 0,
                            schedule: ScheduleSpec(kind: "step-warmup-cosine"), epochs: 10, batchSize: 32,
                            officialSelection: .lastEpochTest, cleanSelection: .testAtBestVal, pipeline: "builtin")
        let t = try Trainer(method: m, recipe: recipe, data: RunData(train: loader(0..<480, train: true), val: loader(480..<640, train: false),
                                                                   test: loader(640..<960, train: false)), seed: 2023, folder: nil)
        let h = try t.run()
        let acc = h.last!.testAccuracy!
        print("dam-vp built-in scenes (8 classes): K = \(m.clusterCount), losses \(h.map { String(format: "%.3f", $0.trainLoss) }), val \(h.map { $0.valAccuracy ?? -1 }), test \(acc)")
        XCTAssertGreaterThan(m.clusterCount, 1)
        XCTAssertGreaterThan(acc, 2 * 100 / 8)
    }
}

/// The Reptile meta-prompt step on built-in source tasks.
final class DAMVPReptileTests: XCTestCase {
    func testMetaStepOnBuiltinTasks() throws {
        Threads.set(1)
        let vit = ViT(ViTConfig(imageSize: 32, patchSize: 8, dim: 32, depth: 2, heads: 2, mlpDim: 64, preLogits: true), seed: 7)
        var rng = RandomStream(5)
        let meta = PadPrompter(prefix: "", imageSize: 32, padSize: 4, rng: &rng)
        let pipe = try Pipeline.make("builtin", size: 32)
        var tasks: [DAMVP] = [], batches: [(images: Tensor, labels: [Int])] = []
        for (i, task) in [BuiltinTask.texture, .scenes, .shapes].enumerated() {
            let loader = DataLoader(dataset: BuiltinDataset(task: task, pool: 0..<64, seed: 3, size: 32), pipeline: pipe,
                                    options: LoaderOptions(batchSize: 32, shuffle: true, train: true, seed: UInt64(i)))
            let m = try DAMVP(setup: MethodSetup(backbone: .vit(vit), numClasses: task.numClasses,
                                                 options: ["prompt_size": .int(4), "distance_threshold": .double(1.5)], rng: RandomStream(UInt64(i))))
            try m.prepare(trainingData: Trainer.reader(loader))
            let b = try loader.batches(epoch: 0).next()!
            tasks.append(m); batches.append((Tensor(b.images, shape: b.shape), b.labels.map { Int($0) }))
        }
        let theta = meta.parameters.map { $0.value.scalars }
        let head0 = tasks[0].head.weight.value.scalars
        let l1 = DAMVPReptile.metaStep(meta: meta, tasks: tasks, batches: batches, updateLR: 1, weightDecay: 1e-4, updateStep: 4, metaStepSize: 0.5)
        // θ' = θ − ε Σ_t Σ_k (θ − θ_{t,k}) / Σ_t K_t, from the fast prompters the tasks hold after their inner loops.
        let totalK = tasks.map(\.clusterCount).reduce(0, +)
        XCTAssertGreaterThan(totalK, 3)
        for (i, p) in meta.parameters.enumerated() {
            var expected = theta[i]
            for t in tasks { for f in t.prompterGather { let v = f.parameters[i].value.scalars; for j in expected.indices { expected[j] -= 0.5 * (theta[i][j] - v[j]) / Float(totalK) } } }
            XCTAssertLessThan(DAMVPTests.relError(p.value.scalars, expected), 1e-5)
            XCTAssertNotEqual(p.value.scalars, theta[i])
        }
        XCTAssertNotEqual(tasks[0].head.weight.value.scalars, head0, "task heads persist across meta steps")
        for _ in 0..<3 { DAMVPReptile.metaStep(meta: meta, tasks: tasks, batches: batches, updateLR: 1, weightDecay: 1e-4, updateStep: 4, metaStepSize: 0.5) }
        let l2 = DAMVPReptile.metaStep(meta: meta, tasks: tasks, batches: batches, updateLR: 1, weightDecay: 1e-4, updateStep: 4, metaStepSize: 0.5)
        print("reptile first-inner-step losses: \(l1) → \(l2)")
        XCTAssertLessThan(l2.reduce(0, +), l1.reduce(0, +), "meta prompt + persistent heads lower the tasks' losses on their batches")
    }
}

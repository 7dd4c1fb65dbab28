import XCTest
import Backbones
@testable import Bench
import Checkpoints
import Engine
import Random
@testable import Methods

/// ILM-VP against OPTML-Group/ILM-VP (fixtures: Tests/Fixtures/methods/ilm_vp/make_ilm_vp_golden.py).
final class ILMVPTests: XCTestCase {
    static let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/methods/ilm_vp")

    override func setUp() { Threads.set(1) }

    func io(_ name: String) throws -> Tensor { try Golden.tensor("ilm_vp", "io.safetensors", name) }

    func json(_ name: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: Self.dir.appendingPathComponent(name))) as! [String: Any]
    }

    /// The greedy frequency mapping of fixed source logits equals the official one (ties and zero counts included).
    func testFrequencyMappingEqualsOfficial() throws {
        let j = try json("mapping.json")
        let logits = (j["logits"] as! [[Double]])
        let preds = logits.map { row in row.indices.max { row[$0] < row[$1] || (row[$0] == row[$1] && $0 > $1) }! }
        let got = LabelMapping.frequencyMapping(predictions: preds, labels: j["labels"] as! [Int], sourceClasses: j["source_classes"] as! Int)
        XCTAssertEqual(got, j["mapping"] as! [Int])
        XCTAssertEqual(Set(got).count, got.count, "one-to-one")
    }

    func makeMethod(_ kind: ILMVP.Mapping, id: String = "ilm-vp") throws -> (ILMVP, Checkpoint) {
        let g = try json("golden.json")
        let r = ResNet(ResNetConfig(block: .basic, layers: [1, 1, 1, 1], widths: [4, 8, 8, 8], numClasses: g["source_classes"] as! Int))
        let ck = try loadCheckpoint(Self.dir.appendingPathComponent("weights.safetensors"))
        try r.load(from: ck, strict: false)
        let m = try ILMVP(id: id, setup: MethodSetup(backbone: .resnet(r), numClasses: g["num_classes"] as! Int,
                                                     options: ["input_size": .int(8), "out_size": .int(32)], rng: RandomStream(0)), mapping: kind)
        return (m, ck)
    }

    /// Mapping over the training batches with the official prompt, logits, loss and the program gradient.
    func testParityWithOfficial() throws {
        let g = try json("golden.json")
        let (m, ck) = try makeMethod(.iterative)
        _ = try Probe.loadOfficialWeights(m, from: ck)
        let tx = try io("train_x"), ty = try io("train_y").scalars.map { Int($0) }
        var next = 0
        try m.epochWillBegin(0, trainingData: { _ in {
            guard next < 24 else { return nil }
            defer { next += 8 }
            return (tx.rows(next, next + 8), Array(ty[next..<(next + 8)]))
        } })
        XCTAssertEqual(m.mapping, g["mapping"] as! [Int])
        let r = try Probe.run(m, images: try io("images"), labels: try io("labels").scalars.map { Int($0) })
        let le = DAMVPTests.relError(r.logits.scalars, try io("logits").scalars)
        let expectedLoss = Float(g["loss"] as! Double)
        let lossErr = abs(r.loss - expectedLoss) / expectedLoss
        XCTAssertEqual(r.gradients.map(\.name), ["program"])
        let ge = DAMVPTests.relError(try r.gradients[0].floats(), try io("grad/program").scalars)
        print("ilm-vp parity: logits \(le), loss \(lossErr), grad program \(ge)")
        XCTAssertLessThan(le, 1e-4)
        XCTAssertLessThan(lossErr, 1e-4)
        XCTAssertLessThan(ge, 1e-3)
        // Inside the image area the prompt has no effect: zero gradient there.
        let grad = try r.gradients[0].floats()
        XCTAssertEqual(grad[(0 * 32 + 12) * 32 + 12], 0)
    }

    /// The official training script (experiments/cnn/ilm_vp.py, run as is on CPU for 5 epochs of one fixed batch each):
    /// zero-initialised program, the label mapping recomputed at each epoch start (epoch 0 first), Adam with the ilm13
    /// recipe's betas/eps and MultiStepLR([int(0.5E), int(0.72E)], 0.1) per epoch: mappings equal, losses within 1e-3.
    func testFirstFiveLossesMatchOfficialTraining() throws {
        let f = try json("golden.json")["first_losses"] as! [String: Any]
        let expected = (f["losses"] as! [NSNumber]).map(\.floatValue)
        let lr = (f["lr"] as! NSNumber).doubleValue, epochs = f["epochs"] as! Int, inSize = f["input_size"] as! Int
        XCTAssertEqual(expected.count, 5)
        let g = try json("golden.json")
        func make() throws -> ILMVP {
            let r = ResNet(ResNetConfig(block: .basic, layers: [1, 1, 1, 1], widths: [4, 8, 8, 8], numClasses: g["source_classes"] as! Int))
            try r.load(from: try loadCheckpoint(Self.dir.appendingPathComponent("weights.safetensors")), strict: false)
            let m = try ILMVP(id: "ilm-vp", setup: MethodSetup(backbone: .resnet(r), numClasses: g["num_classes"] as! Int,
                                                               options: ["input_size": .int(inSize), "out_size": .int(f["out_size"] as! Int)],
                                                               rng: RandomStream(0)), mapping: .iterative)
            XCTAssertTrue(m.program.value.scalars.allSatisfy { $0 == 0 }, "official init='zero'")
            return m
        }
        let m = try make()
        let recipe = try Recipe.load(Golden.recipes.appendingPathComponent("ilm13/ilm-vp/cifar10.yaml"))
        var spec = recipe.schedule
        spec.milestones = [Int(0.5 * Double(epochs)), Int(0.72 * Double(epochs))]  // ilm_vp.py:66 for --epoch E
        let (schedule, perStep) = try spec.resolve(epochs: epochs, itersPerEpoch: 1)
        XCTAssertFalse(perStep)
        for (e, v) in (f["lrs"] as! [NSNumber]).enumerated() { XCTAssertEqual(schedule.lr(at: e, base: lr), v.doubleValue, accuracy: 1e-12, "lr epoch \(e)") }
        let opt = Optimizer(recipe.optimizerConfig, groups: m.parameterGroups(lr: Float(lr), weightDecay: Float(recipe.weightDecay)))
        let batches = try loadCheckpoint(Self.dir.appendingPathComponent("train_batches.safetensors"))
        let xs = try Golden.tensor(batches, "x"), ys = try Golden.tensor(batches, "y")
        let b = xs.shape[1], per = b * 3 * inSize * inSize
        func batch(_ e: Int) -> (Tensor, [Int]) {
            (Tensor(Array(xs.scalars[(e * per)..<((e + 1) * per)]), shape: [b, 3, inSize, inSize]), ys.scalars[(e * b)..<((e + 1) * b)].map { Int($0) })
        }
        func oneBatch(_ e: Int) -> TrainingData { { _ in var done = false; return { defer { done = true }; return done ? nil : batch(e) } } }
        let mappings = f["mappings"] as! [[Int]]
        var losses: [Float] = []
        for e in 0..<epochs {
            try m.epochWillBegin(e, trainingData: oneBatch(e))  // mapping_interval 1: remapped at every epoch start
            XCTAssertEqual(m.mapping, mappings[e], "mapping at epoch \(e)")
            opt.apply(schedule, at: e)
            let (x, y) = batch(e)
            var ctx = ForwardContext.eval
            let loss = m.loss(TrainingBatch(images: x, labels: y, epoch: e), context: &ctx)
            losses.append(loss.item)
            opt.zeroGrad()
            loss.backward()
            opt.step()
        }
        // Without updates the later losses differ: the comparison sees the training steps.
        let still = try make()
        var frozen: [Float] = []
        for e in 0..<epochs {
            try still.epochWillBegin(e, trainingData: oneBatch(e))
            let (x, y) = batch(e)
            var ctx = ForwardContext.eval
            frozen.append(withoutGrad { still.loss(TrainingBatch(images: x, labels: y, epoch: e), context: &ctx) }.item)
        }
        print("ilm-vp first losses \(losses) vs official \(expected) (without updates: \(frozen))")
        for (a, e) in zip(losses, expected) { XCTAssertEqual(a, e, accuracy: 1e-3 * max(1, abs(e))) }
        XCTAssertGreaterThan(zip(frozen.dropFirst(), expected.dropFirst()).map { abs($0 - $1) }.max()!, 1e-2)
    }

    /// A probe's weights may carry `mapping_sequence` (as the official best.pth does): no mapping pass is needed then.
    func testProbeWeightsCarryMappingSequence() throws {
        let g = try json("golden.json")
        let (m, ck) = try makeMethod(.iterative)
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("ilm-probe-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: tmp) }
        let mapping = (g["mapping"] as! [Int]).map { Float($0) }
        try Safetensors.write(try ck.names.map { try ck.tensor($0) } + [StoredTensor(name: "mapping_sequence", shape: [mapping.count], floats: mapping)], to: tmp)
        let report = try Probe.loadOfficialWeights(m, from: try loadCheckpoint(tmp))
        XCTAssertTrue(report.loaded.contains("mapping_sequence"))
        XCTAssertFalse(report.unexpected.contains("mapping_sequence"))  // (BN buffers are the ResNet loader's, not the probe's)
        XCTAssertEqual(m.mapping, g["mapping"] as! [Int])
        let r = try Probe.run(m, images: try io("images"), labels: try io("labels").scalars.map { Int($0) })
        XCTAssertLessThan(DAMVPTests.relError(r.logits.scalars, try io("logits").scalars), 1e-4)
        try Safetensors.write(try ck.names.map { try ck.tensor($0) } + [StoredTensor(name: "mapping_sequence", shape: [2], floats: [0, 1])], to: tmp)
        let (m2, _) = try makeMethod(.iterative)
        XCTAssertThrowsError(try Probe.loadOfficialWeights(m2, from: try loadCheckpoint(tmp)))
    }

    /// FLM maps once in `prepare`; RLM draws an injective random map; ILM waits for the epoch hook.
    func testVariants() throws {
        let (rlm, _) = try makeMethod(.random, id: "rlm-vp")
        try rlm.prepare(trainingData: { _ in { nil } })
        XCTAssertEqual(Set(rlm.mapping!).count, 4)
        let (ilm, _) = try makeMethod(.iterative)
        try ilm.prepare(trainingData: { _ in { nil } })
        XCTAssertNil(ilm.mapping)
        XCTAssertEqual(ilm.parameterGroups(lr: 0.01, weightDecay: 0).map(\.name), ["program"])
        XCTAssertEqual(ilm.trainable.map(\.name), ["program"])
    }

    /// ResNet-18 at s = 32: 150,528 stored, 147,456 effective; s = 128: 101,376 effective.
    func testTrainableCounts() throws {
        let r = ResNet(.resnet18)
        for (s, effective) in [(32, 147_456), (128, 101_376)] {
            let m = try ILMVP(id: "ilm-vp", setup: MethodSetup(backbone: .resnet(r), numClasses: 10, options: ["input_size": .int(s)],
                                                               rng: RandomStream(0)), mapping: .iterative)
            XCTAssertEqual(m.trainableSplit.prompts, 150_528)
            XCTAssertEqual(m.trainableSplit.other, 0)
            XCTAssertEqual(m.effectiveTrainableCount, effective)
            XCTAssertEqual(Int(m.mask.scalars.reduce(0, +)), effective)
        }
    }
}

/// Every recipe of DAM-VP and ILM-VP parses and resolves its schedule.
final class DAMILMRecipeTests: XCTestCase {
    func testRecipesLoad() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("recipes")
        var n = 0
        for dir in ["hta/dam-vp", "ilm13/ilm-vp"] {
            for f in try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(dir).path) where f.hasSuffix(".yaml") {
                let r = try Recipe.load(root.appendingPathComponent(dir).appendingPathComponent(f))
                XCTAssertEqual(r.method, dir.hasSuffix("dam-vp") ? "dam-vp" : "ilm-vp")
                n += 1
            }
        }
        for f in ["mini/dam-vp.yaml", "mini/ilm-vp.yaml"] { _ = try Recipe.load(root.appendingPathComponent(f)); n += 1 }
        XCTAssertEqual(n, 10 + 12 + 2)
    }
}

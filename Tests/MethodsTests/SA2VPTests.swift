import XCTest
import Backbones
import Checkpoints
import Data
import Engine
import Methods
import Random
@testable import Bench

/// SA²VP against the official tommy-xq/SA2VP model (fixture: Tests/Fixtures/methods/sa2vp/make_sa2vp_golden.py).
final class SA2VPTests: XCTestCase {
    override func setUp() { Threads.set(1) }

    static let dir = Golden.root.appendingPathComponent("sa2vp")

    func testParityWithOfficialModel() throws {
        // Tiny jeonsworld ViT: width 16, 2 heads, 12 layers (the official encoder hard-codes 12), grid 14 (hard-coded).
        let cfg = ViTConfig(imageSize: 28, patchSize: 2, dim: 16, depth: 12, heads: 2, mlpDim: 32)
        let m = try makeMethod("sa2vp", setup: MethodSetup(backbone: .vit(ViT(cfg)), numClasses: 5,
                                                           options: ["inter_dim": .int(4), "add_scale": .double(0.5)], rng: RandomStream(1)))
        let r = try probeParity(m, fixture: Self.dir)
        // The only unused official tensors are the cross-attention copies of block i's q/k/v/out and LayerNorm_0,
        // and they equal block i's weights (so sharing them is the same function).
        XCTAssertEqual(r.report.unexpected.count, 12 * 10, "\(r.report.unexpected.prefix(5))")
        let w = try Safetensors.load(Self.dir.appendingPathComponent("weights.safetensors"))
        for name in r.report.unexpected {
            XCTAssertTrue(name.contains(".cross_attn.") && (name.contains(".attn.to_") || name.contains(".attention_norm.")), name)
            let i = name.split(separator: ".")[4]
            let src = name.replacingOccurrences(of: "cross_attn.\(i).attn.to_q", with: "layer.\(i).attn.query")
                .replacingOccurrences(of: "cross_attn.\(i).attn.to_k", with: "layer.\(i).attn.key")
                .replacingOccurrences(of: "cross_attn.\(i).attn.to_v", with: "layer.\(i).attn.value")
                .replacingOccurrences(of: "cross_attn.\(i).attn.to_out", with: "layer.\(i).attn.out")
                .replacingOccurrences(of: "cross_attn.\(i).attention_norm", with: "layer.\(i).attention_norm")
            XCTAssertEqual(try w.tensor(name).floats(), try w.tensor(src).floats(), name)
        }
    }

    /// First 5 training losses equal the official ones: same weights, batches and order, the official optimiser
    /// (create_optimizer → AdamW decay/no_decay groups) and per-iteration schedule (utils.cosine_scheduler), dropout off.
    func testFirstFiveLossesMatchOfficialTraining() throws {
        let cfg = ViTConfig(imageSize: 28, patchSize: 2, dim: 16, depth: 12, heads: 2, mlpDim: 32)
        let m = try makeMethod("sa2vp", setup: MethodSetup(backbone: .vit(ViT(cfg)), numClasses: 5,
                                                           options: ["inter_dim": .int(4), "add_scale": .double(0.5)], rng: RandomStream(1)))
        _ = try Probe.loadOfficialWeights(m, from: try Safetensors.load(Self.dir.appendingPathComponent("weights.safetensors")))
        let golden = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.dir.appendingPathComponent("golden.json"))) as! [String: Any]
        let f = golden["first_losses"] as! [String: Any]
        func num(_ k: String) -> Double { (f[k] as! NSNumber).doubleValue }
        let expected = (f["losses"] as! [NSNumber]).map(\.floatValue)
        let spec = ScheduleSpec(kind: "linspace-warmup-cosine", warmupEpochs: Int(num("warmup_epochs")), minLR: num("min_lr"))
        let (schedule, perStep) = try spec.resolve(epochs: Int(num("epochs")), itersPerEpoch: Int(num("iters_per_epoch")))
        XCTAssertTrue(perStep)
        for (t, e) in (f["schedule"] as! [NSNumber]).enumerated() {
            XCTAssertEqual(schedule.lr(at: t, base: num("lr")), e.doubleValue, accuracy: 1e-12, "lr at step \(t)")
        }
        let opt = Optimizer(OptimizerConfig(kind: .adamw), groups: m.parameterGroups(lr: Float(num("lr")), weightDecay: Float(num("weight_decay"))))
        let batches = try Safetensors.load(Self.dir.appendingPathComponent("train_batches.safetensors"))
        let xs = try Golden.tensor(batches, "x"), ys = try Golden.tensor(batches, "y")
        let b = xs.shape[1], per = b * 3 * 28 * 28
        var losses: [Float] = []
        for step in 0..<expected.count {
            opt.apply(schedule, at: step)
            let x = Tensor(Array(xs.scalars[(step * per)..<((step + 1) * per)]), shape: [b, 3, 28, 28])
            let y = ys.scalars[(step * b)..<((step + 1) * b)].map { Int($0) }
            var ctx = ForwardContext.eval  // official golden runs model.eval(): dropout off
            let loss = m.loss(TrainingBatch(images: x, labels: y, epoch: 0), context: &ctx)
            losses.append(loss.item)
            opt.zeroGrad()
            loss.backward()
            opt.step()
        }
        print("sa2vp first losses \(losses) vs official \(expected)")
        for (a, e) in zip(losses, expected) { XCTAssertEqual(a, e, accuracy: 1e-3 * max(1, abs(e))) }
    }

    func testLocalWindowMaskMatchesOfficialIndexLists() {
        // vit_tinypara.py:109-136 lists for the 14×14 grid: corners 4 keys, edges 6, inside 9, CLS row all 197.
        let m = SA2VP.localWindowMask(grid: 14)
        func allowed(_ t: Int) -> [Int] { (0..<197).filter { m.data[t * 197 + $0] == 0 } }
        XCTAssertEqual(allowed(0).count, 197)
        XCTAssertEqual(allowed(1), [1, 2, 15, 16])
        XCTAssertEqual(allowed(14), [13, 14, 27, 28])
        XCTAssertEqual(allowed(183), [169, 170, 183, 184])
        XCTAssertEqual(allowed(196), [181, 182, 195, 196])
        XCTAssertEqual(allowed(5), [4, 5, 6, 18, 19, 20])          // top edge
        XCTAssertEqual(allowed(29), [15, 16, 29, 30, 43, 44])      // left edge
        XCTAssertEqual(allowed(42), [27, 28, 41, 42, 55, 56])      // right edge
        XCTAssertEqual(allowed(190), [175, 176, 177, 189, 190, 191])  // bottom edge
        XCTAssertEqual(allowed(100), [85, 86, 87, 99, 100, 101, 113, 114, 115])
    }

    func testTrainableCountViTB16() {
        // Spec §2: 21,339·d + 31,488 without the head.
        for d in [8, 16, 32, 64] {
            var o = SA2VPConfig(); o.inter_dim = d
            XCTAssertEqual(SA2VP.trainableCount(.vitB16(), o), 21_339 * d + 31_488)
        }
        XCTAssertEqual(SA2VP.trainableCount(.vitB16(), SA2VPConfig()), 372_912)
    }

    func testTrainableCountMatchesAllocatedModel() throws {
        // The formula equals what the method actually allocates as trainable (small ViT; same formula path).
        let cfg = ViTConfig(imageSize: 32, patchSize: 8, dim: 48, depth: 4, heads: 3, mlpDim: 96)
        let m = try makeMethod("sa2vp", setup: MethodSetup(backbone: .vit(ViT(cfg)), numClasses: 7, options: ["inter_dim": .int(8), "prompt_list": .list([.int(2)]), "b2p_list": .list([.int(0), .int(2)])], rng: RandomStream(0)))
        let split = m.trainableSplit
        var o = SA2VPConfig(); o.inter_dim = 8; o.prompt_list = [2]
        XCTAssertEqual(split.prompts + split.other, SA2VP.trainableCount(cfg, o))
        XCTAssertEqual(split.head, 48 * 7 + 7)
    }

    func testShortBuiltinTrainingBeatsChance() throws {
        var recipe = try Recipe.load(Golden.recipes.appendingPathComponent("mini/sa2vp.yaml"))
        recipe.epochs = 6
        recipe.lr = 1e-2  // a random-weight backbone and 30 steps need a larger step than the 100-epoch recipe  // a random-weight backbone and 30 steps need a larger step than the 100-epoch recipe
        let cfg = ViTConfig(imageSize: 32, patchSize: 8, dim: 48, depth: 4, heads: 3, mlpDim: 96)
        let m = try makeMethod("sa2vp", setup: MethodSetup(backbone: .vit(ViT(cfg, seed: 3)), numClasses: BuiltinTask.scenes.numClasses,
                                                           options: recipe.options, rng: RandomStream(2)))
        let h = try trainBuiltin(m, recipe: recipe, task: .scenes, trainImages: 320, testImages: 200)
        let acc = h.last!.testAccuracy!
        print("sa2vp built-in scenes: losses \(h.map(\.trainLoss)), test accuracy \(acc)%")
        XCTAssertGreaterThan(acc, 30, "chance is 12.5% (8 classes)")
    }
}

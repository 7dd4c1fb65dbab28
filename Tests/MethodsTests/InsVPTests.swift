import XCTest
import Backbones
import Checkpoints
import Data
import Engine
import Methods
import Random
@testable import Bench

/// InsVP against the official zhoujiahuan1991/MM2024-InsVP model (fixture: Tests/Fixtures/methods/insvp/make_insvp_golden.py).
final class InsVPTests: XCTestCase {
    override func setUp() { Threads.set(2) }

    static let dir = Golden.root.appendingPathComponent("insvp")

    /// The golden script's generator: ((k·2654435761 + seed·40503 + 12345) mod 2³² / 2³² − 0.5)·scale, in float64.
    /// (A plain loop into uninitialised storage: `map` with a closure costs seconds per 224-px model in debug builds.)
    static func gen(_ seed: Int, _ count: Int, _ scale: Double, offset: Float = 0) -> [Float] {
        let base = UInt64(seed * 40503 + 12345)
        return [Float](unsafeUninitializedCapacity: count) { buf, n in
            var k = 0
            while k < count {
                let h = (UInt64(k) &* 2_654_435_761 &+ base) & 0xFFFF_FFFF
                buf[k] = Float((Double(h) / 4_294_967_296 - 0.5) * scale) + offset
                k += 1
            }
            n = count
        }
    }

    /// The generated backbone tensors (official names under `backbone.`), made once for all tests of the class.
    nonisolated(unsafe) static var generatedBackbone: [StoredTensor]?

    /// The method on the generated 224-px backbone, the combined official-named weights, and the inputs.
    func build(simam: Bool) throws -> (InsVP, Checkpoint, Tensor, [Int]) {
        let golden = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.dir.appendingPathComponent("golden.json"))) as! [String: Any]
        let cfg = ViTConfig(imageSize: 224, patchSize: 16, dim: 768, depth: 2, heads: 12, mlpDim: 192)
        let vit = ViT(cfg)
        let m = try makeMethod("insvp", setup: MethodSetup(backbone: .vit(vit), numClasses: 5, options: [
            "p_len": .int(2), "deep_layer": .int(2), "simam": .bool(simam)], rng: RandomStream(1))) as! InsVP
        // Backbone from the generator specs (timm names under `backbone.`), method tensors from the fixture.
        var ck = try Safetensors.load(Self.dir.appendingPathComponent("weights.safetensors"))
        if Self.generatedBackbone == nil {
            let byName = Dictionary(uniqueKeysWithValues: vit.parameters.map { ($0.name, $0) })
            Self.generatedBackbone = try (golden["specs"] as! [[Any]]).map { spec in
                let name = spec[0] as! String, seed = (spec[1] as! NSNumber).intValue
                let scale = (spec[2] as! NSNumber).doubleValue, offset = Float((spec[3] as! NSNumber).doubleValue)
                let p = try XCTUnwrap(byName[name], name)
                return StoredTensor(name: "backbone." + name, shape: p.shape, floats: Self.gen(seed, p.count, scale, offset: offset))
            }
        }
        for t in Self.generatedBackbone! { ck.tensors[t.name] = t; ck.names.append(t.name) }
        let x = Tensor(Self.gen(1000, 3 * 224 * 224, 4), shape: [1, 3, 224, 224])
        return (m, ck, x, (golden["labels"] as! [NSNumber]).map(\.intValue))
    }

    func testParityWithOfficialModelSimAM() throws {
        let (m, ck, x, y) = try build(simam: true)
        let golden = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.dir.appendingPathComponent("golden.json"))) as! [String: Any]
        let loss = Float((((golden["cases"] as! [String: [String: Any]])["simam"]!)["loss"] as! NSNumber).doubleValue)
        let r = try probeParity(m, weights: ck, images: x, labels: y, logits: Self.dir.appendingPathComponent("logits_simam.npy"),
                                loss: loss, grads: Self.dir.appendingPathComponent("grads_simam.safetensors"))
        XCTAssertTrue(r.report.unexpected.isEmpty, "\(r.report.unexpected)")
    }


    /// Official behaviour (TokenPrompt frozen) and FIXED_TOKENPROMPT (its convs trainable; their gradients are the
    /// official ones — the official model computes them too, it just never steps them), in one test to build the
    /// 224-px model once.
    func testParityWithOfficialModelAndFixedTokenPrompt() throws {
        let (m, ck, x, y) = try build(simam: false)
        let golden = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.dir.appendingPathComponent("golden.json"))) as! [String: Any]
        let loss = Float((((golden["cases"] as! [String: [String: Any]])["plain"]!)["loss"] as! NSNumber).doubleValue)
        XCTAssertTrue(m.trainable.allSatisfy { !$0.name.hasPrefix("TokenPrompt.") }, "official: TokenPrompt is never optimised")
        var r = try probeParity(m, weights: ck, images: x, labels: y, logits: Self.dir.appendingPathComponent("logits_plain.npy"),
                                loss: loss, grads: Self.dir.appendingPathComponent("grads_plain.safetensors"))
        XCTAssertTrue(r.report.unexpected.isEmpty, "\(r.report.unexpected)")
        // FIXED_TOKENPROMPT: same function, TokenPrompt trainable.
        let a = try Safetensors.load(Self.dir.appendingPathComponent("grads_plain.safetensors"))
        let b = try Safetensors.load(Self.dir.appendingPathComponent("grads_tokenprompt_plain.safetensors"))
        let merged = try (a.names + b.names).map { n in try (a.names.contains(n) ? a : b).tensor(n) }
        let all = Self.dir.appendingPathComponent("grads_all_plain.safetensors").tmpCopy
        try Safetensors.encode(merged, file: all.path).write(to: all)
        let fixed = try makeMethod("insvp", setup: MethodSetup(backbone: .vit(m.vit), numClasses: 5, options: [
            "p_len": .int(2), "deep_layer": .int(2), "FIXED_TOKENPROMPT": .bool(true)], rng: RandomStream(1))) as! InsVP
        XCTAssertEqual(fixed.trainable.filter { $0.name.hasPrefix("TokenPrompt.") }.count, 6)
        r = try probeParity(fixed, weights: ck, images: x, labels: y, logits: Self.dir.appendingPathComponent("logits_plain.npy"),
                            loss: loss, grads: all)
    }

    /// First 5 training losses equal the official training step's (train/trainer.py:36-111): same weights and batches,
    /// AdamW over the learnable tensors, per-step cosine_lr, the official timm Mixup draws (mixup, cutmix, none —
    /// recorded by the golden script and replayed here through `Mixup.apply`) with smoothing 0.1 and soft-target CE.
    /// Dropout off and float32 on both sides (the official fp16 autocast is CUDA-only).
    func testFirstFiveLossesMatchOfficialTraining() throws {
        let (m, ck, _, _) = try build(simam: false)
        _ = try Probe.loadOfficialWeights(m, from: ck)
        let golden = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.dir.appendingPathComponent("golden.json"))) as! [String: Any]
        let f = golden["first_losses"] as! [String: Any]
        func num(_ k: String) -> Double { (f[k] as! NSNumber).doubleValue }
        let expected = (f["losses"] as! [NSNumber]).map(\.floatValue)
        let (schedule, perStep) = try ScheduleSpec(kind: "step-warmup-cosine").resolve(epochs: Int(num("epochs")), itersPerEpoch: Int(num("iters_per_epoch")))
        XCTAssertTrue(perStep)
        for (t, e) in (f["schedule"] as! [NSNumber]).enumerated() {
            XCTAssertEqual(schedule.lr(at: t, base: num("lr")), e.doubleValue, accuracy: 1e-9 * num("lr"), "lr at step \(t)")
        }
        let groups = m.parameterGroups(lr: Float(num("lr")), weightDecay: Float(num("weight_decay")))
        XCTAssertEqual(groups.count, 1, "official: one AdamW group over learnable_parameters()")
        let opt = Optimizer(OptimizerConfig(kind: .adamw), groups: groups)
        let b = Int(num("batch")), labels = f["labels"] as! [[NSNumber]], draws = f["draws"] as! [[String: Any]]
        var losses: [Float] = []
        for step in 0..<expected.count {
            opt.apply(schedule, at: step)
            let box = (draws[step]["box"] as? [NSNumber]).map { (yl: $0[0].intValue, yh: $0[1].intValue, xl: $0[2].intValue, xh: $0[3].intValue) }
            let draw = MixDraw(lambda: (draws[step]["lambda"] as! NSNumber).doubleValue, box: box)
            let y = labels[step].map(\.intValue)
            let shape = [b, 3, 224, 224]
            let mixed = Mixup.apply(images: Self.gen(2000 + step, b * 3 * 224 * 224, 4), shape: shape, labels: y, classes: 5, smoothing: 0.1, draw: draw)
            var ctx = ForwardContext.eval  // official golden runs model.eval(): dropout off
            let loss = m.loss(TrainingBatch(images: Tensor(mixed.images, shape: shape), labels: y,
                                            targets: Tensor(mixed.targets, shape: [b, 5]), epoch: 0), context: &ctx)
            losses.append(loss.item)
            opt.zeroGrad()
            loss.backward()
            opt.step()
        }
        print("insvp first losses \(losses) vs official \(expected)")
        for (a, e) in zip(losses, expected) { XCTAssertEqual(a, e, accuracy: 1e-3 * max(1, abs(e))) }
    }

    func testShortBuiltinTrainingBeatsChance() throws {
        var recipe = try Recipe.load(Golden.recipes.appendingPathComponent("mini/insvp.yaml"))
        recipe.epochs = 6
        recipe.lr = 1e-2  // random-weight backbone, 30 steps
        recipe.mixup = nil; recipe.cutmix = nil  // too few steps to learn through mixed targets; mixing is tested in TrainerMixupTests
        let cfg = ViTConfig(imageSize: 32, patchSize: 8, dim: 48, depth: 4, heads: 3, mlpDim: 96)
        let m = try makeMethod("insvp", setup: MethodSetup(backbone: .vit(ViT(cfg, seed: 3)), numClasses: BuiltinTask.scenes.numClasses,
                                                           options: recipe.options, rng: RandomStream(2)))
        let h = try trainBuiltin(m, recipe: recipe, task: .scenes, trainImages: 320, testImages: 200)
        let acc = h.last!.testAccuracy!
        print("insvp built-in scenes: losses \(h.map(\.trainLoss)), test accuracy \(acc)%")
        XCTAssertGreaterThan(acc, 30, "chance is 12.5% (8 classes)")
    }

    func testTrainableCountMatchesAllocatedModel() throws {
        let cfg = ViTConfig(imageSize: 32, patchSize: 8, dim: 48, depth: 3, heads: 3, mlpDim: 48)
        for fixed in [false, true] {
            let opts: MethodOptions = ["p_len": .int(5), "deep_layer": .int(3), "prompt_patch": .int(4), "prompt_patch_2": .int(3),
                                       "prompt_patch_22": .int(5), "TP_kernel_1": .int(3), "TP_kernel_2": .int(3), "TP_crop_1": .int(0),
                                       "TP_crop_2": .int(0), "TP_pool_2": .int(2), "FIXED_TOKENPROMPT": .bool(fixed)]
            let m = try makeMethod("insvp", setup: MethodSetup(backbone: .vit(ViT(cfg)), numClasses: 7, options: opts, rng: RandomStream(0)))
            let o = try opts.decode(InsVPConfig.self, method: "insvp", known: Set(opts.keys))
            let split = m.trainableSplit
            XCTAssertEqual(split.prompts + split.other, InsVP.trainableCount(cfg, o), "FIXED_TOKENPROMPT \(fixed)")
            XCTAssertEqual(split.head, 48 * 7 + 7)
        }
    }

    func testTrainableCountViTB16() {
        var o = InsVPConfig()
        XCTAssertEqual(InsVP.trainableCount(.vitB16(), o), 186_253)  // 9216·16 + 38,797
        for p in [9, 16, 20] { o.p_len = p; XCTAssertEqual(InsVP.trainableCount(.vitB16(), o), 9216 * p + 38_797) }
        o.p_len = 16; o.FIXED_TOKENPROMPT = true
        XCTAssertEqual(InsVP.trainableCount(.vitB16(), o), 186_253 + 85_408)  // spec §2: TokenPrompt convs for p=16, k=7/9/3
    }
}

extension URL {
    /// The same file name under the temporary directory (generated, not committed).
    var tmpCopy: URL { FileManager.default.temporaryDirectory.appendingPathComponent("insvp-" + lastPathComponent) }
}

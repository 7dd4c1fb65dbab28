import XCTest
import Backbones
@testable import Bench
import Checkpoints
import Data
import Engine
import Methods
import Random

/// AdaptFormer and SSF against their official modules (Tests/Fixtures/methods/{adaptformer,ssf}/make_*_golden.py):
/// same weights in official names → same logits, loss, trainable set and gradients; trainable counts as official.
final class AdaptFormerSSFTests: XCTestCase {
    override func setUp() { Threads.set(1) }

    /// The goldens' tiny ViT: image 32, patch 8, dim 32, depth 3, heads 4, MLP ratio 2.
    static let tiny = ViTConfig(imageSize: 32, patchSize: 8, dim: 32, depth: 3, heads: 4, mlpDim: 64)

    func make(_ id: String, _ options: MethodOptions = [:]) throws -> PromptMethod {
        try makeMethod(id, setup: MethodSetup(backbone: .vit(ViT(Self.tiny, seed: 7)), numClasses: 5, options: options, rng: RandomStream(3)))
    }

    func meta(_ dir: String) throws -> [String: Any] {
        let url = Golden.root.appendingPathComponent(dir).appendingPathComponent("meta.json")
        return try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
    }

    // MARK: AdaptFormer

    func testAdaptFormerParallelLayerNormIn() throws {
        let m = try make("adaptformer", ["ffn_num": .int(4), "ffn_adapter_layernorm_option": .string("in"), "head": .string("linear")])
        try Golden.check(m, dir: "adaptformer", weights: "parallel_in_linear.safetensors", io: "parallel_in_linear_io.safetensors")
        XCTAssertEqual(m.trainable.map(\.count).reduce(0, +), (try meta("adaptformer")["cases"] as! [String: [String: Any]])["parallel_in_linear"]!["trainable_count"] as! Int)
    }

    func testAdaptFormerLearnableScaleBatchNormHead() throws {
        let m = try make("adaptformer", ["ffn_num": .int(4), "ffn_adapter_scalar": .string("learnable_scalar"), "head": .string("mae-bn")])
        try Golden.check(m, dir: "adaptformer", weights: "parallel_none_learnable_bn.safetensors", io: "parallel_none_learnable_bn_io.safetensors")
        XCTAssertEqual(m.trainable.map(\.count).reduce(0, +), (try meta("adaptformer")["cases"] as! [String: [String: Any]])["parallel_none_learnable_bn"]!["trainable_count"] as! Int)
    }

    func testAdaptFormerSequentialLayerNormOut() throws {
        let m = try make("adaptformer", ["ffn_num": .int(4), "ffn_option": .string("sequential"), "ffn_adapter_layernorm_option": .string("out"),
                                          "head": .string("linear")])
        try Golden.check(m, dir: "adaptformer", weights: "sequential_out_linear.safetensors", io: "sequential_out_linear_io.safetensors")
        XCTAssertEqual(m.trainable.map(\.count).reduce(0, +), (try meta("adaptformer")["cases"] as! [String: [String: Any]])["sequential_out_linear"]!["trainable_count"] as! Int)
    }

    /// A wrong option must be caught: the `in` golden run with the layer norm off differs in logits.
    func testAdaptFormerParityCanFail() throws {
        let m = try make("adaptformer", ["ffn_num": .int(4), "head": .string("linear")])
        let ck = try loadCheckpoint(Golden.root.appendingPathComponent("adaptformer/parallel_in_linear.safetensors"))
        let report = try Probe.loadOfficialWeights(m, from: ck)
        XCTAssertFalse(report.unexpected.isEmpty, "the golden's adapter LayerNorm has no place in a `none` model")
        let g = try loadCheckpoint(Golden.root.appendingPathComponent("adaptformer/parallel_in_linear_io.safetensors"))
        let r = try Probe.run(m, images: try Golden.tensor(g, "x"), labels: try g.tensor("labels").floats().map { Int($0) })
        XCTAssertGreaterThan(Golden.relError(r.logits.scalars, try Golden.tensor(g, "logits").scalars), 1e-3)
    }

    /// The official lora init: the up-projection is zero, so at init the model equals the frozen backbone + head, and
    /// the trainable count on ViT-B/16 equals the official one (meta.json, from the official module).
    func testAdaptFormerInitAndViTB16Count() throws {
        let vit = ViT(Self.tiny, seed: 7)
        let a = try makeMethod("adaptformer", setup: MethodSetup(backbone: .vit(vit), numClasses: 5, options: ["head": .string("linear")], rng: RandomStream(3)))
        var r = RandomStream(9)
        let x = Tensor((0..<(2 * 3 * 32 * 32)).map { _ in r.normal() }, shape: [2, 3, 32, 32])
        var ctx = ForwardContext.eval
        let f = (a as! AdaptFormer)
        let plain = vit.features(x, context: &ctx)
        let withAdapters = withoutGrad { () -> Tensor in var c = ForwardContext.eval; return f.logits(x, context: &c) }
        XCTAssertEqual(withAdapters.shape, [2, 5])
        for p in f.trainable where p.name.contains("up_proj") { XCTAssertTrue(p.value.scalars.allSatisfy { $0 == 0 }, p.name) }
        for p in f.trainable where p.name.hasSuffix("down_proj.weight") { XCTAssertTrue(p.value.scalars.contains { $0 != 0 }, p.name) }
        XCTAssertEqual(plain.shape, [2, 32])
        let counts = try meta("adaptformer")["vitb16_trainable"] as! [String: [String: Int]]
        for ffn in [8, 64] {
            let big = try makeMethod("adaptformer", setup: MethodSetup(backbone: .vit(ViT(ViTConfig(imageSize: 32, patchSize: 16, dim: 768, depth: 12, heads: 12, mlpDim: 8), seed: 0)),
                                                                       numClasses: 10, options: ["ffn_num": .int(ffn)], rng: RandomStream(0))).trainableSplit
            XCTAssertEqual(big.other, counts["\(ffn)"]!["adapters"], "ffn_num \(ffn)")
            XCTAssertEqual(big.head, counts["\(ffn)"]!["head_10_classes"], "ffn_num \(ffn)")
        }
    }

    func testAdaptFormerBadOptionsNameTheProblem() {
        XCTAssertThrowsError(try make("adaptformer", ["ffn_adapter_layernorm_option": .string("inside")])) { XCTAssertTrue("\($0)".contains("ffn_adapter_layernorm_option")) }
        XCTAssertThrowsError(try make("adaptformer", ["ffn_adapter_scalar": .string("big")])) { XCTAssertTrue("\($0)".contains("ffn_adapter_scalar")) }
        XCTAssertThrowsError(try make("adaptformer", ["ffn_adapter_init_option": .string("bert")])) { XCTAssertTrue("\($0)".contains("bert")) }
        XCTAssertThrowsError(try make("adaptformer", ["ffn_nmu": .int(8)])) { XCTAssertTrue("\($0)".contains("ffn_nmu")) }
    }

    /// The mae-bn head normalises with batch statistics in training and updates its running statistics (momentum
    /// 0.1, unbiased variance), which survive a checkpoint.
    func testAdaptFormerBatchNormHeadStatistics() throws {
        let m = try make("adaptformer", ["ffn_num": .int(4)]) as! AdaptFormer
        var r = RandomStream(5)
        let x = Tensor((0..<(4 * 3 * 32 * 32)).map { _ in r.normal() }, shape: [4, 3, 32, 32])
        var ctx = ForwardContext(training: true)
        let f = withoutGrad { () -> Tensor in var c = ForwardContext.eval; return m.features(x, context: &c) }
        _ = withoutGrad { m.logits(x, context: &ctx) }
        let state = m.checkpointState()
        let mean = state["head.0.running_mean"]!.scalars, v = state["head.0.running_var"]!.scalars
        for j in [0, 7, 31] {
            let col = (0..<4).map { f.scalars[$0 * 32 + j] }
            let mu = col.reduce(0, +) / 4
            let unbiased = col.map { ($0 - mu) * ($0 - mu) }.reduce(0, +) / 3
            XCTAssertEqual(mean[j], 0.1 * mu, accuracy: 1e-5)
            XCTAssertEqual(v[j], 0.9 + 0.1 * unbiased, accuracy: 1e-4)
        }
        let other = try make("adaptformer", ["ffn_num": .int(4)]) as! AdaptFormer
        try other.restore(checkpointState: state)
        XCTAssertEqual(other.checkpointState()["head.0.running_var"]!.scalars, v)
        XCTAssertThrowsError(try other.restore(checkpointState: [:]))
    }

    /// The bottleneck dropout (p 0.1, custom_modules.py:70) acts in training only, drawn from the context's stream.
    func testAdaptFormerDropoutOnlyInTraining() throws {
        let m = try make("adaptformer", ["ffn_num": .int(4), "head": .string("linear")])
        for p in m.trainable where p.name.contains("up_proj") { p.value.fill(0.05) }
        var r = RandomStream(5)
        let x = Tensor((0..<(2 * 3 * 32 * 32)).map { _ in r.normal() }, shape: [2, 3, 32, 32])
        var e1 = ForwardContext.eval, e2 = ForwardContext.eval
        let eval = m.logits(x, context: &e1).scalars
        XCTAssertEqual(eval, m.logits(x, context: &e2).scalars)
        var t1 = ForwardContext(training: true, rng: RandomStream(1)), t2 = ForwardContext(training: true, rng: RandomStream(1))
        let a = m.logits(x, context: &t1).scalars
        XCTAssertEqual(a, m.logits(x, context: &t2).scalars)
        XCTAssertNotEqual(a, eval)
        let off = try make("adaptformer", ["ffn_num": .int(4), "head": .string("linear"), "adapter_dropout": .double(0)])
        for p in off.trainable where p.name.contains("up_proj") { p.value.fill(0.05) }
        var t3 = ForwardContext(training: true, rng: RandomStream(1)), e3 = ForwardContext.eval
        XCTAssertEqual(off.logits(x, context: &t3).scalars, off.logits(x, context: &e3).scalars)
    }

    // MARK: SSF

    func testSSFParity() throws {
        let m = try make("ssf")
        try Golden.check(m, dir: "ssf", weights: "ssf.safetensors", io: "ssf_io.safetensors")
        XCTAssertEqual(m.trainable.map(\.count).reduce(0, +), try meta("ssf")["trainable_count"] as! Int)
    }

    /// AdamW groups as optim_factory.py builds them: every SSF factor and head.bias without decay, head.weight with it.
    func testSSFParameterGroupsMatchOfficial() throws {
        let m = try make("ssf")
        let groups = m.parameterGroups(lr: 1e-3, weightDecay: 0.05)
        let official = try meta("ssf")["adamw_groups"] as! [[String: Any]]
        for g in official {
            let wd = (g["weight_decay"] as! NSNumber).floatValue
            let names = Set(g["params"] as! [String])
            let ours = groups.first { $0.weightDecay == wd }
            XCTAssertEqual(Set(ours?.params.map(\.name) ?? []), names, "weight decay \(wd)")
        }
    }

    func testSSFViTB16Count() throws {
        let counts = try meta("ssf")["vitb16_trainable"] as! [String: Int]
        let split = try makeMethod("ssf", setup: MethodSetup(backbone: .vit(ViT(ViTConfig(imageSize: 32, patchSize: 16, dim: 768, depth: 12, heads: 12, mlpDim: 3072), seed: 0)),
                                                             numClasses: 10, rng: RandomStream(0))).trainableSplit
        XCTAssertEqual(split.other, counts["ssf"])
        XCTAssertEqual(split.head, counts["head_10_classes"])
    }

    /// A wrong placement must be caught: with the shift after fc1 zeroed the logits move.
    func testSSFParityCanFail() throws {
        let m = try make("ssf")
        let ck = try loadCheckpoint(Golden.root.appendingPathComponent("ssf/ssf.safetensors"))
        _ = try Probe.loadOfficialWeights(m, from: ck)
        m.parameters.first { $0.name == "blocks.1.mlp.ssf_shift_1" }!.value.fill(0)
        let g = try loadCheckpoint(Golden.root.appendingPathComponent("ssf/ssf_io.safetensors"))
        let r = try Probe.run(m, images: try Golden.tensor(g, "x"), labels: try g.tensor("labels").floats().map { Int($0) })
        XCTAssertGreaterThan(Golden.relError(r.logits.scalars, try Golden.tensor(g, "logits").scalars), 1e-4)
    }

    /// Drop path acts in training only and is a function of the forward context's stream.
    func testSSFDropPathOnlyInTraining() throws {
        let m = try make("ssf", ["drop_path": .double(0.5)])
        var r = RandomStream(5)
        let x = Tensor((0..<(2 * 3 * 32 * 32)).map { _ in r.normal() }, shape: [2, 3, 32, 32])
        var e1 = ForwardContext.eval, e2 = ForwardContext.eval
        XCTAssertEqual(m.logits(x, context: &e1).scalars, m.logits(x, context: &e2).scalars)
        var t1 = ForwardContext(training: true, rng: RandomStream(1)), t2 = ForwardContext(training: true, rng: RandomStream(1))
        var e3 = ForwardContext.eval
        let a = m.logits(x, context: &t1).scalars, b = m.logits(x, context: &t2).scalars
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, m.logits(x, context: &e3).scalars)
        XCTAssertThrowsError(try make("ssf", ["drop_path": .double(1.5)]))
    }

    // MARK: Recipe plumbing the two methods' recipes need

    /// timm CosineLRScheduler stepped per epoch (SSF: step(epoch + 1), cooldown at min-lr; V-PETL Bench: step(epoch), lag 1).
    func testTimmCosineEpochSchedule() throws {
        let spec = ScheduleSpec(kind: "timm-cosine-epoch", warmupEpochs: 10, minLR: 1e-8, warmupLRInit: 1e-7,
                                cooldownEpochs: 10, epochLag: nil)
        let (s, perStep) = try spec.resolve(epochs: 110, itersPerEpoch: 7)
        XCTAssertFalse(perStep)
        let base = 5e-3
        XCTAssertEqual(s.lr(at: 0, base: base), 1e-7, accuracy: 1e-15)
        XCTAssertEqual(s.lr(at: 5, base: base), 1e-7 + 5 * (base - 1e-7) / 10, accuracy: 1e-12)
        XCTAssertEqual(s.lr(at: 50, base: base), 1e-8 + 0.5 * (base - 1e-8) * (1 + cos(Double.pi * 50 / 100)), accuracy: 1e-12)
        for e in 100..<110 { XCTAssertEqual(s.lr(at: e, base: base), 1e-8) }
        var lagged = spec
        lagged.cooldownEpochs = nil; lagged.epochLag = 1
        let (l, _) = try lagged.resolve(epochs: 100, itersPerEpoch: 7)
        XCTAssertEqual(l.lr(at: 0, base: base), l.lr(at: 1, base: base))
        XCTAssertEqual(l.lr(at: 11, base: base), s.lr(at: 10, base: base), accuracy: 1e-15)
        lagged.cooldownEpochs = 100
        XCTAssertThrowsError(try lagged.resolve(epochs: 100, itersPerEpoch: 7))
    }

    /// Label smoothing without mixing: soft targets (1 − ε)·one-hot + ε / C give timm's LabelSmoothingCrossEntropy.
    func testSmoothedTargetsGiveLabelSmoothingLoss() {
        let t = Trainer.smoothedTargets([2, 0], classes: 4, epsilon: 0.1)
        XCTAssertEqual(t.shape, [2, 4])
        XCTAssertEqual(t.scalars[2], 0.925, accuracy: 1e-6)
        XCTAssertEqual(t.scalars[4], 0.925, accuracy: 1e-6)
        XCTAssertEqual(t.scalars[1], 0.025, accuracy: 1e-6)
        let logits = Tensor([1, 2, 3, 0.5, -1, 0, 2, 1], shape: [2, 4])
        let soft = Tensor.softTargetCrossEntropy(logits, t).item
        // (1 − ε)·NLL + ε·mean(−log p), computed by hand.
        var expected: Float = 0
        for (row, y) in [(0, 2), (1, 0)] {
            let z = Array(logits.scalars[(row * 4)..<(row * 4 + 4)])
            let lse = Foundation.log(z.map { Foundation.exp($0) }.reduce(0, +))
            let logp = z.map { $0 - lse }
            expected += (0.9 * -logp[y] + 0.1 * -logp.reduce(0, +) / 4) / 2
        }
        XCTAssertEqual(soft, expected, accuracy: 1e-5)
    }

    /// Every recipe of the two methods loads and builds its method on the mini ViT.
    func testRecipesLoadAndBuild() throws {
        let fm = FileManager.default
        var files: [URL] = []
        for bench in ["vtab1k", "fgvc"] {
            for m in ["adaptformer", "ssf"] {
                let dir = Golden.recipes.appendingPathComponent("\(bench)/\(m)")
                let names = try fm.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".yaml") }
                XCTAssertEqual(names.count, bench == "vtab1k" ? 19 : 5, dir.path)
                files += names.map { dir.appendingPathComponent($0) }
            }
        }
        files += ["hta/adaptformer.yaml", "mini/adaptformer.yaml", "mini/ssf.yaml"].map { Golden.recipes.appendingPathComponent($0) }
        for f in files {
            let r = try Recipe.load(f)
            _ = try Pipeline.make(r.pipeline)
            _ = try makeMethod(r.method, setup: MethodSetup(backbone: .vit(ViT(Self.tiny, seed: 1)), numClasses: 3, options: r.options, rng: RandomStream(0)))
        }
    }
}

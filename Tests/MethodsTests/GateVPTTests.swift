import XCTest
import Backbones
@testable import Bench
import Checkpoints
import Engine
import Methods
import Random

/// GateVPT against ryongithub/GatedPromptTuning's own SSLViT (Tests/Fixtures/methods/gatevpt/make_gatevpt_golden.py):
/// same weights in official names → same logits, loss, trainable set and gradients, on the MAE and MoCo v3 encoders.
final class GateVPTTests: XCTestCase {
    override func setUp() { Threads.set(1) }

    /// The golden's options: P 3, gates on the first depth − 1 blocks, one temperature per block.
    static let golden: MethodOptions = ["NUM_TOKENS": .int(3), "GATE_NUM": .int(2), "TEMP_NUM": .int(3), "GATE_INIT": .double(5)]

    func make(_ options: MethodOptions, backboneId: String? = nil) throws -> GateVPT {
        try makeMethod("gatevpt", setup: MethodSetup(backbone: .vit(ViT(Golden.tinyViT, seed: 7)), numClasses: 5, options: options,
                                                     rng: RandomStream(3), backboneId: backboneId)) as! GateVPT
    }

    func meta() throws -> [String: Any] {
        let data = try Data(contentsOf: Golden.root.appendingPathComponent("gatevpt/meta.json"))
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    func check(_ m: GateVPT, case name: String) throws {
        try Golden.check(m, dir: "gatevpt", weights: "\(name).safetensors", io: "\(name)_io.safetensors")
        let cases = try meta()["cases"] as! [String: [String: Any]]
        let split = m.trainableSplit
        XCTAssertEqual(split.prompts + split.head + split.other, cases[name]!["trainable_count"] as? Int, "\(name): trainable count")
    }

    func testMAE() throws {
        var o = Self.golden; o["FEATURE"] = .string("mae_vitb16")
        try check(try make(o), case: "mae")
    }

    func testMoCo() throws {
        var o = Self.golden; o["FEATURE"] = .string("mocov3_vitb16")
        try check(try make(o), case: "moco")
    }

    func testMoCoFixedTemperature() throws {
        var o = Self.golden; o["FEATURE"] = .string("mocov3_vitb16"); o["TEMP_LEARN"] = .bool(false)
        try check(try make(o), case: "moco_fixed_temp")
    }

    /// The family comes from the backbone id when FEATURE is absent; the wrong family's pooling fails parity.
    func testFamilyFromBackboneIdAndParityCanFail() throws {
        XCTAssertTrue(try make(Self.golden, backboneId: "vit-b16-mae").meanPool)
        XCTAssertFalse(try make(Self.golden, backboneId: "vit-b16-mocov3").meanPool)
        XCTAssertThrowsError(try make(Self.golden, backboneId: "vit-b16-in21k"))
        XCTAssertThrowsError(try make(Self.golden))
        var o = Self.golden; o["FEATURE"] = .string("mocov3_vitb16")
        let wrong = try make(o)
        _ = try Probe.loadOfficialWeights(wrong, from: try loadCheckpoint(Golden.root.appendingPathComponent("gatevpt/mae.safetensors")))
        let g = try loadCheckpoint(Golden.root.appendingPathComponent("gatevpt/mae_io.safetensors"))
        let r = try Probe.run(wrong, images: try Golden.tensor(g, "x"), labels: try g.tensor("labels").floats().map { Int($0) })
        XCTAssertGreaterThan(Golden.relError(r.logits.scalars, try Golden.tensor(g, "logits").scalars), 1e-2)
    }

    /// Official init (vit_mae.py:36-64): gate logits −GATE_INIT, temperatures 1, prompts in ±√(6 / (3·16² + 768));
    /// ViT-B/16 count: 100 prompts · 768 + 11 gates + 12 temperatures + head.
    func testInitAndViTB16Count() throws {
        let cfg = ViTConfig(imageSize: 32, patchSize: 16, dim: 768, depth: 12, heads: 12, mlpDim: 8)
        let m = try makeMethod("gatevpt", setup: MethodSetup(backbone: .vit(ViT(cfg, seed: 0)), numClasses: 200,
                                                             options: ["NUM_TOKENS": .int(100), "GATE_INIT": .double(5)],
                                                             rng: RandomStream(0), backboneId: "vit-b16-mae")) as! GateVPT
        XCTAssertEqual(m.gateLogit?.value.scalars, [Float](repeating: -5, count: 11))
        XCTAssertEqual(m.temp?.value.scalars, [Float](repeating: 1, count: 12))
        let bound = Float((6.0 / Double(3 * 256 + 768)).squareRoot())
        XCTAssertLessThanOrEqual(m.prompt.value.scalars.map(abs).max()!, bound)
        XCTAssertGreaterThan(m.prompt.value.scalars.map(abs).max()!, 0.9 * bound)
        let s = m.trainableSplit
        XCTAssertEqual(s.prompts, 100 * 768 + 11 + 12)
        XCTAssertEqual(s.head, 768 * 200 + 200)
        XCTAssertEqual(s.other, 0)
        XCTAssertThrowsError(try makeMethod("gatevpt", setup: MethodSetup(backbone: .vit(ViT(cfg, seed: 0)), numClasses: 2,
                                                                          options: ["TEMP_NUM": .int(11)], rng: RandomStream(0), backboneId: "vit-b16-mae")))
        XCTAssertThrowsError(try makeMethod("gatevpt", setup: MethodSetup(backbone: .vit(ViT(cfg, seed: 0)), numClasses: 2,
                                                                          options: ["DEEP": .bool(true)], rng: RandomStream(0), backboneId: "vit-b16-mae")))
    }

    /// The first 5 SGD steps against the official Trainer (make_optimizer, WarmupCosineSchedule, forward_one_batch) on
    /// the same weights and batches, and the stored temperatures after them (clamped before each forward, not after).
    func testFirstLossesMatchTheOfficialTrainer() throws {
        let meta = try FirstLossesTests.json("gatevpt", "meta.json")
        let f = meta["first_losses"] as! [String: Any]
        func num(_ k: String) -> Double { (f[k] as! NSNumber).doubleValue }
        for (name, feature) in [("mae", "mae_vitb16"), ("moco", "mocov3_vitb16")] {
            var o = Self.golden; o["FEATURE"] = .string(feature)
            let m = try make(o)
            _ = try Probe.loadOfficialWeights(m, from: try loadCheckpoint(Golden.root.appendingPathComponent("gatevpt/\(name).safetensors")))
            let c = (f["cases"] as! [String: Any])[name] as! [String: Any]
            let expected = (c["losses"] as! [NSNumber]).map(\.floatValue)
            let r = try FirstLossesTests.replay(m, dir: "gatevpt", optimizer: OptimizerConfig(kind: .sgd, momentum: Float(num("momentum"))),
                                                lr: num("base_lr"), weightDecay: num("weight_decay"),
                                                schedule: ScheduleSpec(kind: "warmup-cosine-epoch", warmupEpochs: Int(num("warmup_epoch"))),
                                                epochs: Int(num("total_epoch")), itersPerEpoch: Int(num("iters_per_epoch")), steps: expected.count)
            for (a, e) in zip(r.lrs, (c["lrs"] as! [NSNumber]).map(\.doubleValue)) { XCTAssertEqual(a, e, accuracy: 1e-7, "lr") }
            FirstLossesTests.compare(r.losses, expected, "gatevpt [\(name)]")
            let temps = (c["temps"] as! [NSNumber]).map(\.floatValue)
            XCTAssertLessThan(Golden.relError(m.temp!.value.scalars, temps), 1e-3, "\(name): temperatures after 5 steps")
        }
    }

    /// The forward clamps the stored temperatures into [TEMP_MIN, TEMP_MAX] (reinit_temp), as the official code does.
    func testTemperaturesAreClampedInPlace() throws {
        var o = Self.golden; o["FEATURE"] = .string("mocov3_vitb16")
        let m = try make(o)
        m.temp!.value.data[0] = 50; m.temp!.value.data[1] = 0.001
        var ctx = ForwardContext.eval
        _ = m.logits(Tensor(zeros: [1, 3, 32, 32]), context: &ctx)
        XCTAssertEqual(Array(m.temp!.value.scalars.prefix(2)), [10, 0.01])
    }
}

import XCTest
import Backbones
@testable import Bench
import Checkpoints
import Engine
import Methods
import Random

/// FacT, RepAdapter and Hydra against their authors' modules (Tests/Fixtures/methods/{fact,repadapter,hydra}/
/// make_*_golden.py): same weights in official names → same logits, loss, trainable set and gradients; trainable
/// counts as the official code builds them on ViT-B/16.
final class FacTRepAdapterHydraTests: XCTestCase {
    override func setUp() { Threads.set(1) }

    /// FacT's golden ViT: image 32, patch 8, dim 32, depth 3, heads 4, MLP ratio 4 (FacT reshapes fc1's output as 4 × D).
    static let tiny4 = ViTConfig(imageSize: 32, patchSize: 8, dim: 32, depth: 3, heads: 4, mlpDim: 128)

    func make(_ id: String, _ config: ViTConfig, _ options: MethodOptions = [:]) throws -> PromptMethod {
        try makeMethod(id, setup: MethodSetup(backbone: .vit(ViT(config, seed: 7)), numClasses: 5, options: options, rng: RandomStream(3)))
    }

    func meta(_ dir: String) throws -> [String: Any] {
        let url = Golden.root.appendingPathComponent(dir).appendingPathComponent("meta.json")
        return try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
    }

    func images(_ n: Int, seed: UInt64 = 9) -> Tensor {
        var r = RandomStream(seed)
        return Tensor((0..<(n * 3 * 32 * 32)).map { _ in r.normal() }, shape: [n, 3, 32, 32])
    }

    /// A ViT-B/16-shaped backbone on tiny images (the counts do not depend on the image size).
    func vitB(_ id: String, _ options: MethodOptions) throws -> PromptMethod {
        try makeMethod(id, setup: MethodSetup(backbone: .vit(ViT(ViTConfig(imageSize: 32, patchSize: 16, dim: 768, depth: 12, heads: 12, mlpDim: 3072), seed: 0)),
                                              numClasses: 10, options: options, rng: RandomStream(0)))
    }

    // MARK: FacT

    func testFacTParity() throws {
        let m = try make("fact", Self.tiny4, ["dim": .int(4), "scale": .double(0.7)])
        try Golden.check(m, dir: "fact", weights: "fact.safetensors", io: "fact_io.safetensors")
        XCTAssertEqual(m.trainable.map(\.count).reduce(0, +), try meta("fact")["trainable_count"] as! Int)
    }

    /// A wrong scale must be caught by the same golden.
    func testFacTParityCanFail() throws {
        let m = try make("fact", Self.tiny4, ["dim": .int(4), "scale": .double(0.5)])
        _ = try Probe.loadOfficialWeights(m, from: try loadCheckpoint(Golden.root.appendingPathComponent("fact/fact.safetensors")))
        let g = try loadCheckpoint(Golden.root.appendingPathComponent("fact/fact_io.safetensors"))
        let r = try Probe.run(m, images: try Golden.tensor(g, "x"), labels: try g.tensor("labels").floats().map { Int($0) })
        XCTAssertGreaterThan(Golden.relError(r.logits.scalars, try Golden.tensor(g, "logits").scalars), 1e-3)
    }

    /// Official init: FacTv zero, so the model starts as the frozen backbone + head; trainable counts on ViT-B/16 as
    /// the official set_FacT builds them (meta.json) for the configs' ranks 16 and 32.
    func testFacTInitAndViTB16Counts() throws {
        let vit = ViT(Self.tiny4, seed: 7)
        let m = try makeMethod("fact", setup: MethodSetup(backbone: .vit(vit), numClasses: 5, options: ["dim": .int(4)], rng: RandomStream(3))) as! FacT
        XCTAssertTrue(m.v.value.scalars.allSatisfy { $0 == 0 })
        XCTAssertTrue(m.u.value.scalars.contains { $0 != 0 } && m.c.value.scalars.contains { $0 != 0 } && m.p.value.scalars.contains { $0 != 0 })
        let x = images(2)
        var c1 = ForwardContext.eval, c2 = ForwardContext.eval
        let plain = m.head(vit.features(x, context: &c1)).scalars
        XCTAssertEqual(Golden.relError(m.logits(x, context: &c2).scalars, plain), 0, accuracy: 1e-6)
        let counts = try meta("fact")["vitb16_trainable"] as! [String: [String: Int]]
        for r in [16, 32] {
            let big = try vitB("fact", ["dim": .int(r)]).trainableSplit
            XCTAssertEqual(big.other, counts["\(r)"]!["fact"], "rank \(r)")
            XCTAssertEqual(big.head, counts["\(r)"]!["head_10_classes"], "rank \(r)")
        }
    }

    /// The factor dropout (p 0.1) and drop-path act in training only, drawn from the context's stream.
    func testFacTDropoutOnlyInTraining() throws {
        let m = try make("fact", Self.tiny4, ["dim": .int(4), "drop_path": .double(0)]) as! FacT
        m.v.value.fill(0.05)
        let x = images(2)
        var e1 = ForwardContext.eval, e2 = ForwardContext.eval
        let eval = m.logits(x, context: &e1).scalars
        XCTAssertEqual(eval, m.logits(x, context: &e2).scalars)
        var t1 = ForwardContext(training: true, rng: RandomStream(1)), t2 = ForwardContext(training: true, rng: RandomStream(1))
        let a = m.logits(x, context: &t1).scalars
        XCTAssertEqual(a, m.logits(x, context: &t2).scalars)
        XCTAssertNotEqual(a, eval)
    }

    func testFacTBadOptionsNameTheProblem() {
        XCTAssertThrowsError(try make("fact", Self.tiny4, ["rank": .int(8)])) { XCTAssertTrue("\($0)".contains("rank")) }
        XCTAssertThrowsError(try make("fact", Self.tiny4, ["dim": .int(0)])) { XCTAssertTrue("\($0)".contains("dim")) }
        // A ViT whose MLP is not 4 × D cannot run FacT: training and probing refuse it with the reason.
        let narrow = try? make("fact", Golden.tinyViT)
        XCTAssertTrue(narrow?.notReady?.contains("4 ×") ?? false)
        XCTAssertThrowsError(try narrow?.prepare(trainingData: { _ in { nil } })) { XCTAssertTrue("\($0)".contains("4 ×")) }
    }

    // MARK: RepAdapter

    func testRepAdapterParity() throws {
        let cases = try meta("repadapter")["cases"] as! [String: [String: Any]]
        for method in ["repblock", "repattn"] {
            let m = try make("repadapter", Golden.tinyViT, ["method": .string(method), "dim": .int(4), "scale": .double(0.7)])
            try Golden.check(m, dir: "repadapter", weights: "\(method).safetensors", io: "\(method)_io.safetensors")
            XCTAssertEqual(m.trainable.map(\.count).reduce(0, +), cases[method]!["trainable_count"] as! Int, method)
        }
    }

    /// Re-parameterisation: after `merge()` the plain ViT + head gives the unmerged eval logits and the official
    /// merged model's (set_RepWeight) logits.
    func testRepAdapterMergeKeepsEvalLogits() throws {
        for method in ["repblock", "repattn"] {
            let m = try make("repadapter", Golden.tinyViT, ["method": .string(method), "dim": .int(4), "scale": .double(0.7)]) as! RepAdapter
            _ = try Probe.loadOfficialWeights(m, from: try loadCheckpoint(Golden.root.appendingPathComponent("repadapter/\(method).safetensors")))
            let g = try loadCheckpoint(Golden.root.appendingPathComponent("repadapter/\(method)_io.safetensors"))
            let x = try Golden.tensor(g, "x")
            var c1 = ForwardContext.eval, c2 = ForwardContext.eval
            let before = withoutGrad { m.logits(x, context: &c1) }.scalars
            m.merge()
            XCTAssertTrue(m.merged)
            let after = withoutGrad { m.logits(x, context: &c2) }.scalars
            XCTAssertLessThan(Golden.relError(after, before), 1e-5, method)
            XCTAssertLessThan(Golden.relError(after, try Golden.tensor(g, "merged_logits").scalars), 1e-4, method)
            // The merge changed the backbone (qkv), so the equality is not the identity adapter's.
            let plain = try make("repadapter", Golden.tinyViT, ["method": .string(method), "dim": .int(4), "scale": .double(0.7)])
            _ = try Probe.loadOfficialWeights(plain, from: try loadCheckpoint(Golden.root.appendingPathComponent("repadapter/\(method).safetensors")))
            XCTAssertNotEqual((plain as! RepAdapter).vit.blocks[0].qkv.weight.value.scalars, m.vit.blocks[0].qkv.weight.value.scalars)
        }
    }

    /// The same golden catches a wrong scale (logits) and a wrong conv_B grouping (a shape error naming the tensor).
    func testRepAdapterParityCanFail() throws {
        let file = Golden.root.appendingPathComponent("repadapter/repblock.safetensors")
        let m = try make("repadapter", Golden.tinyViT, ["dim": .int(4), "scale": .double(0.5)])
        _ = try Probe.loadOfficialWeights(m, from: try loadCheckpoint(file))
        let g = try loadCheckpoint(Golden.root.appendingPathComponent("repadapter/repblock_io.safetensors"))
        let r = try Probe.run(m, images: try Golden.tensor(g, "x"), labels: try g.tensor("labels").floats().map { Int($0) })
        XCTAssertGreaterThan(Golden.relError(r.logits.scalars, try Golden.tensor(g, "logits").scalars), 1e-3)
        let ungrouped = try make("repadapter", Golden.tinyViT, ["dim": .int(4), "scale": .double(0.7), "groups": .int(1)])
        XCTAssertThrowsError(try Probe.loadOfficialWeights(ungrouped, from: try loadCheckpoint(file))) { XCTAssertTrue("\($0)".contains("conv_B.weight")) }
    }

    /// Official init (conv_B zero: the model starts as the frozen backbone + head) and ViT-B/16 counts: 239,808 adapter
    /// tensors' entries for repblock dim 8 (the table's 0.22 M counts the weights only: 221,184).
    func testRepAdapterInitAndViTB16Counts() throws {
        let vit = ViT(Golden.tinyViT, seed: 7)
        let m = try makeMethod("repadapter", setup: MethodSetup(backbone: .vit(vit), numClasses: 5, options: ["dim": .int(4)], rng: RandomStream(3))) as! RepAdapter
        for p in m.trainable where p.name.contains("conv_B") || p.name.hasSuffix("conv_A.bias") { XCTAssertTrue(p.value.scalars.allSatisfy { $0 == 0 }, p.name) }
        let x = images(2)
        var c1 = ForwardContext.eval, c2 = ForwardContext.eval
        XCTAssertEqual(Golden.relError(m.logits(x, context: &c2).scalars, m.head(vit.features(x, context: &c1)).scalars), 0, accuracy: 1e-6)
        let counts = try meta("repadapter")["vitb16_trainable"] as! [String: [String: Int]]
        for method in ["repblock", "repattn"] {
            let big = try vitB("repadapter", ["method": .string(method), "dim": .int(8)])
            XCTAssertEqual(big.trainableSplit.other, counts[method]!["adapters"], method)
            XCTAssertEqual(big.trainable.filter { $0.name.hasSuffix("weight") && !$0.name.hasPrefix("head") }.map(\.count).reduce(0, +), counts[method]!["adapter_weights"], method)
            XCTAssertEqual(big.trainableSplit.head, counts[method]!["head_10_classes"], method)
        }
    }

    func testRepAdapterBadOptionsNameTheProblem() {
        XCTAssertThrowsError(try make("repadapter", Golden.tinyViT, ["method": .string("repmlp")])) { XCTAssertTrue("\($0)".contains("repmlp")) }
        XCTAssertThrowsError(try make("repadapter", Golden.tinyViT, ["dim": .int(3)])) { XCTAssertTrue("\($0)".contains("groups")) }
        XCTAssertThrowsError(try make("repadapter", Golden.tinyViT, ["hidden_dim": .int(8)])) { XCTAssertTrue("\($0)".contains("hidden_dim")) }
    }
    // MARK: Hydra

    func testHydraParity() throws {
        let m = try make("hydra", Golden.tinyViT, ["dim": .int(2), "scale": .double(0.7), "dropout": .double(0.2)])
        try Golden.check(m, dir: "hydra", weights: "hydra.safetensors", io: "hydra_io.safetensors")
        XCTAssertEqual(m.trainable.map(\.count).reduce(0, +), try meta("hydra")["trainable_count"] as! Int)
    }

    func testHydraParityCanFail() throws {
        let m = try make("hydra", Golden.tinyViT, ["dim": .int(2), "scale": .double(0.5)])
        _ = try Probe.loadOfficialWeights(m, from: try loadCheckpoint(Golden.root.appendingPathComponent("hydra/hydra.safetensors")))
        let g = try loadCheckpoint(Golden.root.appendingPathComponent("hydra/hydra_io.safetensors"))
        let r = try Probe.run(m, images: try Golden.tensor(g, "x"), labels: try g.tensor("labels").floats().map { Int($0) })
        XCTAssertGreaterThan(Golden.relError(r.logits.scalars, try Golden.tensor(g, "logits").scalars), 1e-3)
    }

    /// Re-parameterisation: after `merge()` (both branches folded into proj and fc2) the plain ViT + head gives the
    /// official unmerged eval logits.
    func testHydraMergeKeepsEvalLogits() throws {
        let m = try make("hydra", Golden.tinyViT, ["dim": .int(2), "scale": .double(0.7)]) as! Hydra
        _ = try Probe.loadOfficialWeights(m, from: try loadCheckpoint(Golden.root.appendingPathComponent("hydra/hydra.safetensors")))
        let g = try loadCheckpoint(Golden.root.appendingPathComponent("hydra/hydra_io.safetensors"))
        let x = try Golden.tensor(g, "x")
        let before = m.vit.blocks[1].fc2.weight.value.scalars
        m.merge()
        XCTAssertTrue(m.merged)
        XCTAssertNotEqual(before, m.vit.blocks[1].fc2.weight.value.scalars)
        var c = ForwardContext.eval
        let after = withoutGrad { m.logits(x, context: &c) }.scalars
        XCTAssertLessThan(Golden.relError(after, try Golden.tensor(g, "logits").scalars), 1e-4)
    }

    /// Official init (up_proj zero: the model starts as the frozen backbone + head); ViT-B/16 count as set_hydra builds it.
    func testHydraInitAndViTB16Count() throws {
        let vit = ViT(Golden.tinyViT, seed: 7)
        let m = try makeMethod("hydra", setup: MethodSetup(backbone: .vit(vit), numClasses: 5, options: [:], rng: RandomStream(3))) as! Hydra
        for p in m.trainable where p.name.contains("up_proj") || p.name.hasSuffix("down_proj.bias") { XCTAssertTrue(p.value.scalars.allSatisfy { $0 == 0 }, p.name) }
        let x = images(2)
        var c1 = ForwardContext.eval, c2 = ForwardContext.eval
        XCTAssertEqual(Golden.relError(m.logits(x, context: &c2).scalars, m.head(vit.features(x, context: &c1)).scalars), 0, accuracy: 1e-6)
        let counts = try meta("hydra")["vitb16_trainable"] as! [String: [String: Int]]
        let big = try vitB("hydra", ["dim": .int(2)]).trainableSplit
        XCTAssertEqual(big.other, counts["2"]!["hydra"])
        XCTAssertEqual(big.head, counts["2"]!["head_10_classes"])
    }

    /// The branch dropout acts in training only, drawn from the context's stream.
    func testHydraDropoutOnlyInTraining() throws {
        let m = try make("hydra", Golden.tinyViT, ["drop_path": .double(0)])
        for p in m.trainable where p.name.contains("up_proj") { p.value.fill(0.05) }
        let x = images(2)
        var e1 = ForwardContext.eval
        let eval = m.logits(x, context: &e1).scalars
        var t1 = ForwardContext(training: true, rng: RandomStream(1)), t2 = ForwardContext(training: true, rng: RandomStream(1))
        let a = m.logits(x, context: &t1).scalars
        XCTAssertEqual(a, m.logits(x, context: &t2).scalars)
        XCTAssertNotEqual(a, eval)
        let off = try make("hydra", Golden.tinyViT, ["drop_path": .double(0), "dropout": .double(0)])
        for p in off.trainable where p.name.contains("up_proj") { p.value.fill(0.05) }
        var t3 = ForwardContext(training: true, rng: RandomStream(1)), e3 = ForwardContext.eval
        XCTAssertEqual(off.logits(x, context: &t3).scalars, off.logits(x, context: &e3).scalars)
    }

    func testHydraBadOptionsNameTheProblem() {
        XCTAssertThrowsError(try make("hydra", Golden.tinyViT, ["rank": .int(2)])) { XCTAssertTrue("\($0)".contains("rank")) }
        XCTAssertThrowsError(try make("hydra", Golden.tinyViT, ["dropout": .double(1.5)])) { XCTAssertTrue("\($0)".contains("dropout")) }
    }
    // MARK: Recipes

    /// Every recipe of the three methods loads, resolves its schedule and builds the method with its options; the VTAB-1k
    /// recipes carry the per-task values of the authors' configs (spot checks) and Hydra keeps t_initial 500 over 100 epochs.
    func testRecipesLoadAndBuild() throws {
        for (method, count) in [("fact", 19 + 1), ("repadapter", 19 + 1), ("hydra", 19 + 1)] {
            let files = FileManager.default.enumerator(at: Golden.recipes, includingPropertiesForKeys: nil)!
                .compactMap { $0 as? URL }.filter { $0.pathExtension == "yaml" }
                .filter { $0.deletingPathExtension().lastPathComponent == method || $0.deletingLastPathComponent().lastPathComponent == method }
            XCTAssertEqual(files.count, count, method)
            for f in files {
                let r = try Recipe.load(f)
                XCTAssertEqual(r.method, method, f.path)
                _ = try r.schedule.resolve(epochs: r.epochs, itersPerEpoch: 10)
                let mini = f.path.contains("/mini/")
                let cfg = mini ? ViTConfig(imageSize: 32, patchSize: 8, dim: 96, depth: 2, heads: 2, mlpDim: 384)
                               : ViTConfig(imageSize: 224, patchSize: 16, dim: 64, depth: 2, heads: 2, mlpDim: 256)
                _ = try makeMethod(r.method, setup: MethodSetup(backbone: .vit(ViT(cfg)), numClasses: 3, options: r.options, rng: RandomStream(0)))
            }
        }
        let dtd = try Recipe.load(Golden.recipes.appendingPathComponent("vtab1k/fact/dtd.yaml"))
        XCTAssertEqual(dtd.options["dim"], .int(16)); XCTAssertEqual(dtd.options["scale"], .double(0.01))  // configs/tk/dtd.yaml
        let svhn = try Recipe.load(Golden.recipes.appendingPathComponent("vtab1k/repadapter/svhn.yaml"))
        XCTAssertEqual(svhn.options["scale"], .int(10))  // configs/repblock/svhn.yaml
        let azi = try Recipe.load(Golden.recipes.appendingPathComponent("vtab1k/hydra/smallnorb_azi.yaml"))
        XCTAssertEqual(azi.lr, 0.005, accuracy: 1e-12); XCTAssertEqual(azi.batchSize, 64)
        let (s, _) = try azi.schedule.resolve(epochs: azi.epochs, itersPerEpoch: 10)
        let inner = Schedule.timmCosine(tInitial: 500, warmupT: 10, warmupLRInit: 1e-6, lrMin: 1e-5)
        for e in [0, 5, 11, 50, 99] { XCTAssertEqual(s.lr(at: e, base: 0.005), inner.lr(at: max(0, e - 1), base: 0.005), accuracy: 1e-15) }
        XCTAssertGreaterThan(s.lr(at: 99, base: 0.005), 0.9 * 0.005)
    }
}

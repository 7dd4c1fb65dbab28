import XCTest
import Backbones
@testable import Bench
import Data
import Engine
import Methods
import Random

/// LoRA (NOAH and V-PETL Bench variants) and VP against the official modules
/// (Tests/Fixtures/methods/lora/make_lora_golden.py, Tests/Fixtures/methods/vp/make_vp_golden.py).
final class LoRAVPTests: XCTestCase {
    override func setUp() { Threads.set(1) }

    func make(_ id: String, _ options: MethodOptions = [:], vit: ViTConfig = Golden.tinyViT) throws -> PromptMethod {
        try makeMethod(id, setup: MethodSetup(backbone: .vit(ViT(vit, seed: 7)), numClasses: 5, options: options, rng: RandomStream(3)))
    }

    func officialCount(_ dir: String, _ key: String) throws -> Int {
        let url = Golden.root.appendingPathComponent(dir).appendingPathComponent("meta.json")
        let meta = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        let entry = key.isEmpty ? meta : meta[key] as! [String: Any]
        return (entry["trainable"] as! NSNumber).intValue
    }

    func testLoRANOAHParity() throws {
        let m = try make("lora", ["LORA_DIM": .int(4)])
        try Golden.check(m, dir: "lora", weights: "noah.safetensors", io: "noah_io.safetensors")
        XCTAssertEqual(m.trainable.totalCount, try officialCount("lora", "noah"))
    }

    func testLoRAVPETLParity() throws {
        let m = try make("lora", ["LORA_DIM": .int(4), "VARIANT": .string("v-petl")])
        try Golden.check(m, dir: "lora", weights: "vpetl.safetensors", io: "vpetl_io.safetensors")
        XCTAssertEqual(m.trainable.totalCount, try officialCount("lora", "v-petl"))
    }

    func testVPParity() throws {
        let m = try make("vp", ["prompt_size": .int(3)])
        try Golden.check(m, dir: "vp", weights: "vp.safetensors", io: "vp_io.safetensors")
        XCTAssertEqual(m.trainable.totalCount, try officialCount("vp", ""))
    }

    /// The tables' 0.29 M: 4·D·r LoRA weights per block on ViT-B/16 at rank 8, for both variants (plus the head).
    func testViTBCountsMatchTheTable() throws {
        let b16 = ViTConfig(imageSize: 32, patchSize: 16, dim: 768, depth: 12, heads: 12, mlpDim: 8)
        for variant in ["noah", "v-petl"] {
            let m = try make("lora", ["VARIANT": .string(variant)], vit: b16)
            let split = m.trainableSplit
            XCTAssertEqual(split.other, 294_912, variant)
            XCTAssertEqual(split.head, 768 * 5 + 5, variant)
        }
        // VP at 224 px, prompt 30: 2·3·30·224 + 2·3·164·30 = 69 840 prompt values.
        let vp = try make("vp", vit: ViTConfig(imageSize: 224, patchSize: 16, dim: 32, depth: 1, heads: 4, mlpDim: 8))
        XCTAssertEqual(vp.trainableSplit.prompts, 69_840)
    }

    /// Default init reproduces the official re-draw (every LoRA matrix trunc_normal(.02), so B ≠ 0 and the model is
    /// not the frozen backbone at step 0). FIXED_INIT keeps the constructors' draws: NOAH's B = 0 (identity at start);
    /// V-PETL's constructor zeroes the v pair but draws B_q kaiming-uniform, so its q path is not zero even then.
    func testInitReDrawAndFixedInit() throws {
        let x = Tensor((0..<(2 * 3 * 32 * 32)).map { Float(($0 * 37) % 101) / 50 - 1 }, shape: [2, 3, 32, 32])
        func nonzero(_ p: Parameter) -> Bool { p.value.scalars.contains { $0 != 0 } }
        for variant in ["noah", "v-petl"] {
            let official = try make("lora", ["VARIANT": .string(variant)]) as! LoRA
            XCTAssertTrue(official.a.joined().allSatisfy(nonzero) && official.b.joined().allSatisfy(nonzero), variant)
            var c0 = ForwardContext.eval, c3 = ForwardContext.eval
            let plain = official.vit.features(x, context: &c0).scalars
            XCTAssertGreaterThan(Golden.relError(official.features(x, context: &c3).scalars, plain), 1e-4, variant)
        }
        let noah = try make("lora", ["FIXED_INIT": .bool(true)]) as! LoRA
        XCTAssertTrue(noah.b.joined().allSatisfy { !nonzero($0) } && noah.a.joined().allSatisfy(nonzero))
        var c1 = ForwardContext.eval, c2 = ForwardContext.eval
        XCTAssertLessThan(Golden.relError(noah.features(x, context: &c1).scalars, noah.vit.features(x, context: &c2).scalars), 1e-5)
        let vpetl = try make("lora", ["VARIANT": .string("v-petl"), "FIXED_INIT": .bool(true)]) as! LoRA
        for i in vpetl.a.indices {
            XCTAssertTrue(nonzero(vpetl.a[i][0]) && nonzero(vpetl.b[i][0]), "linear_a_q / linear_b_q drawn")
            XCTAssertFalse(nonzero(vpetl.a[i][1]) || nonzero(vpetl.b[i][1]), "linear_a_v / linear_b_v zero")
        }
    }

    func testBadOptionsNameTheProblem() {
        XCTAssertThrowsError(try make("lora", ["VARIANT": .string("hf")])) { XCTAssertTrue("\($0)".contains("noah or v-petl"), "\($0)") }
        XCTAssertThrowsError(try make("lora", ["RANK": .int(4)])) { XCTAssertTrue("\($0)".contains("RANK"), "\($0)") }
        XCTAssertThrowsError(try make("vp", ["prompt_size": .int(16)])) { XCTAssertTrue("\($0)".contains("prompt_size 16"), "\($0)") }
    }

    /// timm schedulers stepped after each epoch: epoch e trains at f(max(0, e − 1)).
    func testTimmCosineEpochIsReadOneEpochLate() throws {
        var spec = ScheduleSpec(kind: "timm-cosine-epoch", warmupEpochs: 10, minLR: 1e-5, warmupLRInit: 1e-6)
        spec.epochLag = 1  // what the LoRA recipes set: NOAH / V-PETL Bench call scheduler.step(epoch) after each epoch
        let (s, perStep) = try spec.resolve(epochs: 100, itersPerEpoch: 7)
        XCTAssertFalse(perStep)
        let inner = Schedule.timmCosine(tInitial: 100, warmupT: 10, warmupLRInit: 1e-6, lrMin: 1e-5)
        XCTAssertEqual(s.lr(at: 0, base: 1e-3), 1e-6, accuracy: 1e-15)
        XCTAssertEqual(s.lr(at: 1, base: 1e-3), 1e-6, accuracy: 1e-15)
        for e in 2..<100 { XCTAssertEqual(s.lr(at: e, base: 1e-3), inner.lr(at: e - 1, base: 1e-3), accuracy: 1e-15) }
    }

    /// Every LoRA / VP recipe loads, names its method, resolves its schedule and builds the method with its options.
    func testRecipesLoadAndBuild() throws {
        let files = FileManager.default.enumerator(at: Golden.recipes, includingPropertiesForKeys: nil)!
            .compactMap { $0 as? URL }.filter { $0.pathExtension == "yaml" }
            .filter { ["lora", "vp"].contains($0.deletingPathExtension().lastPathComponent) || $0.deletingLastPathComponent().lastPathComponent == "lora" }
        XCTAssertEqual(files.count, 1 + 5 + 1 + 2, files.map(\.path).description)  // vtab1k, fgvc ×5, hta, mini ×2
        for f in files {
            let r = try Recipe.load(f)
            XCTAssertTrue(f.path.contains("/\(r.method)"), f.path)
            _ = try r.schedule.resolve(epochs: r.epochs, itersPerEpoch: 10)
            _ = try Pipeline.make(r.pipeline, size: 224)
            let mini = f.path.contains("/mini/")
            let cfg = mini ? ViTConfig(imageSize: 32, patchSize: 8, dim: 96, depth: 2, heads: 2, mlpDim: 8)
                           : ViTConfig(imageSize: 224, patchSize: 16, dim: 64, depth: 2, heads: 2, mlpDim: 8)
            _ = try makeMethod(r.method, setup: MethodSetup(backbone: .vit(ViT(cfg)), numClasses: 3, options: r.options, rng: RandomStream(0)))
        }
    }
}

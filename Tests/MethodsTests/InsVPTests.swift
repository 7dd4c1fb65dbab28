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

    static let dir = MethodFixtures.root.appendingPathComponent("insvp")

    /// The golden script's generator: ((k·2654435761 + seed·40503 + 12345) mod 2³² / 2³² − 0.5)·scale, in float64.
    static func gen(_ seed: Int, _ count: Int, _ scale: Double) -> [Float] {
        (0..<count).map { k in
            let h = (UInt64(k) &* 2_654_435_761 &+ UInt64(seed * 40503 + 12345)) % (1 << 32)
            return Float((Double(h) / 4_294_967_296 - 0.5) * scale)
        }
    }

    func parity(simam: Bool, fixedTokenPrompt: Bool = false) throws -> ParityResult {
        let golden = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.dir.appendingPathComponent("golden.json"))) as! [String: Any]
        let cfg = ViTConfig(imageSize: 224, patchSize: 16, dim: 768, depth: 2, heads: 12, mlpDim: 192)
        let vit = ViT(cfg)
        let m = try makeMethod("insvp", setup: MethodSetup(backbone: .vit(vit), numClasses: 5, options: [
            "p_len": .int(2), "deep_layer": .int(2), "simam": .bool(simam), "FIXED_TOKENPROMPT": .bool(fixedTokenPrompt)], rng: RandomStream(1)))
        // Backbone from the generator specs (timm names under `backbone.`), method tensors from the fixture.
        var ck = try Safetensors.load(Self.dir.appendingPathComponent("weights.safetensors"))
        let byName = Dictionary(uniqueKeysWithValues: vit.parameters.map { ($0.name, $0) })
        for spec in golden["specs"] as! [[Any]] {
            let name = spec[0] as! String, seed = (spec[1] as! NSNumber).intValue
            let scale = (spec[2] as! NSNumber).doubleValue, offset = Float((spec[3] as! NSNumber).doubleValue)
            let p = try XCTUnwrap(byName[name], name)
            let v = Self.gen(seed, p.count, scale).map { $0 + offset }
            ck.tensors["backbone." + name] = StoredTensor(name: "backbone." + name, shape: p.shape, floats: v)
            ck.names.append("backbone." + name)
        }
        let x = Tensor(Self.gen(1000, 2 * 3 * 224 * 224, 4), shape: [2, 3, 224, 224])
        let tag = simam ? "simam" : "plain"
        let cases = golden["cases"] as! [String: [String: Any]]
        if fixedTokenPrompt { XCTAssertEqual(m.trainable.filter { $0.name.hasPrefix("TokenPrompt.") }.count, 6) }
        else { XCTAssertTrue(m.trainable.allSatisfy { !$0.name.hasPrefix("TokenPrompt.") }, "official: TokenPrompt is never optimised") }
        let r = try probeParity(m, weights: ck, images: x, labels: (golden["labels"] as! [NSNumber]).map(\.intValue),
                                logits: Self.dir.appendingPathComponent("logits_\(tag).npy"),
                                loss: Float((cases[tag]!["loss"] as! NSNumber).doubleValue),
                                grads: fixedTokenPrompt ? Self.dir.appendingPathComponent("grads_all_\(tag).safetensors").tmpCopy
                                                        : Self.dir.appendingPathComponent("grads_\(tag).safetensors"))
        XCTAssertTrue(r.report.unexpected.isEmpty, "\(r.report.unexpected)")
        return r
    }

    func testParityWithOfficialModel() throws { _ = try parity(simam: false) }
    func testParityWithOfficialModelSimAM() throws { _ = try parity(simam: true) }

    /// FIXED_TOKENPROMPT: the TokenPrompt convs become trainable; their gradients are the official ones (the
    /// official model computes them too, it just never steps them).
    func testFixedTokenPromptTrainsTokenPromptWithOfficialGradients() throws {
        let a = try Safetensors.load(Self.dir.appendingPathComponent("grads_plain.safetensors"))
        let b = try Safetensors.load(Self.dir.appendingPathComponent("grads_tokenprompt_plain.safetensors"))
        let merged = try (a.names + b.names).map { n in try (a.names.contains(n) ? a : b).tensor(n) }
        try Safetensors.encode(merged, file: "grads_all_plain.safetensors").write(to: Self.dir.appendingPathComponent("grads_all_plain.safetensors").tmpCopy)
        _ = try parity(simam: false, fixedTokenPrompt: true)
    }

    func testShortBuiltinTrainingBeatsChance() throws {
        var recipe = try Recipe.load(MethodFixtures.recipes.appendingPathComponent("mini/insvp.yaml"))
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

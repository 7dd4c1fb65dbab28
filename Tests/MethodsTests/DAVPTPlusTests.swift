import XCTest
import Backbones
import Bench
import Checkpoints
import Engine
import Methods
import Random

/// `da-vpt` (DA-VPT) and `da-vpt-plus` (DA-VPT + efficient bias tuning) built through the registry against the official
/// code under each learnable list (fixtures: Tests/Fixtures/methods/da_vpt_plus/make_davpt_plus_golden.py, and the ViT-B
/// flag set of Tests/Fixtures/methods/da_vpt).
final class DAVPTPlusTests: XCTestCase {
    static let methods = DAVPTTests.root.appendingPathComponent("Tests/Fixtures/methods")

    override func setUp() { Threads.set(1) }

    /// The tiny config both golden scripts share, without any efficient-bias flag.
    static let base: MethodOptions = DAVPTTests.goldenOptions.filter { !["train_cls", "norm_norm1", "bias_k", "bias_v", "bias_proj", "bias_fc2", "bias_norm2"].contains($0.key) }

    /// Max |a − e| relative to max |e|.
    func relError(_ a: [Float], _ e: [Float]) -> Float {
        XCTAssertEqual(a.count, e.count)
        var num: Float = 0, den: Float = 0
        for i in 0..<min(a.count, e.count) { num = max(num, abs(a[i] - e[i])); den = max(den, abs(e[i])) }
        return den == 0 ? num : num / den
    }

    struct Result { var logits: Float, loss: Float, worstGrad: Float, ours: Int, official: Int }

    /// Builds `id` with `options`, loads the official weights of `folder` and compares one probe batch.
    /// Weights and input: beside `folder` for the da_vpt_plus goldens (shared by both), inside it for da_vpt's.
    func compare(_ id: String, _ options: MethodOptions, folder: URL, labelsFromNpy: Bool = false) throws -> Result {
        let shared = labelsFromNpy ? folder : folder.deletingLastPathComponent()
        let vit = ViT(ViTConfig(imageSize: 32, patchSize: 8, dim: 32, depth: 4, heads: 2, mlpDim: 128), seed: 3)
        let method = try makeMethod(id, setup: MethodSetup(backbone: .vit(vit), numClasses: 6, options: options, rng: RandomStream(5)))
        let davpt = try XCTUnwrap(method as? DAVPT)
        XCTAssertEqual(method.id, id)
        _ = try Probe.loadOfficialWeights(method, from: try loadCheckpoint(shared.appendingPathComponent("weights.safetensors")))
        let meta = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("golden.json"))) as! [String: Any]
        davpt.setMapping(meta["mapping"] as! [Int])
        let x: StoredTensor = try Npy.load(shared.appendingPathComponent("x.npy"))
        let labels = labelsFromNpy ? try (Npy.load(folder.appendingPathComponent("labels.npy")) as StoredTensor).int64s().map { Int($0) } : meta["labels"] as! [Int]
        let r = try Probe.run(method, images: Tensor(try x.floats(), shape: x.shape), labels: labels)
        let expectedLogits = try (Npy.load(folder.appendingPathComponent("logits.npy")) as StoredTensor).floats()
        let expectedLoss = Float(meta["loss"] as! Double)
        let grads = try loadCheckpoint(folder.appendingPathComponent("grads.safetensors"))
        let ours = Dictionary(uniqueKeysWithValues: r.gradients.map { ($0.name, $0) })
        XCTAssertEqual(Set(ours.keys), Set(grads.names), "\(id): trainable tensors differ from the official set")
        let globalMax = try grads.names.map { try grads.tensor($0).floats().map(abs).max() ?? 0 }.max() ?? 1
        var worst: Float = 0, official = 0
        for name in grads.names {
            let e = try grads.tensor(name), ev = try e.floats()
            official += ev.count
            guard let g = ours[name] else { continue }
            let gv = try g.floats()
            XCTAssertEqual(g.shape, e.shape, name)
            // A bias that shifts a whole softmax row has a true gradient of 0 (round-off on both sides): see DAVPTTests.
            if (ev.map(abs).max() ?? 0) < 1e-6 * globalMax {
                XCTAssertLessThan((gv.map(abs).max() ?? 0) / globalMax, 1e-6, "gradient \(name) should vanish"); continue
            }
            let err = relError(gv, ev)
            worst = max(worst, err)
            XCTAssertLessThan(err, 1e-3, "\(id): gradient \(name)")
        }
        if let n = meta["trainable_count"] as? Int { XCTAssertEqual(official, n) }
        let count = method.trainable.reduce(0) { $0 + $1.count }
        return Result(logits: relError(r.logits.scalars, expectedLogits), loss: abs(r.loss - expectedLoss) / abs(expectedLoss),
                      worstGrad: worst, ours: count, official: official)
    }

    func testParityWithOfficialLearnableLists() throws {
        let plus: MethodOptions = Self.base.merging(["bias_v": .bool(true), "bias_proj": .bool(true), "bias_fc2": .bool(true), "bias_norm2": .bool(true)]) { $1 }
        let cases: [(String, MethodOptions, URL, Bool)] = [
            ("da-vpt", Self.base, Self.methods.appendingPathComponent("da_vpt_plus/plain"), false),
            ("da-vpt-plus", plus, Self.methods.appendingPathComponent("da_vpt_plus/plus"), false),
            // The ViT-B configs' flag set (train_cls, norm_norm1, bias_k/v/proj/fc2/norm2): da-vpt-plus's defaults.
            ("da-vpt-plus", Self.base, Self.methods.appendingPathComponent("da_vpt"), true),
        ]
        for (id, options, folder, npyLabels) in cases {
            let r = try compare(id, options, folder: folder, labelsFromNpy: npyLabels)
            print("\(id) parity (\(folder.lastPathComponent)): logits rel \(r.logits), loss rel \(r.loss), worst gradient rel \(r.worstGrad), trainable \(r.ours) vs official \(r.official)")
            XCTAssertLessThan(r.logits, 1e-4, id)
            XCTAssertLessThan(r.loss, 1e-4, id)
            XCTAssertEqual(r.ours, r.official, "\(id): trainable count")
        }
    }

    /// `bench probe`: the class → proxy mapping (kept in the official criterion, not its state dict) rides in the
    /// weights file as `mapping`; without it the default c mod Lp mapping gives another loss.
    func testProbeFileCarriesTheMapping() throws {
        let folder = Self.methods.appendingPathComponent("da_vpt_plus/plus")
        let meta = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("golden.json"))) as! [String: Any]
        let mapping = meta["mapping"] as! [Int]
        var ck = try loadCheckpoint(Self.methods.appendingPathComponent("da_vpt_plus/weights.safetensors"))
        let opts: MethodOptions = Self.base.merging(["bias_v": .bool(true), "bias_proj": .bool(true), "bias_fc2": .bool(true), "bias_norm2": .bool(true)]) { $1 }
        func probeLoss(_ ck: Checkpoint) throws -> (Float, [Int]) {
            let vit = ViT(ViTConfig(imageSize: 32, patchSize: 8, dim: 32, depth: 4, heads: 2, mlpDim: 128), seed: 3)
            let m = try makeMethod("da-vpt-plus", setup: MethodSetup(backbone: .vit(vit), numClasses: 6, options: opts, rng: RandomStream(5)))
            let report = try Probe.loadOfficialWeights(m, from: ck)
            XCTAssertFalse(report.unexpected.contains("mapping"), "the mapping is consumed")
            let x: StoredTensor = try Npy.load(Self.methods.appendingPathComponent("da_vpt_plus/x.npy"))
            return (try Probe.run(m, images: Tensor(try x.floats(), shape: x.shape), labels: meta["labels"] as! [Int]).loss, (m as! DAVPT).mapping)
        }
        let expected = Float(meta["loss"] as! Double)
        let (without, m0) = try probeLoss(ck)
        XCTAssertNotEqual(m0, mapping)
        XCTAssertGreaterThan(abs(without - expected) / expected, 1e-3)
        ck.names.append("mapping")
        ck.tensors["mapping"] = StoredTensor(name: "mapping", shape: [6], floats: mapping.map(Float.init))
        let (with, m1) = try probeLoss(ck)
        XCTAssertEqual(m1, mapping)
        XCTAssertEqual(with, expected, accuracy: 1e-4 * expected)
        ck.tensors["mapping"] = StoredTensor(name: "mapping", shape: [6], floats: [0, 1, 2, 3, 4, 9])
        XCTAssertThrowsError(try probeLoss(ck)) { XCTAssert("\($0)".contains("mapping"), "\($0)") }
    }

    /// Each id refuses the other row's flags, naming the id to use; da-vpt-plus without flags takes the ViT-B set.
    func testVariantsRefuseTheOtherRowsFlags() throws {
        func build(_ id: String, _ o: MethodOptions) throws -> PromptMethod {
            let vit = ViT(ViTConfig(imageSize: 32, patchSize: 8, dim: 32, depth: 4, heads: 2, mlpDim: 64))
            return try makeMethod(id, setup: MethodSetup(backbone: .vit(vit), numClasses: 6, options: o, rng: RandomStream(0)))
        }
        XCTAssertThrowsError(try build("da-vpt", ["bias_k": .bool(true)])) { XCTAssert("\($0)".contains("da-vpt-plus") && "\($0)".contains("bias_k"), "\($0)") }
        XCTAssertThrowsError(try build("da-vpt-plus", ["bias_k": .bool(false)])) { XCTAssert("\($0)".contains("method da-vpt"), "\($0)") }
        let names = Set(try build("da-vpt-plus", [:]).trainable.map(\.name))
        for n in ["cls_token", "blocks.0.norm1.weight", "blocks.0.attn.k.bias", "blocks.0.attn.v.bias", "blocks.0.attn.proj.bias",
                  "patch_embed.proj.bias", "blocks.0.mlp.fc2.bias", "blocks.0.norm2.bias"] { XCTAssert(names.contains(n), n) }
        XCTAssertFalse(names.contains("blocks.0.attn.q.bias"))
        let plain = Set(try build("da-vpt", [:]).trainable.map(\.name))
        XCTAssertEqual(plain, ["proxy_prompt_tokens", "other_prompt_tokens", "head.weight", "head.bias"])
    }
}

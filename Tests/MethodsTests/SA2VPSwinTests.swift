import XCTest
import Backbones
import Checkpoints
import Engine
import Methods
import Random
@testable import Bench

/// SA²VP-Swin against the official tommy-xq/SA2VP Swin model
/// (fixture: Tests/Fixtures/methods/sa2vp-swin/make_sa2vp_swin_golden.py).
final class SA2VPSwinTests: XCTestCase {
    override func setUp() { Threads.set(1) }

    static let dir = Golden.root.appendingPathComponent("sa2vp-swin")
    /// Tiny Swin of the fixture: 56 px, patch 1 → 56² tokens (deep_ppt's hard-coded 3136) and a 14×14 stage 2
    /// (the cross-attention's hard-coded grid); stage 2 cut to 7 blocks (both fusion directions); headless.
    static let tiny = SwinConfig(imageSize: 56, patchSize: 1, embedDim: 8, depths: [2, 2, 7, 2], numHeads: [1, 2, 4, 8],
                                 windowSize: 7, mlpRatio: 2, numClasses: 0)

    func makeTiny() throws -> PromptMethod {
        try makeMethod("sa2vp-swin", setup: MethodSetup(backbone: .swin(Swin(Self.tiny)), numClasses: 5,
                                                        options: ["inter_dim": .int(4), "add_scale": .double(0.5)], rng: RandomStream(1)))
    }

    func testParityWithOfficialModel() throws {
        let r = try probeParity(try makeTiny(), fixture: Self.dir)
        // Unused official tensors: only the cross-attention copies of block i's norm1 / qkv / proj, equal to them.
        XCTAssertEqual(r.report.unexpected.count, 7 * 6, "\(r.report.unexpected.prefix(5))")
        let w = try Safetensors.load(Self.dir.appendingPathComponent("weights.safetensors"))
        for name in r.report.unexpected {
            XCTAssertTrue(name.contains(".cross_attn.") && (name.contains(".attn.") || name.contains(".attention_norm.")), name)
            let i = name.split(separator: ".")[4]
            let src = name.replacingOccurrences(of: "cross_attn.\(i).attn.to_out", with: "blocks.\(i).attn.proj")
                .replacingOccurrences(of: "cross_attn.\(i).attn.qkv", with: "blocks.\(i).attn.qkv")
                .replacingOccurrences(of: "cross_attn.\(i).attention_norm", with: "blocks.\(i).norm1")
            XCTAssertEqual(try w.tensor(name).floats(), try w.tensor(src).floats(), name)
        }
    }

    /// First 5 training losses equal the official ones (official optimiser groups and per-iteration schedule,
    /// dropout and drop path off on both sides).
    func testFirstFiveLossesMatchOfficialTraining() throws {
        let m = try makeTiny()
        _ = try Probe.loadOfficialWeights(m, from: try Safetensors.load(Self.dir.appendingPathComponent("weights.safetensors")))
        let golden = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.dir.appendingPathComponent("golden.json"))) as! [String: Any]
        let f = golden["first_losses"] as! [String: Any]
        func num(_ k: String) -> Double { (f[k] as! NSNumber).doubleValue }
        let expected = (f["losses"] as! [NSNumber]).map(\.floatValue)
        let spec = ScheduleSpec(kind: "linspace-warmup-cosine", warmupEpochs: Int(num("warmup_epochs")), minLR: num("min_lr"))
        let (schedule, _) = try spec.resolve(epochs: Int(num("epochs")), itersPerEpoch: Int(num("iters_per_epoch")))
        let opt = Optimizer(OptimizerConfig(kind: .adamw), groups: m.parameterGroups(lr: Float(num("lr")), weightDecay: Float(num("weight_decay"))))
        let batches = try Safetensors.load(Self.dir.appendingPathComponent("train_batches.safetensors"))
        let xs = try Golden.tensor(batches, "x"), ys = try Golden.tensor(batches, "y")
        let b = xs.shape[1], per = b * 3 * 56 * 56
        var losses: [Float] = []
        for step in 0..<expected.count {
            opt.apply(schedule, at: step)
            let x = Tensor(Array(xs.scalars[(step * per)..<((step + 1) * per)]), shape: [b, 3, 56, 56])
            let y = ys.scalars[(step * b)..<((step + 1) * b)].map { Int($0) }
            var ctx = ForwardContext.eval
            let loss = m.loss(TrainingBatch(images: x, labels: y, epoch: 0), context: &ctx)
            losses.append(loss.item)
            opt.zeroGrad()
            loss.backward()
            opt.step()
        }
        print("sa2vp-swin first losses \(losses) vs official \(expected)")
        for (a, e) in zip(losses, expected) { XCTAssertEqual(a, e, accuracy: 1e-3 * max(1, abs(e))) }
    }

    /// `bench probe`'s path: a probe config with a `swin:` shape (the fixture's golden.json fields) builds the method,
    /// loads the official-named weights and reproduces the official logits.
    func testProbeConfigWithSwinShape() throws {
        let golden = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.dir.appendingPathComponent("golden.json"))) as! [String: Any]
        let yaml = try JSONSerialization.data(withJSONObject: ["swin": golden["backbone"]!, "num_classes": golden["num_classes"]!, "options": golden["options"]!])
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sa2vp-swin-probe-\(getpid()).yaml")
        try yaml.write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let cfg = try ProbeConfig.load(url)
        XCTAssertEqual(cfg.swin, Self.tiny)
        let m = try cfg.makeMethod("sa2vp-swin")
        _ = try Probe.loadOfficialWeights(m, from: try Safetensors.load(Self.dir.appendingPathComponent("weights.safetensors")))
        let inputs = try Safetensors.load(Self.dir.appendingPathComponent("inputs.safetensors"))
        let r = try Probe.run(m, images: try Golden.tensor(inputs, "x"), labels: try Golden.tensor(inputs, "y").scalars.map { Int($0) })
        XCTAssertLessThan(Golden.relError(r.logits.scalars, try Npy.load(Self.dir.appendingPathComponent("logits.npy")).floats()), 1e-4)
        XCTAssertEqual(r.gradients.count, (golden["trainable"] as! [String]).count)
        // A config naming both backbones (or none) is refused.
        try JSONSerialization.data(withJSONObject: ["num_classes": 3]).write(to: url)
        XCTAssertThrowsError(try ProbeConfig.load(url))
    }

    func testLocalWindowMaskMatchesOfficialIndexLists() {
        // swin_transformer_tinypara.py:74-99 on the 14×14 grid: corners 4 keys, edges 6, inside 9.
        let m = SA2VPSwin.localWindowMask(grid: 14)
        func allowed(_ t: Int) -> [Int] { (0..<196).filter { m.data[t * 196 + $0] == 0 } }
        XCTAssertEqual(allowed(0), [0, 1, 14, 15])
        XCTAssertEqual(allowed(13), [12, 13, 26, 27])
        XCTAssertEqual(allowed(182), [168, 169, 182, 183])
        XCTAssertEqual(allowed(195), [180, 181, 194, 195])
        XCTAssertEqual(allowed(5), [4, 5, 6, 18, 19, 20])
        XCTAssertEqual(allowed(28), [14, 15, 28, 29, 42, 43])
        XCTAssertEqual(allowed(41), [26, 27, 40, 41, 54, 55])
        XCTAssertEqual(allowed(190), [175, 176, 177, 189, 190, 191])
        XCTAssertEqual(allowed(100), [85, 86, 87, 99, 100, 101, 113, 114, 115])
    }

    func testTrainableCount() throws {
        // Swin-B 224, d = 8: 3136·8 + (128·8 + 128) + 18·(2·512 + 512·8 + 8 + 8·512 + 512) = 201,488 (+ head 1024·C + C).
        XCTAssertEqual(SA2VPSwin.trainableCount(.swinBase22k, SA2VPSwinConfig()), 201_488)
        // The formula equals what the method allocates (the tiny model), and the official trainable set of the fixture.
        let m = try makeTiny()
        let split = m.trainableSplit
        var o = SA2VPSwinConfig(); o.inter_dim = 4
        XCTAssertEqual(split.prompts + split.other, SA2VPSwin.trainableCount(Self.tiny, o))
        XCTAssertEqual(split.head, 64 * 5 + 5)
        let golden = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.dir.appendingPathComponent("golden.json"))) as! [String: Any]
        XCTAssertEqual(Set(m.trainable.map(\.name)), Set(golden["trainable"] as! [String]))
    }

    func testRefusesViTBackbone() {
        let vit = ViT(ViTConfig(imageSize: 32, patchSize: 8, dim: 48, depth: 4, heads: 3, mlpDim: 96))
        XCTAssertThrowsError(try makeMethod("sa2vp-swin", setup: MethodSetup(backbone: .vit(vit), numClasses: 3, rng: RandomStream(0))))
    }
}

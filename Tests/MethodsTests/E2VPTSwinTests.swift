import XCTest
import Backbones
import Checkpoints
@testable import Bench
import Engine
import Methods
import Random

/// E2VPT on Swin against ChengHan111/E2VPT's own Swin model (Tests/Fixtures/methods/e2vpt_swin/make_e2vpt_swin_golden.py):
/// logits, loss, every trainable gradient and the trainable set, on four cases (no masks, masks, K/V prompts behind the
/// keys — the misaligned bias — and no deep prompts — the batch mix-up of the window prompts).
final class E2VPTSwinTests: XCTestCase {
    override func setUp() { Threads.set(1) }

    /// The fixture's tiny Swin: 32 px, patch 2 → 16² tokens, window 4 (shifted blocks in stages 0 and 1, a shrunk window
    /// in stage 3), widths 8/16/32/64, MLP ratio 1, headless.
    static let tiny = SwinConfig(imageSize: 32, patchSize: 2, embedDim: 8, depths: [2, 2, 2, 2], numHeads: [2, 2, 2, 2],
                                 windowSize: 4, mlpRatio: 1, numClasses: 0)

    func make(_ options: MethodOptions) throws -> E2VPTSwin {
        let m = try makeMethod("e2vpt", setup: MethodSetup(backbone: .swin(Swin(Self.tiny)), numClasses: 5, options: options, rng: RandomStream(3)))
        return try XCTUnwrap(m as? E2VPTSwin)
    }

    func check(_ m: E2VPTSwin, _ c: String) throws {
        try Golden.check(m, dir: "e2vpt_swin", weights: "\(c).safetensors", io: "\(c)_io.safetensors", shared: "backbone.safetensors")
        // The trainable count the official model reports (meta.json), and the formula.
        let meta = try JSONSerialization.jsonObject(with: Data(contentsOf: Golden.root.appendingPathComponent("e2vpt_swin/meta.json"))) as! [String: Any]
        let official = ((meta["cases"] as! [String: Any])[c] as! [String: Any])["trainable_count"] as! Int
        XCTAssertEqual(m.trainable.totalCount, official, c)
        XCTAssertEqual(E2VPTSwin.trainableCount(Self.tiny, m.config, classes: 5), official, c)
    }

    func testParityNoMask() throws {
        try check(try make(["NUM_TOKENS_P": .int(3), "NUM_TOKENS": .int(2), "MASK_CLS_TOKEN": .bool(false), "DROPOUT_P": .double(0.1)]), "swin_nomask")
    }

    func testParityWithTrainableMasks() throws {
        let m = try make(["NUM_TOKENS_P": .int(3), "NUM_TOKENS": .int(2), "CLS_TOKEN_P_PIECES_NUM": .int(4), "DROPOUT_P": .double(0.1)])
        XCTAssertNotNil(m.tokenMask); XCTAssertNotNil(m.pieceMask)
        try check(m, "swin_mask")
    }

    /// LAYER_BEHIND false: the official zero padding shifts the relative-position bias by K keys; FIXED_SWIN_KV_BIAS
    /// aligns it, which changes the logits.
    func testParityKeyValuePromptsBehindAndTheFix() throws {
        let opts: MethodOptions = ["NUM_TOKENS_P": .int(2), "NUM_TOKENS": .int(3), "MASK_CLS_TOKEN": .bool(false), "LAYER_BEHIND": .bool(false)]
        try check(try make(opts), "swin_behind")
        var fixedOpts = opts; fixedOpts["FIXED_SWIN_KV_BIAS"] = .bool(true)
        let fixed = try make(fixedOpts)
        let ck = try loadCheckpoint(Golden.root.appendingPathComponent("e2vpt_swin/swin_behind.safetensors"))
        var merged = ck
        let shared = try loadCheckpoint(Golden.root.appendingPathComponent("e2vpt_swin/backbone.safetensors"))
        for n in shared.names { merged.names.append(n); merged.tensors[n] = shared.tensors[n] }
        _ = try Probe.loadOfficialWeights(fixed, from: merged)
        let x = try Golden.tensor("e2vpt_swin", "swin_behind_io.safetensors", "x")
        let official = try Golden.tensor("e2vpt_swin", "swin_behind_io.safetensors", "logits")
        var ctx = ForwardContext.eval
        XCTAssertGreaterThan(Golden.relError(fixed.logits(x, context: &ctx).scalars, official.scalars), 1e-3)
    }

    func testParityShallowPrompts() throws {
        try check(try make(["NUM_TOKENS_P": .int(2), "NUM_TOKENS": .int(2), "MASK_CLS_TOKEN": .bool(false), "DEEP_P": .bool(false)]), "swin_shallow")
    }

    /// The official Trainer's first 5 losses (make_optimizer's per-tensor SGD groups, WarmupCosineSchedule per epoch,
    /// forward_one_batch), replayed through our optimiser, schedule and loss from the same weights and batches.
    func testFirstFiveLossesMatchOfficialTraining() throws {
        let meta = try FirstLossesTests.json("e2vpt_swin", "meta.json")
        let f = meta["first_losses"] as! [String: Any]
        func num(_ k: String) -> Double { (f[k] as! NSNumber).doubleValue }
        for (c, opts) in [("swin_nomask", ["NUM_TOKENS_P": .int(3), "NUM_TOKENS": .int(2), "MASK_CLS_TOKEN": .bool(false), "DROPOUT_P": .double(0.1)]),
                          ("swin_mask", ["NUM_TOKENS_P": .int(3), "NUM_TOKENS": .int(2), "CLS_TOKEN_P_PIECES_NUM": .int(4), "DROPOUT_P": .double(0.1)])] as [(String, MethodOptions)] {
            let m = try make(opts)
            var ck = try loadCheckpoint(Golden.root.appendingPathComponent("e2vpt_swin/\(c).safetensors"))
            let shared = try loadCheckpoint(Golden.root.appendingPathComponent("e2vpt_swin/backbone.safetensors"))
            for n in shared.names { ck.names.append(n); ck.tensors[n] = shared.tensors[n] }
            _ = try Probe.loadOfficialWeights(m, from: ck)
            let golden = (f["cases"] as! [String: Any])[c] as! [String: Any]
            let expected = (golden["losses"] as! [NSNumber]).map(\.floatValue)
            let r = try FirstLossesTests.replay(m, dir: "e2vpt_swin", optimizer: OptimizerConfig(kind: .sgd, momentum: Float(num("momentum"))),
                                                lr: num("base_lr"), weightDecay: num("weight_decay"),
                                                schedule: ScheduleSpec(kind: "warmup-cosine-epoch", warmupEpochs: Int(num("warmup_epoch"))),
                                                epochs: Int(num("total_epoch")), itersPerEpoch: Int(num("iters_per_epoch")), steps: expected.count)
            for (a, e) in zip(r.lrs, (golden["lrs"] as! [NSNumber]).map(\.doubleValue)) { XCTAssertEqual(a, e, accuracy: 1e-7, "lr") }
            FirstLossesTests.compare(r.losses, expected, "e2vpt swin [\(c)]")
        }
    }

    /// Options the official Swin model rejects, and the architecture it is written for.
    func testRejectsWhatTheOfficialSwinCannotBuild() throws {
        XCTAssertThrowsError(try make(["SHARE_PARAM_KV": .bool(false)])) { XCTAssert("\($0)".contains("SHARE_PARAM_KV"), "\($0)") }
        let three = SwinConfig(imageSize: 32, patchSize: 2, embedDim: 8, depths: [2, 2, 2], numHeads: [2, 2, 2], windowSize: 4, mlpRatio: 1, numClasses: 0)
        XCTAssertThrowsError(try makeMethod("e2vpt", setup: MethodSetup(backbone: .swin(Swin(three)), numClasses: 5, options: [:], rng: RandomStream(0)))) {
            XCTAssert("\($0)".contains("4 stages"), "\($0)")
        }
        XCTAssertThrowsError(try make(["CLS_TOKEN_P_PIECES_NUM": .int(3)])) { XCTAssert("\($0)".contains("CLS_TOKEN_P_PIECES_NUM"), "\($0)") }
    }

    /// The pruning side works on the Swin model too: importance from the first-stage masks, a nested schedule, rewind masks.
    func testImportanceAndRewindOnSwin() throws {
        let m = try make(["NUM_TOKENS_P": .int(4), "NUM_TOKENS": .int(1), "CLS_TOKEN_P_PIECES_NUM": .int(4)])
        // The fixture's backbone (a zero backbone would pass nothing from the first prompts to the image tokens).
        let backbone = try loadCheckpoint(Golden.root.appendingPathComponent("e2vpt_swin/backbone.safetensors")).strippingPrefixes(["enc."])
        _ = try m.swin.load(from: backbone, strict: false)
        var rng = RandomStream(5)
        var left = 2
        let imp = m.importance {
            guard left > 0 else { return nil }
            left -= 1
            return (Init.uniform([2, 3, 32, 32], -1, 1, rng: &rng), [0, 1])
        }
        XCTAssertEqual(imp.tokens.count, 4); XCTAssertEqual(imp.pieces.count, 4)
        XCTAssertTrue(imp.tokens.contains { $0 != 0 })
        let s = m.maskSchedule(tokens: imp.tokens, pieces: imp.pieces)
        for (a, b) in zip(s.tokens, s.tokens.dropFirst()) { XCTAssertTrue(a.1.isSubset(of: b.1)) }
        try m.setRewindMasks(tokens: [1], pieces: ["0": [2]])
        XCTAssertEqual(m.tokenMask!.value.scalars, [1, 0, 1, 1])
        XCTAssertFalse(m.trainable.contains { $0.name.contains("mask_cls_token") })
        XCTAssertEqual(m.checkpointState().count, 2)
    }

    /// Swin-B (the tables' backbone) with the Swin commands' setting builds with the official trainable count.
    func testSwinBaseTrainableCount() throws {
        let o: MethodOptions = ["NUM_TOKENS_P": .int(10), "NUM_TOKENS": .int(1), "MASK_CLS_TOKEN": .bool(false)]
        var c = SwinConfig.swinBase22k
        c.mlpRatio = 1  // the MLP width changes nothing trainable; a narrow one keeps the build cheap
        let m = try makeMethod("e2vpt", setup: MethodSetup(backbone: .swin(Swin(c)), numClasses: 100, options: o, rng: RandomStream(0)))
        // prompts 10·128 + deep 1·10·128 + 2·10·256 + 18·10·512 + 2·10·1024 + K/V 2·128 + 2·256 + 18·512 + 2·1024 + head 100·1025
        XCTAssertEqual(m.trainable.totalCount, 10 * 128 + 10 * 128 + 2 * 10 * 256 + 18 * 10 * 512 + 2 * 10 * 1024
                       + 2 * 128 + 2 * 256 + 18 * 512 + 2 * 1024 + 100 * 1025)
        XCTAssertEqual(E2VPTSwin.trainableCount(c, (m as! E2VPTSwin).config, classes: 100), m.trainable.totalCount)
    }
}

import XCTest
import Backbones
import Bench
import Engine
import Methods
import Random

/// E2VPT against ChengHan111/E2VPT's own model (Tests/Fixtures/methods/e2vpt/make_e2vpt_golden.py), its K/V-prompt
/// init, the pruning mask schedule, and the ViT-B/16 trainable count.
final class E2VPTTests: XCTestCase {
    override func setUp() { Threads.set(1) }

    func make(_ options: MethodOptions, classes: Int = 5) throws -> E2VPT {
        let m = try makeMethod("e2vpt", setup: MethodSetup(backbone: .vit(ViT(Golden.tinyViT, seed: 7)), numClasses: classes,
                                                          options: options, rng: RandomStream(3)))
        return try XCTUnwrap(m as? E2VPT)
    }

    func testParityNoMask() throws {
        let m = try make(["NUM_TOKENS_P": .int(3), "NUM_TOKENS": .int(2), "MASK_CLS_TOKEN": .bool(false), "DROPOUT_P": .double(0.1)])
        try Golden.check(m, dir: "e2vpt", weights: "e2vpt_nomask.safetensors", io: "e2vpt_nomask_io.safetensors")
    }

    func testParityWithTrainableMasks() throws {
        let m = try make(["NUM_TOKENS_P": .int(3), "NUM_TOKENS": .int(2), "DROPOUT_P": .double(0.1)])
        XCTAssertNotNil(m.tokenMask); XCTAssertNotNil(m.pieceMask)
        try Golden.check(m, dir: "e2vpt", weights: "e2vpt_mask.safetensors", io: "e2vpt_mask_io.safetensors")
    }

    func testParitySeparateKeyValueBehind() throws {
        let m = try make(["NUM_TOKENS_P": .int(2), "NUM_TOKENS": .int(3), "MASK_CLS_TOKEN": .bool(false),
                          "SHARE_PARAM_KV": .bool(false), "LAYER_BEHIND": .bool(false)])
        try Golden.check(m, dir: "e2vpt", weights: "e2vpt_sep.safetensors", io: "e2vpt_sep_io.safetensors")
    }

    /// Rewind masks: listed entries 0, others 1, both tensors frozen; masked tokens change nothing downstream.
    func testRewindMasks() throws {
        let m = try make(["NUM_TOKENS_P": .int(3), "NUM_TOKENS": .int(2), "REWIND_STATUS": .bool(true),
                          "REWIND_MASKED_TOKENS": .list([.int(1)])])
        XCTAssertEqual(m.tokenMask!.value.scalars, [1, 0, 1])
        XCTAssertFalse(m.tokenMask!.trainable)
        XCTAssertFalse(m.pieceMask!.trainable)
        XCTAssertFalse(m.trainable.contains { $0.name.contains("mask_cls_token") })
        try m.setRewindMasks(tokens: [], pieces: ["2": [0, 5]])
        XCTAssertEqual(m.pieceMask!.value.scalars[2 * 16 + 0], 0)
        XCTAssertEqual(m.pieceMask!.value.scalars[2 * 16 + 5], 0)
        XCTAssertEqual(m.pieceMask!.value.scalars.filter { $0 == 0 }.count, 2)
        XCTAssertThrowsError(try m.setRewindMasks(tokens: [3], pieces: [:]))
    }

    /// `determine_mask_sequence` counts (spec §6.4) and the incremental lowest-first selection with stable ties.
    func testMaskSchedule() throws {
        let pct = [10, 20, 30, 40, 50, 60, 70, 80, 90]
        XCTAssertEqual(E2VPT.maskCounts(total: 10, percents: pct, minimum: 1), [1, 2, 3, 4, 5, 6, 7, 8, 9])
        XCTAssertEqual(Set(E2VPT.maskCounts(total: 5, percents: pct, minimum: 1)), [0, 1, 2, 3, 4])
        XCTAssertEqual(E2VPT.maskCounts(total: 32, percents: pct, minimum: 1), [3, 6, 9, 12, 16, 19, 22, 25, 28])
        XCTAssertEqual(Set(E2VPT.maskCounts(total: 1, percents: pct, minimum: 1)), [0])
        XCTAssertEqual(E2VPT.maskCounts(total: 16, percents: pct, minimum: 4), [1, 3, 4, 6, 8, 9, 11, 12, 12])
        XCTAssertEqual(E2VPT.maskSequence([1, 3, 4, 6]), [1, 2, 1, 2])
        var masked = Set<Int>()
        E2VPT.extendMask(scores: [0.5, -1, 0.5, -2, 3], count: 2, masked: &masked)
        XCTAssertEqual(masked, [3, 1])
        E2VPT.extendMask(scores: [0.5, -1, 0.5, -2, 3], count: 1, masked: &masked)
        XCTAssertEqual(masked, [3, 1, 0])  // tie 0.5/0.5 → lower index first (Python's stable sort)
        // Importance: signed mean mask gradients; the schedule nests.
        let m = try make(["NUM_TOKENS_P": .int(4), "NUM_TOKENS": .int(2)])
        var rng = RandomStream(5)
        var left = 2
        let imp = m.importance {
            guard left > 0 else { return nil }
            left -= 1
            return (Init.uniform([2, 3, 32, 32], -1, 1, rng: &rng), [0, 1])
        }
        XCTAssertEqual(imp.tokens.count, 4); XCTAssertEqual(imp.pieces.count, 4)
        XCTAssertTrue(imp.tokens.contains { $0 < 0 } || imp.tokens.contains { $0 > 0 })
        let s = m.maskSchedule(tokens: imp.tokens, pieces: imp.pieces)
        XCTAssertEqual(s.tokens.map(\.0), [0, 0, 1, 1, 2, 2, 2, 3, 3])
        for (a, b) in zip(s.tokens, s.tokens.dropFirst()) { XCTAssertTrue(a.1.isSubset(of: b.1)) }
        XCTAssertEqual(s.pieces.last!.1[0]!.count, 12)
    }

    /// Head size: the official kitti yaml's NUMBER_CLASSES 196 by default, the dataset's count with the fix.
    func testKittiHeadBugAndFix() throws {
        XCTAssertEqual(try make(["NUMBER_CLASSES": .int(196)], classes: 4).head.layer.weight.shape, [196, 32])
        XCTAssertEqual(try make(["NUMBER_CLASSES": .int(196), "FIXED_NUMBER_CLASSES": .bool(true)], classes: 4).head.layer.weight.shape, [4, 32])
        XCTAssertThrowsError(try make(["NUM_TOKEN": .int(3)]))  // typo in an official name
    }
}

/// Trainable counts on a real ViT-B/16 (allocated once, ≈350 MB): VPT-deep 9216·P + 769·C (demo: 926,214 for
/// P=100, C=6), VPT-shallow 768·P + 769·C, E2VPT 9216·(P+K) + 769·C (+17·P mask scalars), K/V init bound √(6/(K·64)).
final class ViTB16CountTests: XCTestCase {
    func testTrainableCounts() throws {
        let vit = ViT(.vitB16(), seed: 0)
        XCTAssertEqual(vit.parameters.totalCount, 85_798_656)
        func count(_ id: String, _ opts: MethodOptions, _ c: Int) throws -> (PromptMethod, Int) {
            let m = try makeMethod(id, setup: MethodSetup(backbone: .vit(vit), numClasses: c, options: opts, rng: RandomStream(1)))
            return (m, m.trainable.totalCount)
        }
        let (demo, n) = try count("vpt-deep", ["NUM_TOKENS": .int(100)], 6)
        XCTAssertEqual(n, 926_214)
        XCTAssertEqual(demo.parameters.totalCount, 86_724_870)
        XCTAssertEqual(try count("vpt-deep", ["NUM_TOKENS": .int(10)], 100).1, 9216 * 10 + 769 * 100)
        XCTAssertEqual(try count("vpt-shallow", ["NUM_TOKENS": .int(50)], 37).1, 768 * 50 + 769 * 37)
        // E2VPT, command.txt settings: caltech101 P=32 K=5 C=102 → 419,430; patch_camelyon P=K=10 C=2 → 185,858.
        let (e, caltech) = try count("e2vpt", ["NUM_TOKENS_P": .int(32), "NUM_TOKENS": .int(5), "MASK_CLS_TOKEN": .bool(false)], 102)
        XCTAssertEqual(caltech, 419_430)
        XCTAssertEqual(try count("e2vpt", ["NUM_TOKENS_P": .int(10), "NUM_TOKENS": .int(10), "MASK_CLS_TOKEN": .bool(false)], 2).1, 185_858)
        XCTAssertEqual(try count("e2vpt", ["NUM_TOKENS_P": .int(10), "NUM_TOKENS": .int(5)], 10).1, 9216 * 15 + 769 * 10 + 17 * 10)
        let split = e.trainableSplit
        XCTAssertEqual(split.prompts, 9216 * 37); XCTAssertEqual(split.head, 769 * 102); XCTAssertEqual(split.other, 0)
        // kaiming_uniform_(a=0, fan_in) on [12, K, 64]: U(±√(6/(K·64))).
        let kv = try XCTUnwrap((e as? E2VPT)?.keyPrompts.first)
        XCTAssertEqual(kv.shape, [12, 5, 64])
        let bound = Float((6.0 / 320.0).squareRoot())
        let mx = kv.value.scalars.map(abs).max()!
        XCTAssertLessThanOrEqual(mx, bound); XCTAssertGreaterThan(mx, 0.99 * bound)
    }
}

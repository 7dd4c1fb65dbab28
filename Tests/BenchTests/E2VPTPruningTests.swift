import XCTest
@testable import Bench
import Backbones
import Checkpoints
import Engine
import Methods
import Random

/// `bench e2vpt-prune` (E2VPTPruning) on the built-in mini setup, and the official mask-file import.
final class E2VPTPruningTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        Threads.set(2)
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("e2vpt-prune-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let vit = ViT(BackboneZoo.miniConfig, seed: 3)
        try Safetensors.write(vit.exportTensors(.timm), to: dir.appendingPathComponent("vit-mini.safetensors"))
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func make(_ options: MethodOptions) throws -> E2VPT {
        let m = try makeMethod("e2vpt", setup: MethodSetup(backbone: .vit(ViT(ViTConfig(imageSize: 32, patchSize: 8, dim: 32, depth: 3, heads: 4, mlpDim: 64), seed: 7)),
                                                          numClasses: 5, options: options, rng: RandomStream(3)))
        return try XCTUnwrap(m as? E2VPT)
    }

    /// Files in the official format (Trainer.dump of a set / a dict of sets) set the same masks as the explicit lists.
    func testOfficialMaskFilesImport() throws {
        let out = dir.appendingPathComponent("output_before_pruning")
        try FileManager.default.createDirectory(at: out.appendingPathComponent("mask_tokens"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: out.appendingPathComponent("mask_tokens_pieces"), withIntermediateDirectories: true)
        try #"{"2": [2, 0]}"#.write(to: out.appendingPathComponent("mask_tokens/2_soft_tokens_to_mask.json"), atomically: true, encoding: .utf8)
        try #"{"0": [3, 15], "1": [0, 7], "2": [9, 1]}"#.write(to: out.appendingPathComponent("mask_tokens_pieces/2_soft_tokens_pieces_to_mask.json"),
                                                              atomically: true, encoding: .utf8)
        let base: MethodOptions = ["NUM_TOKENS_P": .int(3), "NUM_TOKENS": .int(2), "REWIND_STATUS": .bool(true)]
        var fromFiles = base
        fromFiles["REWIND_OUTPUT_DIR"] = .string(out.path)
        fromFiles["REWIND_MASK_CLS_TOKEN_NUM"] = .int(2)
        fromFiles["REWIND_MASK_CLS_TOKEN_PIECE_NUM"] = .int(2)
        var explicit = base
        explicit["REWIND_MASKED_TOKENS"] = .list([.int(0), .int(2)])
        let a = try make(fromFiles), b = try make(explicit)
        try b.setRewindMasks(tokens: [0, 2], pieces: ["0": [3, 15], "1": [0, 7], "2": [1, 9]])
        XCTAssertEqual(a.tokenMask!.value.scalars, [0, 1, 0])
        XCTAssertEqual(a.tokenMask!.value.scalars, b.tokenMask!.value.scalars)
        XCTAssertEqual(a.pieceMask!.value.scalars, b.pieceMask!.value.scalars)
        XCTAssertEqual(a.pieceMask!.value.scalars.filter { $0 == 0 }.count, 6)
        XCTAssertFalse(a.tokenMask!.trainable || a.pieceMask!.trainable)
        // A count with no file is an error naming the file.
        fromFiles["REWIND_MASK_CLS_TOKEN_NUM"] = .int(7)
        XCTAssertThrowsError(try make(fromFiles)) { XCTAssertTrue("\($0)".contains("7_soft_tokens_to_mask.json"), "\($0)") }
    }

    func testPipelineOnMiniTask() throws {
        let recipe = dir.appendingPathComponent("e2vpt.yaml")
        try """
        method: e2vpt
        options: {NUM_TOKENS_P: 4, NUM_TOKENS: 2, DROPOUT_P: 0.1}
        optimizer: {kind: sgd, momentum: 0.9}
        lr: 1.0
        lr_scaling: batch/256
        weight_decay: 0.001
        schedule: {kind: warmup-cosine-epoch, warmupEpochs: 0}
        epochs: 1
        batch_size: 200
        eval_batch_size: 250
        official_selection: last-epoch-test
        clean_selection: last-epoch-test
        pipeline: builtin
        grid: {lr: [1.0], weight_decay: [0.001]}
        """.write(to: recipe, atomically: true, encoding: .utf8)
        let cell = Cell(key: .init(benchmark: "mini", dataset: "shapes", method: "e2vpt", backbone: "vit-mini"), recipeFile: recipe,
                        source: .builtin(.shapes), splits: SplitPlan(train: "train800", val: "val200", test: "test"))
        var o = RunOptions(runs: dir.appendingPathComponent("runs"), weights: dir.appendingPathComponent("vit-mini.safetensors"), testCount: 200, quiet: true)
        o.checkWeightsHash = false
        let r = try E2VPTPruning.run(cell, seeds: [0], options: o, tokenCounts: [1, 3], pieceCounts: [4])
        let root = E2VPTPruning.folder(runs: o.runs, cell: cell)
        // The official schedule for P = 4 tokens and 16 pieces, as files in the official format.
        XCTAssertEqual(try E2VPTPruning.counts(root.appendingPathComponent("mask_tokens"), suffix: "_soft_tokens_to_mask.json"), [0, 1, 2, 3])
        XCTAssertEqual(try E2VPTPruning.counts(root.appendingPathComponent("mask_tokens_pieces"), suffix: "_soft_tokens_pieces_to_mask.json"),
                       [1, 3, 4, 6, 8, 9, 11, 12])
        let one = try E2VPT.readMaskFiles(dir: root, tokens: 1, pieces: 4), three = try E2VPT.readMaskFiles(dir: root, tokens: 3, pieces: 12)
        XCTAssertEqual(one.tokens.count, 1)
        XCTAssertEqual(three.tokens.count, 3)
        XCTAssertTrue(Set(one.tokens).isSubset(of: Set(three.tokens)), "nested sets")
        XCTAssertEqual(one.pieces.count, 4)
        for (k, v) in one.pieces { XCTAssertEqual(v.count, 4); XCTAssertTrue(Set(v).isSubset(of: Set(three.pieces[k]!))) }
        // The masked token is the lowest signed importance (ascending sort, MASK_RESERVE false).
        XCTAssertEqual(one.tokens[0], r.tokenImportance.indices.min { r.tokenImportance[$0] < r.tokenImportance[$1] })
        XCTAssertTrue(r.tokenImportance.contains { $0 != 0 }, "masks received gradients before pruning")
        // Two rewind runs, one chosen, one final seed with the chosen masks fixed.
        XCTAssertEqual(Set(r.rewindValAccuracy.keys), ["t1_p4", "t3_p4"])
        XCTAssertTrue([1, 3].contains(r.maskedTokens)); XCTAssertEqual(r.maskedPieces, 4)
        XCTAssertEqual(r.finalTestAccuracy.count, 1)
        XCTAssertEqual(r.meanTestAccuracy, r.finalTestAccuracy[0])
        let cfg = try RunStore.readJSON(ResolvedRunConfig.self, from: root.appendingPathComponent("final/seed-0/config.json"))
        XCTAssertEqual(cfg.recipe.options["REWIND_STATUS"], .bool(true))
        XCTAssertEqual(cfg.recipe.options["REWIND_MASK_CLS_TOKEN_NUM"], .int(r.maskedTokens))
        XCTAssertEqual(cfg.splits["test"], "test")
        // The final checkpoint carries the fixed masks: exactly the chosen number of zeroed tokens.
        let ck = try Safetensors.load(root.appendingPathComponent("final/seed-0/checkpoint.safetensors"))
        let tm = try ck.tensor("state/enc.transformer.prompt_soft_tokens_mask_cls_token").floats()
        XCTAssertEqual(tm.filter { $0 == 0 }.count, r.maskedTokens)
        XCTAssertEqual(try RunStore.readJSON(E2VPTPruneResult.self, from: root.appendingPathComponent("prune.json")), r)
        // A second call resumes: nothing retrains, same result.
        XCTAssertEqual(try E2VPTPruning.run(cell, seeds: [0], options: o, tokenCounts: [1, 3], pieceCounts: [4]), r)
    }

    /// FGVC cells follow tune_fgvc_PruningRewind.py: the grid point with the best validation accuracy over epochs wins
    /// (not the last epoch), grid/rewind runs keep val as val, and the final seeds report the recipe's official number.
    func testFGVCFlowSelectsByBestValidationOverEpochs() throws {
        let recipe = dir.appendingPathComponent("e2vpt-fgvc.yaml")
        try """
        method: e2vpt
        options: {NUM_TOKENS_P: 2, NUM_TOKENS: 2}
        optimizer: {kind: sgd, momentum: 0.9}
        lr: 1.0
        lr_scaling: batch/256
        weight_decay: 0.001
        schedule: {kind: warmup-cosine-epoch, warmupEpochs: 0}
        epochs: 2
        batch_size: 200
        eval_batch_size: 250
        official_selection: test-at-best-val-epoch
        clean_selection: last-epoch-test
        pipeline: builtin
        grid: {lr: [0.5, 5.0], weight_decay: [0.0]}
        """.write(to: recipe, atomically: true, encoding: .utf8)
        let cell = Cell(key: .init(benchmark: "fgvc", dataset: "shapes", method: "e2vpt", backbone: "vit-mini"), recipeFile: recipe,
                        source: .builtin(.shapes), splits: SplitPlan(train: "train800", val: "val200", test: "test"))
        var o = RunOptions(runs: dir.appendingPathComponent("runs"), weights: dir.appendingPathComponent("vit-mini.safetensors"), testCount: 200, quiet: true)
        o.checkWeightsHash = false
        let r = try E2VPTPruning.run(cell, seeds: [0], options: o, tokenCounts: [1], pieceCounts: [1])
        let root = E2VPTPruning.folder(runs: o.runs, cell: cell)
        func metrics(_ lr: Double) throws -> [EpochMetrics] { try RunStore.metrics(in: root.appendingPathComponent("grid/lr-\(lr)_wd-0.0/seed-0")) }
        let best = try [0.5, 5.0].map { lr in (lr, try metrics(lr).compactMap(\.valAccuracy).max()!) }
        XCTAssertEqual(try metrics(0.5).compactMap(\.valAccuracy).count, 2, "validation every epoch")
        let expected = best.max { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0 > $1.0) }!.0
        XCTAssertEqual(r.lr, expected)
        let gridCfg = try RunStore.readJSON(ResolvedRunConfig.self, from: root.appendingPathComponent("grid/lr-0.5_wd-0.0/seed-0/config.json"))
        XCTAssertEqual(gridCfg.splits["val"], "val200")
        let final = try RunStore.readJSON(RunSummary.self, from: root.appendingPathComponent("final/seed-0/summary.json"))
        XCTAssertEqual(r.finalTestAccuracy, [final.official.accuracy])
        XCTAssertEqual(final.official.rule, "test-at-best-val-epoch")
    }
}

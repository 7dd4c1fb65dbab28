import XCTest
@testable import Bench
import Backbones
import Checkpoints
import Data
import Engine
import Methods
import Random

/// DA-VPT's `eval_after`: the official code evaluates (and keeps its best) only at epochs ≥ eval_after (train.py:388).
final class EvalAfterTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func history(_ tests: [Double?], vals: [Double?]? = nil) -> [EpochMetrics] {
        tests.enumerated().map { e, t in
            EpochMetrics(epoch: e, lr: 0.1, trainLoss: 1, valAccuracy: vals?[e], testAccuracy: t, wallSeconds: 1, imagesPerSecond: 1)
        }
    }

    func testSelectionRangesOverEpochsFromEvalAfter() {
        let h = history([80, 60, 70, 65], vals: [90, 50, 60, 55])
        XCTAssertEqual(Trainer.select(.bestTestOverEpochs, from: h).accuracy, 80)
        let best = Trainer.select(.bestTestOverEpochs, from: h, evalAfter: 1)
        XCTAssertEqual(best.accuracy, 70); XCTAssertEqual(best.epoch, 2)
        XCTAssertEqual(Trainer.select(.bestTestOverEpochs, from: h, evalAfter: 0).accuracy, 80)
        XCTAssertEqual(Trainer.select(.testAtBestVal, from: h, evalAfter: 1).accuracy, 70)
        XCTAssertEqual(Trainer.select(.lastEpochTest, from: h, evalAfter: 2).accuracy, 65)
        // eval_after beyond the run: the last evaluated epoch counts.
        XCTAssertEqual(Trainer.select(.bestTestOverEpochs, from: h, evalAfter: 10).epoch, 3)
    }

    func testRecipeFieldAndOfficialValues() throws {
        // Every DA-VPT / DA-VPT+ VTAB/FGVC recipe carries the official config's eval_after (60–90 of 100 epochs; the
        // tasks without a config, that of the analogous task their recipe names).
        var seen = 0
        for bench in ["vtab1k", "fgvc"] { for method in ["da-vpt", "da-vpt-plus"] {
            let d = Self.root.appendingPathComponent("recipes/\(bench)/\(method)")
            for f in try FileManager.default.contentsOfDirectory(atPath: d.path) where f.hasSuffix(".yaml") {
                let r = try Recipe.load(d.appendingPathComponent(f))
                let e = try XCTUnwrap(r.evalAfter, "\(bench)/\(f)")
                XCTAssertTrue((60...90).contains(e) && e < r.epochs, "\(bench)/\(f): eval_after \(e)")
                seen += 1
            }
        } }
        XCTAssertEqual(seen, 2 * 24)
        XCTAssertEqual(try Recipe.load(Self.root.appendingPathComponent("recipes/vtab1k/da-vpt/dtd.yaml")).evalAfter, 90)  // vitb_dtd.yaml:16
        XCTAssertEqual(try Recipe.load(Self.root.appendingPathComponent("recipes/fgvc/da-vpt/cub200.yaml")).evalAfter, 80)  // vitb_cub200.yaml:17
        XCTAssertNil(try Recipe.load(Self.root.appendingPathComponent("recipes/mini/da-vpt.yaml")).evalAfter)
    }

    /// The trainer skips per-epoch test evaluations before eval_after and the run's number comes from the later epochs.
    func testTrainerAndRunnerHonourEvalAfter() throws {
        Threads.set(2)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("eval-after-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try Safetensors.write(ViT(BackboneZoo.miniConfig, seed: 3).exportTensors(.timm), to: dir.appendingPathComponent("vit-mini.safetensors"))
        let recipe = dir.appendingPathComponent("r.yaml")
        try """
        method: linear
        options: {}
        optimizer: {kind: sgd, momentum: 0.9}
        lr: 0.5
        weight_decay: 0.0
        schedule: {kind: constant}
        epochs: 3
        batch_size: 200
        eval_batch_size: 250
        official_selection: best-test-over-epochs
        clean_selection: last-epoch-test
        pipeline: builtin
        eval_after: 1
        """.write(to: recipe, atomically: true, encoding: .utf8)
        let cell = Cell(key: .init(benchmark: "mini", dataset: "shapes", method: "linear", backbone: "vit-mini"), recipeFile: recipe,
                        source: .builtin(.shapes), splits: SplitPlan(train: "train800", val: "val200", test: "test"))
        var o = RunOptions(runs: dir.appendingPathComponent("runs"), weights: dir.appendingPathComponent("vit-mini.safetensors"), testCount: 200, quiet: true)
        o.checkWeightsHash = false
        let s = try Runner.run(cell, seed: 0, options: o)
        let h = try RunStore.metrics(in: RunStore.folder(runs: o.runs, cell: cell.id, seed: 0))
        XCTAssertNil(h[0].testAccuracy, "no test evaluation before eval_after")
        XCTAssertNotNil(h[1].testAccuracy); XCTAssertNotNil(h[2].testAccuracy)
        XCTAssertGreaterThanOrEqual(s.official.epoch, 1)
        XCTAssertEqual(s.official.accuracy, max(h[1].testAccuracy!, h[2].testAccuracy!))
    }

    /// Which epochs test: V-PETL Bench's BitFit FGVC loop tests at ep % 10 == 9 and ep > 80 only (train_model_bitfit.py:59-68);
    /// DA-VPT every epoch from eval_after; ILM-VP (eval_every 1) every epoch; VPT (last-epoch-test) only the last.
    func testWhichEpochsTest() throws {
        func tested(_ rel: String) throws -> [Int] {
            let r = try Recipe.load(Self.root.appendingPathComponent(rel))
            return (0..<r.epochs).filter { Trainer.testsAfter(epoch: $0, epochs: r.epochs, recipe: r) }
        }
        let bitfit = try tested("recipes/fgvc/bias/cub200.yaml")
        XCTAssertEqual(bitfit, Array(stride(from: 9, through: 99, by: 10)))
        let r = try Recipe.load(Self.root.appendingPathComponent("recipes/fgvc/bias/cub200.yaml"))
        let h = bitfit.map { EpochMetrics(epoch: $0, lr: 0.1, trainLoss: 1, testAccuracy: $0 == 89 ? 91 : ($0 == 49 ? 95 : 80), wallSeconds: 1, imagesPerSecond: 1) }
        XCTAssertEqual(Trainer.select(r.officialSelection, from: h, evalAfter: r.evalAfter).epoch, 89, "the official best ranges over epochs 89 and 99 only")
        XCTAssertEqual(try tested("recipes/fgvc/da-vpt/cub200.yaml"), Array(80...99))
        XCTAssertEqual(try tested("recipes/ilm13/ilm-vp/dtd.yaml"), Array(0..<200))
        XCTAssertEqual(try tested("recipes/vtab1k/vpt-shallow.yaml"), [99])
    }
}

import XCTest
@testable import Bench
import Backbones
import Checkpoints
import Data
import Engine
import Methods
import Random

/// The runner and trainer on a small built-in cell: determinism, resume, skip, clear errors.
final class RunnerTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        Threads.set(2)
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("runner-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        // Random mini-shaped weights (the runner's hash check is off for these).
        let vit = ViT(BackboneZoo.miniConfig, seed: 3)
        try Safetensors.write(vit.exportTensors(.timm), to: dir.appendingPathComponent("vit-mini.safetensors"))
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func recipe(epochs: Int = 2, lr: Double = 0.5) throws -> URL {
        let text = """
        method: vpt-deep
        options: {NUM_TOKENS: 4, DEEP: true, DROPOUT: 0.1}
        optimizer: {kind: sgd, momentum: 0.9}
        lr: \(lr)
        lr_scaling: batch/256
        weight_decay: 0.001
        schedule: {kind: warmup-cosine-epoch, warmupEpochs: 1}
        epochs: \(epochs)
        batch_size: 100
        eval_batch_size: 250
        official_selection: last-epoch-test
        clean_selection: test-at-best-val-epoch
        pipeline: builtin
        """
        let u = dir.appendingPathComponent("recipe-\(epochs)-\(lr).yaml")
        try text.write(to: u, atomically: true, encoding: .utf8)
        return u
    }

    func cell(_ recipe: URL) -> Cell {
        Cell(key: .init(benchmark: "mini", dataset: "shapes", method: "vpt-deep", backbone: "vit-mini"), recipeFile: recipe,
             source: .builtin(.shapes), splits: SplitPlan(train: "train800", val: "val200", test: "test"))
    }

    func options(_ runs: String) -> RunOptions {
        var o = RunOptions(runs: dir.appendingPathComponent(runs), weights: dir.appendingPathComponent("vit-mini.safetensors"), testCount: 200, quiet: true)
        o.checkWeightsHash = false
        return o
    }

    func testSameCellSeedAndThreadsGiveIdenticalNumbers() throws {
        let r = try recipe()
        let a = try Runner.run(cell(r), seed: 1, options: options("a"))
        let b = try Runner.run(cell(r), seed: 1, options: options("b"))
        XCTAssertEqual(a.official, b.official)
        XCTAssertEqual(a.clean, b.clean)
        let ma = try RunStore.metrics(in: RunStore.folder(runs: dir.appendingPathComponent("a"), cell: a.cell, seed: 1))
        let mb = try RunStore.metrics(in: RunStore.folder(runs: dir.appendingPathComponent("b"), cell: b.cell, seed: 1))
        XCTAssertEqual(ma.map(\.trainLoss), mb.map(\.trainLoss))
        XCTAssertEqual(ma.count, 2)
        // A different seed trains differently.
        let c = try Runner.run(cell(r), seed: 2, options: options("a"))
        let mc = try RunStore.metrics(in: RunStore.folder(runs: dir.appendingPathComponent("a"), cell: c.cell, seed: 2))
        XCTAssertNotEqual(ma.map(\.trainLoss), mc.map(\.trainLoss))
    }

    func testFinishedRunIsSkipped() throws {
        let r = try recipe(epochs: 1)
        let a = try Runner.run(cell(r), seed: 0, options: options("s"))
        let summary = RunStore.folder(runs: dir.appendingPathComponent("s"), cell: a.cell, seed: 0).appendingPathComponent("summary.json")
        let before = try FileManager.default.attributesOfItem(atPath: summary.path)[.modificationDate] as! Date
        let t0 = Date()
        let b = try Runner.run(cell(r), seed: 0, options: options("s"))
        XCTAssertLessThan(Date().timeIntervalSince(t0), 1)
        XCTAssertEqual(a, b)
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: summary.path)[.modificationDate] as! Date, before)
    }

    /// A crash after epoch 0's checkpoint, then a fresh process-like restart, ends with the same numbers.
    func testResumeAfterCrashMatchesUninterrupted() throws {
        let r = try recipe(epochs: 3)
        let uninterrupted = try Runner.run(cell(r), seed: 4, options: options("u"))
        // Build the same trainer by hand to inject the crash.
        let opts = options("c")
        let c = cell(r)
        let folder = RunStore.folder(runs: opts.runs, cell: c.id, seed: 4)
        func trainer() throws -> Trainer {
            let recipe = try Recipe.load(r)
            let vit = try BackboneZoo.load("vit-mini", weights: opts.weights, checkHash: false)
            let (train, val, test) = try Runner.datasets(c, options: opts, imageSize: 32)
            let p = try Pipeline.make("builtin", size: 32)
            let method = try makeMethod("vpt-deep", setup: MethodSetup(backbone: .vit(vit), numClasses: 20, options: recipe.options, rng: RandomStream(4, 0x1A17)))
            func ev(_ d: any ImageDataset) -> DataLoader { DataLoader(dataset: d, pipeline: p, options: LoaderOptions(batchSize: 250, shuffle: false, train: false, seed: 4)) }
            let t = try Trainer(method: method, recipe: recipe, data: RunData(
                train: DataLoader(dataset: train, pipeline: p, options: LoaderOptions(batchSize: 100, shuffle: true, train: true, seed: 4)),
                val: val.map(ev), test: ev(test)), seed: 4, folder: folder)
            t.progress.quiet = true
            return t
        }
        let first = try trainer()
        first.crashAfterEpoch = 0
        XCTAssertThrowsError(try first.run())
        let resumed = try trainer().run()
        let u = try RunStore.metrics(in: RunStore.folder(runs: opts.runs.deletingLastPathComponent().appendingPathComponent("u"), cell: c.id, seed: 4))
        XCTAssertEqual(resumed.map(\.trainLoss), u.map(\.trainLoss))
        XCTAssertEqual(resumed.last?.testAccuracy, uninterrupted.official.accuracy)
    }

    func testDivergingLossStopsWithAClearMessage() throws {
        let r = try recipe(epochs: 2, lr: 1e12)
        XCTAssertThrowsError(try Runner.run(cell(r), seed: 0, options: options("nan"))) { e in
            XCTAssertTrue("\(e)".contains("loss is"), "\(e)")
        }
    }

    /// The protocol's grid runs on train800 → val200, picks the best last-epoch val accuracy (ties → smaller lr)
    /// and records the choice in the final run's summary.
    func testGridSearchSelectsAndRecords() throws {
        let base = try String(contentsOf: try recipe(epochs: 1), encoding: .utf8)
        let u = dir.appendingPathComponent("grid.yaml")
        try (base + "\ngrid: {lr: [1.0e12, 0.5], weight_decay: [0.001]}\n").write(to: u, atomically: true, encoding: .utf8)
        let s = try Runner.run(cell(u), seed: 0, options: options("g"))
        XCTAssertEqual(s.selected["lr"], 0.5, "the diverging lr cannot win")
        XCTAssertEqual(s.selected["weight_decay"], 0.001)
        let gridDir = dir.appendingPathComponent("g").appendingPathComponent(s.cell).appendingPathComponent("grid")
        XCTAssertTrue(FileManager.default.fileExists(atPath: gridDir.appendingPathComponent("lr-0.5_wd-0.001/seed-0/summary.json").path))
        let cfg = try RunStore.readJSON(ResolvedRunConfig.self, from: gridDir.appendingPathComponent("lr-0.5_wd-0.001/seed-0/config.json"))
        XCTAssertEqual(cfg.splits["train"], "train800")
        XCTAssertEqual(cfg.splits["test"], "val200", "grid runs are scored on the validation split")
        // Equal points: the smaller lr wins.
        let v = dir.appendingPathComponent("tie.yaml")
        try (base + "\ngrid: {lr: [0.25, 0.25], weight_decay: [0.0]}\n").write(to: v, atomically: true, encoding: .utf8)
        XCTAssertEqual(try Runner.run(cell(v), seed: 0, options: options("t")).selected["lr"], 0.25)
    }

    /// Grid points are scored by last-epoch val accuracy (VPT), or by the best epoch (E2VPT's FGVC find_best_lrwd).
    func testGridScoreLastOrBestEpoch() {
        func m(_ e: Int, _ acc: Double?) -> EpochMetrics { EpochMetrics(epoch: e, lr: 0.1, trainLoss: 1, testAccuracy: acc, wallSeconds: 1, imagesPerSecond: 1) }
        let h = [m(0, 40), m(1, 70), m(2, nil), m(3, 55)]
        XCTAssertEqual(Runner.gridScore(h, score: nil), 55)
        XCTAssertEqual(Runner.gridScore(h, score: "last-epoch-val"), 55)
        XCTAssertEqual(Runner.gridScore(h, score: "best-val-over-epochs"), 70)
        XCTAssertNil(Runner.gridScore([m(0, nil)], score: nil))
        XCTAssertNil(Runner.gridScore([], score: "best-val-over-epochs"))
    }

    func testClearErrors() throws {
        XCTAssertThrowsError(try CellCatalog.cell(id: "mini/shapes/no-such-method/vit-mini")) { XCTAssertTrue("\($0)".contains("not implemented")) }
        XCTAssertThrowsError(try CellCatalog.cell(id: "not-a-cell")) { XCTAssertTrue("\($0)".contains("<benchmark>/<dataset>/<method>/<backbone>")) }
        // A real-data cell without --data-root says what to pass.
        let c = Cell(key: .init(benchmark: "vtab1k", dataset: "dtd", method: "vpt-deep", backbone: "vit-mini"), recipeFile: try recipe(),
                     source: .registry("vtab1k/dtd"), splits: SplitPlan(train: "train800val200", val: "val200", test: "test"))
        XCTAssertThrowsError(try Runner.run(c, seed: 0, options: options("x"))) { XCTAssertTrue("\($0)".contains("--data-root"), "\($0)") }
        var o = options("y"); o.dataRoot = dir.appendingPathComponent("nowhere")
        XCTAssertThrowsError(try Runner.run(c, seed: 0, options: o)) { XCTAssertTrue("\($0)".contains("does not exist"), "\($0)") }
    }
}

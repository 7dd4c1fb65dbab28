// Runs one (cell, seed): resolves the recipe, backbone, data and method, trains through the shared trainer,
// and writes the run folder. A folder with summary.json is finished and skipped; one with a checkpoint resumes.
import Backbones
import Data
import Engine
import Foundation
import Methods
import PaperTables
import Random

/// Options that apply to every run of an invocation.
public struct RunOptions: Sendable {
    public var runs: URL
    public var dataRoot: URL?
    public var weights: URL?
    /// Overrides the recipe's epochs (smoke tests, CI).
    public var epochs: Int?
    /// Overrides the number of test images of built-in tasks (default 1000).
    public var testCount: Int?
    public var quiet: Bool = false
    /// Tests load throwaway weights for built-in ids; users always get the hash check.
    public var checkWeightsHash: Bool = true
    /// Skip the recipe's hyper-parameter grid and train with the recipe's own lr / weight decay.
    public var skipGrid: Bool = false
    /// FGVC json label mapping: `official` (each split file's own sorted ids, KMnP/vpt json_dataset.py) or `fixed`.
    public var labelMapping: FGVCLabelMapping = .official
    public init(runs: URL, dataRoot: URL? = nil, weights: URL? = nil, epochs: Int? = nil, testCount: Int? = nil, quiet: Bool = false) {
        self.runs = runs; self.dataRoot = dataRoot; self.weights = weights; self.epochs = epochs; self.testCount = testCount; self.quiet = quiet
    }
}

/// The fully resolved configuration written to config.json.
public struct ResolvedRunConfig: Codable, Sendable {
    public var cell: String
    public var seed: Int
    public var recipeFile: String
    public var recipe: Recipe
    public var backbone: String
    /// The backbone's architecture: one of the three is set.
    public var backboneConfig: ViTConfig?
    public var resnetConfig: ResNetConfig?
    public var swinConfig: SwinConfig?
    public var data: String
    public var splits: [String: String]
    public var pipeline: String
    public var numClasses: Int
    public var threads: Int
}

/// metadata.json: where and when a run happened.
public struct RunMetadata: Codable, Sendable {
    public var gitCommit: String
    public var swiftVersion: String
    public var machine: MachineInfo
    public var started: String
    public var finished: String?
    /// Where the data came from (nil for built-in tasks and runs recorded before this field).
    public var data: RunDataRecord? = nil
}

public enum Runner {
    /// Runs `cell` with `seed` (or returns the existing summary). When the recipe has a grid, the grid runs come
    /// first (once per cell, under `runs/<cell-id>/grid/`), and the final run uses the selected values.
    @discardableResult
    public static func run(_ cell: Cell, seed: Int, options: RunOptions, log: (String) -> Void = { print($0) }) throws -> RunSummary {
        let folder = RunStore.folder(runs: options.runs, cell: cell.id, seed: seed)
        let summaryURL = folder.appendingPathComponent("summary.json")
        if FileManager.default.fileExists(atPath: summaryURL.path) {
            return try RunStore.readJSON(RunSummary.self, from: summaryURL)
        }
        // One process per run folder (run.lock, flock): a second submission of the same cell-seed stops here.
        let lock = try RunLock(folder: folder)
        defer { lock.release() }
        if FileManager.default.fileExists(atPath: summaryURL.path) {  // finished while we waited for the lock
            return try RunStore.readJSON(RunSummary.self, from: summaryURL)
        }
        let failedURL = folder.appendingPathComponent("failed.json")
        do {
            var selected: [String: Double] = [:]
            if let grid = try Recipe.load(cell.recipeFile).grid, !options.skipGrid {
                selected = try searchGrid(cell, grid, options: options, log: log)
            }
            let summary = try train(cell, seed: seed, folder: folder, overrides: selected, options: options, log: log)
            try? FileManager.default.removeItem(at: failedURL)
            return summary
        } catch {
            // failed.json (atomic) tells `bench status` why; a successful retry removes it.
            let f = RunFailure(cell: cell.id, seed: seed, error: "\(error)", time: ISO8601DateFormatter().string(from: Date()),
                               host: RunLock.host(), slurmJob: RunLock.slurmJob())
            try? RunStore.writeJSON(f, to: failedURL)
            throw error
        }
    }

    /// The protocol's grid: each (lr, weight decay) trains on the grid split (train800 for VTAB-style benchmarks,
    /// else train) and is scored on the validation split (last epoch, or best epoch: `grid.score`); returns the best point.
    public static func searchGrid(_ cell: Cell, _ grid: HyperGrid, options: RunOptions, log: (String) -> Void) throws -> [String: Double] {
        guard let val = cell.splits.val else { throw CellError(message: "cell \(cell.id): the recipe has a grid but the benchmark has no validation split") }
        var gridCell = cell
        gridCell.splits = SplitPlan(train: cell.splits.train == "train800val200" ? "train800" : cell.splits.train, val: nil, test: val)
        var best: (acc: Double, lr: Double, wd: Double)? = nil
        for (lr, wd) in grid.points {
            let folder = options.runs.appendingPathComponent(cell.id).appendingPathComponent("grid")
                .appendingPathComponent("lr-\(lr)_wd-\(wd)").appendingPathComponent("seed-0")
            _ = try train(gridCell, seed: 0, folder: folder, overrides: ["lr": lr, "weight_decay": wd], options: options, log: log)
            // Last-epoch validation accuracy (VPT tune_vtab.py find_best_lrwd), whatever the recipe reports; or the best
            // over epochs where the protocol reads every epoch's val line (E2VPT tune_fgvc_fiveRuns.py find_best_lrwd).
            guard let acc = gridScore(try RunStore.metrics(in: folder), score: grid.score) else {
                throw CellError(message: "\(folder.path): grid run has no validation accuracy")
            }
            // Strictly better only: ties keep the earlier (smaller lr, then smaller weight decay) point.
            if best == nil || acc > best!.acc { best = (acc, lr, wd) }
        }
        guard let b = best else { throw CellError(message: "cell \(cell.id): empty grid") }
        if !options.quiet { log(String(format: "%@: grid selected lr %g, weight_decay %g (val %.2f%%)", cell.id, b.lr, b.wd, b.acc)) }
        return ["lr": b.lr, "weight_decay": b.wd]
    }

    /// A grid run's score: its validation accuracy (in the test slot) after the last epoch, or its best over the evaluated
    /// epochs for `best-val-over-epochs`; nil when the run evaluated nothing.
    static func gridScore(_ metrics: [EpochMetrics], score: String?) -> Double? {
        score == "best-val-over-epochs" ? metrics.compactMap(\.testAccuracy).max() : metrics.last?.testAccuracy
    }

    /// One training run into `folder` (skipped when its summary exists), with optional lr / weight-decay overrides.
    /// `optionOverrides` replace method options of the recipe; `afterTraining` sees the trained method and its
    /// training loader before the summary is written (the E2VPT pruning driver computes importance there).
    static func train(_ cell: Cell, seed: Int, folder: URL, overrides: [String: Double], options: RunOptions,
                      optionOverrides: MethodOptions = [:], afterTraining: ((PromptMethod, DataLoader) throws -> Void)? = nil,
                      log: (String) -> Void) throws -> RunSummary {
        let summaryURL = folder.appendingPathComponent("summary.json")
        if FileManager.default.fileExists(atPath: summaryURL.path) {
            return try RunStore.readJSON(RunSummary.self, from: summaryURL)
        }
        var recipe = try Recipe.load(cell.recipeFile)
        if let e = options.epochs { recipe.epochs = e }
        if let lr = overrides["lr"] { recipe.lr = lr }
        if let wd = overrides["weight_decay"] { recipe.weightDecay = wd }
        for (k, v) in optionOverrides { recipe.options[k] = v }
        let backbone = try BackboneZoo.loadModel(cell.key.backbone, weights: options.weights, checkHash: options.checkWeightsHash)
        let backboneSize = try BackboneZoo.spec(cell.key.backbone).architecture.imageSize
        let pipeline = try Pipeline.make(recipe.pipeline, size: recipe.imageSize ?? backboneSize)
        // The data tree is checked (every split, every problem named) before any training.
        let (train, val, test, dataRecord) = try openData(cell, options: options, imageSize: backboneSize, log: log)
        let s = UInt64(seed)
        let trainLoader = DataLoader(dataset: train, pipeline: pipeline, options: LoaderOptions(
            batchSize: recipe.batchSize, shuffle: true, dropLast: recipe.dropLast ?? false, train: true, seed: s,
            classBalanced: recipe.classBalanced ?? false, samplesPerClass: recipe.samplesPerClass))
        func evalLoader(_ d: any ImageDataset) -> DataLoader {
            DataLoader(dataset: d, pipeline: pipeline, options: LoaderOptions(batchSize: recipe.evalBatchSize ?? 256, shuffle: false, train: false, seed: s))
        }
        let method = try makeMethod(cell.key.method, setup: MethodSetup(
            backbone: backbone, numClasses: train.numClasses, options: recipe.options, rng: RandomStream(s, 0x1A17),
            backboneId: cell.key.backbone))
        // Sidetune's pretrained side network comes from its own file beside the backbone's.
        if let st = method as? Sidetune { try SideNetworks.load(into: st, weights: options.weights, checkHash: options.checkWeightsHash) }
        let split = method.trainableSplit
        if !options.quiet {
            log("\(cell.id) seed \(seed): trainable \(split.prompts + split.head + split.other) (prompts \(split.prompts), head \(split.head), other \(split.other)) of \(split.model)")
        }
        let config = ResolvedRunConfig(
            cell: cell.id, seed: seed, recipeFile: cell.recipeFile.path, recipe: recipe, backbone: cell.key.backbone,
            backboneConfig: backbone.vit?.config, resnetConfig: backbone.resnet?.config, swinConfig: backbone.swin?.config, data: "\(cell.source)", splits: ["train": cell.splits.train, "val": cell.splits.val ?? "", "test": cell.splits.test],
            pipeline: recipe.pipeline, numClasses: train.numClasses, threads: Threads.count)
        try RunStore.writeJSON(config, to: folder.appendingPathComponent("config.json"))
        let started = ISO8601DateFormatter().string(from: Date())
        var meta = RunMetadata(gitCommit: gitCommit(), swiftVersion: swiftVersion(), machine: .current(), started: started, finished: nil,
                               data: dataRecord)
        try RunStore.writeJSON(meta, to: folder.appendingPathComponent("metadata.json"))

        let t0 = Date()
        let trainer = try Trainer(method: method, recipe: recipe, data: RunData(train: trainLoader, val: val.map(evalLoader), test: evalLoader(test)),
                                  seed: s, folder: folder, label: "\(cell.key.method) \(cell.key.dataset) s\(seed)")
        trainer.progress.quiet = options.quiet
        let history = try trainer.run()
        try afterTraining?(method, trainLoader)
        let ips = history.map(\.imagesPerSecond).reduce(0, +) / Double(max(history.count, 1))
        let summary = RunSummary(
            cell: cell.id, benchmark: cell.key.benchmark, dataset: cell.key.dataset, method: cell.key.method, backbone: cell.key.backbone,
            seed: seed, official: Trainer.select(recipe.officialSelection, from: history, evalAfter: recipe.evalAfter),
            clean: Trainer.select(recipe.cleanSelection, from: history, evalAfter: recipe.evalAfter),
            epochs: recipe.epochs, params: ParameterCounts(prompts: split.prompts, head: split.head, other: split.other, model: split.model),
            trainImagesPerSecond: ips, wallSeconds: Date().timeIntervalSince(t0), selected: overrides,
            variant: recipe.options.contains { $0.key.hasPrefix("FIXED_") && $0.value == .bool(true) } || dataRecord?.labelMapping == "fixed"
                ? "fixed" : "official", pipeline: recipe.pipeline,
            declaredDifferences: recipe.declaredDifferences.map { $0.map(\.footerText) })
        meta.finished = ISO8601DateFormatter().string(from: Date())
        try RunStore.writeJSON(meta, to: folder.appendingPathComponent("metadata.json"))
        try RunStore.writeJSON(summary, to: summaryURL)  // last: its presence marks the run finished
        return summary
    }

    /// Train / val / test datasets of a cell.
    static func datasets(_ cell: Cell, options: RunOptions, imageSize: Int) throws -> (any ImageDataset, (any ImageDataset)?, any ImageDataset) {
        let (tr, va, te, _) = try openData(cell, options: options, imageSize: imageSize)
        return (tr, va, te)
    }

    /// Train / val / test datasets of a cell and, for data read from disk, where it came from. A tree with
    /// problems is refused with all of them named (DataCheck.swift).
    static func openData(_ cell: Cell, options: RunOptions, imageSize: Int, log: (String) -> Void = { _ in })
        throws -> (any ImageDataset, (any ImageDataset)?, any ImageDataset, RunDataRecord?) {
        switch cell.source {
        case .builtin(let task):
            func split(_ s: String) throws -> BuiltinDataset {
                guard let v = VTABSplit(rawValue: s) else { throw CellError(message: "unknown built-in split \(s)") }
                return BuiltinDataset(task: task, split: v, seed: 0, size: imageSize, testCount: options.testCount ?? 1000)
            }
            return (try split(cell.splits.train), try cell.splits.val.map(split), try split(cell.splits.test), nil)
        case .registry(let id):
            guard let root = options.dataRoot else {
                throw CellError(message: "cell \(cell.id) reads \(id) from disk: pass --data-root DIR (see README, 'Data layout')")
            }
            guard FileManager.default.fileExists(atPath: root.path) else {
                throw CellError(message: "\(root.path): data root does not exist")
            }
            let (tr, va, te, record) = try DataCheck.open(id: id, root: root.path, plan: cell.splits, cell: cell.id,
                                                          labelMapping: options.labelMapping, log: options.quiet ? { _ in } : log)
            return (tr, va, te, record)
        }
    }

    static func shell(_ args: [String]) -> String? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = args
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return nil }
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { return nil }
        return String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func gitCommit() -> String {
        guard let c = shell(["git", "rev-parse", "HEAD"]) else { return "unknown" }
        let dirty = (shell(["git", "status", "--porcelain", "--untracked-files=no"]) ?? "").isEmpty ? "" : "-dirty"
        return c + dirty
    }

    static func swiftVersion() -> String {
        #if swift(>=6.3)
        return "6.3+"
        #else
        return "6.x"
        #endif
    }
}

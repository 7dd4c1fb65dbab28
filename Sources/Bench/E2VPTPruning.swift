// The official E2VPT pruning + rewinding protocol end to end (tune_vtab_PruningRewind_CVK.py, spec e2vpt.md §6):
//   1. grid: every (lr, weight decay) of the recipe's grid on train800 → val200 with trainable masks;
//   2. before pruning: the selected point once on the grid split (masks trainable), then
//   3. importance: signed mean gradient of the loss w.r.t. the token and piece masks over the training batches,
//   4. mask schedule: nested mask sets per cumulative count, written as the official JSON files
//      (mask_tokens/{n}_soft_tokens_to_mask.json, mask_tokens_pieces/{m}_soft_tokens_pieces_to_mask.json);
//   5. rewind: a fresh model per (token count, piece count) with those masks fixed, trained on the grid split and
//      scored by last-epoch validation accuracy; best wins, ties → more masked tokens (find_best_MtMtp);
//   6. final: every seed on the cell's own split with the chosen masks; the mean last-epoch test accuracy.
// FGVC cells follow tune_fgvc_PruningRewind.py instead: the grid point is chosen by the best validation accuracy over
// epochs (:265-312), rewinds by last-epoch validation, and the final seeds report the recipe's official number.
// Everything lives under runs/<cell-id>/prune/; finished runs are skipped, so a killed driver resumes.
import Engine
import Foundation
import Methods

/// What the pruning protocol chose and reached (written to runs/<cell-id>/prune/prune.json).
public struct E2VPTPruneResult: Codable, Sendable, Equatable {
    public var cell: String
    public var lr: Double
    public var weightDecay: Double
    public var tokenImportance: [Float]
    public var pieceImportance: [[Float]]
    /// Validation accuracy of every rewind run, keyed "t<tokens>_p<pieces>".
    public var rewindValAccuracy: [String: Double]
    public var maskedTokens: Int
    public var maskedPieces: Int
    public var seeds: [Int]
    /// Each final seed's official accuracy (VTAB: last-epoch test, as E2VPT reports), and their mean.
    public var finalTestAccuracy: [Double]
    public var meanTestAccuracy: Double
}

public enum E2VPTPruning {
    /// The protocol's folder for a cell.
    public static func folder(runs: URL, cell: Cell) -> URL {
        runs.appendingPathComponent(cell.id).appendingPathComponent("prune")
    }

    /// Runs the whole protocol. `tokenCounts` / `pieceCounts` restrict the rewind grid to some of the scheduled
    /// counts (default: all, as the official code); `optionOverrides` replace recipe options in every stage.
    public static func run(_ cell: Cell, seeds: [Int], options: RunOptions, tokenCounts: [Int]? = nil, pieceCounts: [Int]? = nil,
                           optionOverrides: MethodOptions = [:], log: (String) -> Void = { print($0) }) throws -> E2VPTPruneResult {
        guard cell.key.method == "e2vpt" else { throw CellError(message: "cell \(cell.id): the pruning protocol is E2VPT's (method e2vpt)") }
        guard let val = cell.splits.val else { throw CellError(message: "cell \(cell.id): pruning needs a validation split") }
        let recipe = try Recipe.load(cell.recipeFile)
        let root = folder(runs: options.runs, cell: cell)
        // Masks exist (and train) in every stage before rewinding: MASK_CLS_TOKEN is the pruning commands' default.
        var opts = optionOverrides
        opts["MASK_CLS_TOKEN"] = .bool(true)
        var gridCell = cell
        let fgvc = cell.key.benchmark == "fgvc"
        // VTAB: grid/rewind runs train on train800 and score val200 in the test slot (last epoch). FGVC: they train on
        // train.json and keep val as val (scored every epoch), test as test (the official FGVC loops evaluate both).
        gridCell.splits = fgvc ? SplitPlan(train: cell.splits.train, val: val, test: cell.splits.test)
            : SplitPlan(train: cell.splits.train == "train800val200" ? "train800" : cell.splits.train, val: nil, test: val)
        /// The score that picks grid points and masks.
        func gridScore(_ f: URL) throws -> Double { fgvc ? try bestValAccuracy(f) : try lastAccuracy(f) }
        func rewindScore(_ f: URL) throws -> Double { fgvc ? try lastValAccuracy(f) : try lastAccuracy(f) }
        func say(_ s: String) { if !options.quiet { log(s) } }

        // 1. Grid (VTAB: last-epoch val; FGVC: best val over epochs; ties → smaller lr, then smaller weight decay).
        var lr = recipe.lr, wd = recipe.weightDecay
        if let grid = recipe.grid, !options.skipGrid {
            var best: (acc: Double, lr: Double, wd: Double)? = nil
            for (l, w) in grid.points {
                let f = root.appendingPathComponent("grid/lr-\(l)_wd-\(w)/seed-0")
                _ = try Runner.train(gridCell, seed: 0, folder: f, overrides: ["lr": l, "weight_decay": w], options: options,
                                     optionOverrides: opts, log: log)
                let acc = try gridScore(f)
                if best == nil || acc > best!.acc { best = (acc, l, w) }
            }
            if let b = best { (lr, wd) = (b.lr, b.wd) }
            say(String(format: "%@: grid selected lr %g, weight_decay %g", cell.id, lr, wd))
        }
        let hp = ["lr": lr, "weight_decay": wd]

        // 2–4. Before pruning, importance, mask files.
        let scoresURL = root.appendingPathComponent("importance.json")
        _ = try Runner.train(gridCell, seed: 0, folder: root.appendingPathComponent("before_pruning/seed-0"), overrides: hp, options: options,
                             optionOverrides: opts, afterTraining: { method, loader in
            guard let e = method as? any E2VPTMasking else { return }
            let reader = Trainer.reader(loader)(0)
            let scores = try e.importance { try reader() }
            let schedule = e.maskSchedule(tokens: scores.tokens, pieces: scores.pieces)
            for (n, set) in schedule.tokens { try E2VPT.writeMaskFiles(dir: root, tokens: (n, set), pieces: nil) }
            for (m, sets) in schedule.pieces { try E2VPT.writeMaskFiles(dir: root, tokens: nil, pieces: (m, sets)) }
            try RunStore.writeJSON(Importance(tokens: scores.tokens, pieces: scores.pieces), to: scoresURL)
        }, log: log)
        let scores = try RunStore.readJSON(Importance.self, from: scoresURL)
        let allTokens = try counts(root.appendingPathComponent("mask_tokens"), suffix: "_soft_tokens_to_mask.json")
        let allPieces = try counts(root.appendingPathComponent("mask_tokens_pieces"), suffix: "_soft_tokens_pieces_to_mask.json")
        let tCounts = allTokens.filter { tokenCounts?.contains($0) ?? true }, pCounts = allPieces.filter { pieceCounts?.contains($0) ?? true }
        guard !tCounts.isEmpty, !pCounts.isEmpty else {
            throw CellError(message: "\(cell.id): no rewind point: scheduled token counts \(allTokens), piece counts \(allPieces)")
        }
        say("\(cell.id): mask files in \(root.path) (token counts \(allTokens), piece counts \(allPieces))")

        // 5. Rewind runs with fixed masks (official file import), best last-epoch val; ties → larger token count.
        func maskOptions(_ t: Int, _ p: Int) -> MethodOptions {
            var o = opts
            o["REWIND_STATUS"] = .bool(true)
            o["REWIND_OUTPUT_DIR"] = .string(root.path)
            o["REWIND_MASK_CLS_TOKEN_NUM"] = .int(t)
            o["REWIND_MASK_CLS_TOKEN_PIECE_NUM"] = .int(p)
            return o
        }
        var accs: [String: Double] = [:], best: (acc: Double, t: Int, p: Int)? = nil
        for t in tCounts {
            for p in pCounts {
                let f = root.appendingPathComponent("rewind/t\(t)_p\(p)/seed-0")
                _ = try Runner.train(gridCell, seed: 0, folder: f, overrides: hp, options: options, optionOverrides: maskOptions(t, p), log: log)
                let acc = try rewindScore(f)
                accs["t\(t)_p\(p)"] = acc
                if best == nil || acc > best!.acc || (acc == best!.acc && t > best!.t) { best = (acc, t, p) }
            }
        }
        let chosen = best!
        say(String(format: "%@: masks chosen: %d tokens, %d pieces per token (val %.2f%%)", cell.id, chosen.t, chosen.p, chosen.acc))

        // 6. Final seeds on the cell's split.
        var finals: [Double] = []
        for s in seeds {
            let f = root.appendingPathComponent("final/seed-\(s)")
            let summary = try Runner.train(cell, seed: s, folder: f, overrides: hp, options: options, optionOverrides: maskOptions(chosen.t, chosen.p), log: log)
            // The recipe's official number: last-epoch test for VTAB, the FGVC recipes' own rule for FGVC.
            finals.append(summary.official.accuracy)
        }
        let mean = finals.isEmpty ? .nan : finals.reduce(0, +) / Double(finals.count)
        let result = E2VPTPruneResult(cell: cell.id, lr: lr, weightDecay: wd, tokenImportance: scores.tokens, pieceImportance: scores.pieces,
                                      rewindValAccuracy: accs, maskedTokens: chosen.t, maskedPieces: chosen.p, seeds: seeds,
                                      finalTestAccuracy: finals, meanTestAccuracy: mean)
        try RunStore.writeJSON(result, to: root.appendingPathComponent("prune.json"))
        say(String(format: "%@: pruned E2VPT, mean last-epoch test accuracy %.2f%% over seeds %@", cell.id, mean, seeds.map(String.init).joined(separator: ",")))
        return result
    }

    struct Importance: Codable { var tokens: [Float]; var pieces: [[Float]] }

    /// Last-epoch accuracy on the run's evaluation split (val for grid / rewind runs, test for final runs).
    static func lastAccuracy(_ folder: URL) throws -> Double {
        guard let a = try RunStore.metrics(in: folder).last?.testAccuracy else {
            throw CellError(message: "\(folder.path): run has no last-epoch accuracy")
        }
        return a
    }

    /// Validation accuracy: best over epochs (FGVC grid) and at the last epoch (FGVC rewinds).
    static func bestValAccuracy(_ folder: URL) throws -> Double {
        guard let a = try RunStore.metrics(in: folder).compactMap(\.valAccuracy).max() else {
            throw CellError(message: "\(folder.path): run has no validation accuracy")
        }
        return a
    }

    static func lastValAccuracy(_ folder: URL) throws -> Double {
        guard let a = try RunStore.metrics(in: folder).last?.valAccuracy else {
            throw CellError(message: "\(folder.path): run has no last-epoch validation accuracy")
        }
        return a
    }

    /// The counts n of the `{n}<suffix>` files in a folder, ascending.
    static func counts(_ dir: URL, suffix: String) throws -> [Int] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.compactMap { $0.hasSuffix(suffix) ? Int($0.dropLast(suffix.count)) : nil }.sorted()
    }
}

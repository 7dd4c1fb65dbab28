// `bench run`, `bench reproduce` and the default job (the mini benchmark).
import ArgumentParser
import Bench
import Data
import Engine
import Foundation

/// Where runs, data and weights are.
struct LocationOptions: ParsableArguments {
    @Option(help: "Runs folder (runs/<cell-id>/seed-<n>/).") var runs = "runs"
    @Option(help: "Root folder of the datasets (see README, 'Data layout').") var dataRoot: String?
    @Option(help: "Folder (or file) holding backbone weights; default ./weights.") var weights: String?
    @Option(help: "Override the recipe's epochs (quick looks, CI smoke runs).") var epochs: Int?
    @Option(help: "Test images per built-in task (default 1000).") var testCount: Int?
    @Flag(help: "Skip the recipe's lr/weight-decay grid and use the recipe's own values.") var noGrid = false
    @Option(help: "FGVC label mapping: official (each split file's own sorted class ids, as KMnP/vpt) or fixed (train.json's ids for every split).")
    var labelMapping: FGVCLabelMapping = .official

    var options: RunOptions {
        var o = RunOptions(runs: URL(fileURLWithPath: runs), dataRoot: dataRoot.map { URL(fileURLWithPath: $0) },
                           weights: weights.map { URL(fileURLWithPath: $0) }, epochs: epochs, testCount: testCount)
        o.skipGrid = noGrid
        o.labelMapping = labelMapping
        return o
    }
}

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Train and evaluate one cell with one seed (resumes from its checkpoint).",
        discussion: "Example: bench run --cell mini/shapes/vpt-deep/vit-mini --seed 0")

    @OptionGroup var common: CommonOptions
    @OptionGroup var where_: LocationOptions
    @Option(help: "Cell id <benchmark>/<dataset>/<method>/<backbone>.") var cell: String?
    @Option(help: "Index into a frozen cell list (Slurm array tasks).") var cellIndex: Int?
    @Option(help: "Cell list file for --cell-index (one cell id and seed per line).") var cellList: String?
    @Option(help: "Seed.") var seed = 0

    func run() throws {
        common.apply()
        try exitingOnError {
            var id = cell, s = seed
            if let i = cellIndex {
                guard let list = cellList else { throw CellError(message: "--cell-index needs --cell-list FILE") }
                let lines = try Slurm.readCellList(try String(contentsOfFile: list, encoding: .utf8))
                guard i >= 0 && i < lines.count else { throw CellError(message: "\(list): index \(i) out of range 0..<\(lines.count)") }
                id = lines[i].cell; s = lines[i].seed
            }
            guard let id else { throw CellError(message: "pass --cell <id> (see `bench list`)") }
            let c = try CellCatalog.cell(id: id)
            let r = try Runner.run(c, seed: s, options: where_.options)
            print(String(format: "%@ seed %d: official %.2f (%@, epoch %d), clean %.2f (%@), %.0f img/s, %.0f s",
                         r.cell, r.seed, r.official.accuracy, r.official.rule, r.official.epoch + 1, r.clean.accuracy, r.clean.rule,
                         r.trainImagesPerSecond, r.wallSeconds))
        }
    }
}

/// Runs every runnable cell of a table for the given seeds, skipping finished ones, then writes the report.
func reproduce(table: String, seeds: [Int], shard: (Int, Int)?, matching: String?, location: LocationOptions,
               out: String, show: Selection, onlyMethods: Set<String>? = nil) throws -> Bool {
    var skipped: [CellReadiness] = []
    var cells = try CellCatalog.cells(table: table) { skipped.append($0) }
    if let only = onlyMethods { cells = cells.filter { only.contains($0.key.method) } }
    if let pattern = matching {
        cells = cells.filter { fnmatch(pattern, $0.id, 0) == 0 }
        skipped = skipped.filter { fnmatch(pattern, $0.key.id, 0) == 0 }
    }
    if !skipped.isEmpty {
        var byStatus: [String: Int] = [:]
        for r in skipped { byStatus[r.status.rawValue, default: 0] += 1 }
        print("\(table): \(skipped.count) cell(s) cannot start and are left out (" + byStatus.keys.sorted().map { "\($0) \(byStatus[$0]!)" }
            .joined(separator: ", ") + "); `bench list --table \(table)` says what each lacks")
    }
    var jobs: [(Cell, Int)] = []
    for c in cells { for s in seeds { jobs.append((c, s)) } }
    if let (i, n) = shard { jobs = jobs.enumerated().filter { $0.offset % n == i }.map(\.element) }
    print("\(table): \(jobs.count) runs (\(cells.count) cells × \(seeds.count) seed(s)) on \(MachineInfo.current().summary)")
    let t0 = Date()
    var failures: [String] = []
    for (k, (c, s)) in jobs.enumerated() {
        do {
            let r = try Runner.run(c, seed: s, options: location.options) { _ in }
            print(String(format: "[%d/%d] %@ seed %d: %.2f%%  (%.0f s)", k + 1, jobs.count, c.id, s, r.official.accuracy, r.wallSeconds))
        } catch {
            failures.append("\(c.id) seed \(s): \(error)")
            print("[\(k + 1)/\(jobs.count)] \(c.id) seed \(s): FAILED: \(error)")
        }
    }
    print(String(format: "finished in %.0f s", Date().timeIntervalSince(t0)))
    let spec = table == MiniBenchmark.tableId ? try MiniBenchmark.spec()
        : try TableSpec.resolve(id: table, paperTables: "paper-tables", baselines: "results/baselines")
    let runsURL = URL(fileURLWithPath: location.runs)
    let report = try Report.build(spec: spec, summaries: try RunStore.summaries(in: runsURL), runs: runsURL,
                                  options: ReportOptions(show: show, decimals: 1))
    for f in try report.write(to: URL(fileURLWithPath: out)) { print("wrote \(f.path)") }
    print("\n" + report.markdown)
    if !failures.isEmpty { print("\n\(failures.count) run(s) failed:\n" + failures.joined(separator: "\n")) }
    return failures.isEmpty
}

struct ReproduceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reproduce", abstract: "Run every runnable cell of a table (finished cells are skipped) and write its report.",
        discussion: "Example: bench reproduce --table mini --seeds 0,1,2")

    @OptionGroup var common: CommonOptions
    @OptionGroup var location: LocationOptions
    @Option(help: "Table id (`mini` or a paper-tables file stem; see `bench tables`).") var table: String
    @Option(help: "Comma-separated seeds.") var seeds = "0"
    @Option(help: "Run only shard i of n (i/n, 0-based).") var shard: String?
    @Option(help: "Only cells whose id matches this glob.") var cellsMatching: String?
    @Option(help: "Report folder.") var out = "results/reports"
    @Option(help: "Accuracy shown: official or clean.") var show: Selection = .official

    func run() throws {
        common.apply()
        let ok = try exitingOnError { () throws -> Bool in
            let s = seeds.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            var sh: (Int, Int)? = nil
            if let shard {
                let p = shard.split(separator: "/").compactMap { Int($0) }
                guard p.count == 2, p[1] > 0, p[0] >= 0, p[0] < p[1] else { throw CellError(message: "--shard must be i/n with 0 ≤ i < n") }
                sh = (p[0], p[1])
            }
            return try reproduce(table: table, seeds: s, shard: sh, matching: cellsMatching, location: location, out: out, show: show)
        }
        if !ok { throw ExitCode.failure }
    }
}

struct MiniCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mini", abstract: "Run the built-in mini benchmark (one seed) and print its table — the default job.",
        discussion: "Runs the 15 methods of MiniBenchmark.defaultMethods (the seed papers' methods and their common baselines); `bench reproduce --table mini` runs every method with a mini recipe.")

    @OptionGroup var common: CommonOptions
    @OptionGroup var location: LocationOptions
    @Option(help: "Comma-separated seeds.") var seeds = "0"

    func run() throws {
        common.apply()
        let s = seeds.split(separator: ",").compactMap { Int($0) }
        let ok = try exitingOnError { try reproduce(table: MiniBenchmark.tableId, seeds: s, shard: nil, matching: nil, location: location,
                                                     out: "results/reports", show: .official, onlyMethods: MiniBenchmark.defaultMethods) }
        if !ok { throw ExitCode.failure }
    }
}

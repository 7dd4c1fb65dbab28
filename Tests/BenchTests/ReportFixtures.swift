// Hand-made run sets for the report, check and plot tests, written into temporary folders.
import Foundation
import XCTest
@testable import Bench

/// A temporary runs folder filled with summary.json (and optionally metrics.jsonl / metadata.json) files.
final class RunSet {
    let root: URL
    var runs: URL { root.appendingPathComponent("runs") }

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("bench-report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("runs"), withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: root) }

    /// Writes one run's summary.json; `clean` defaults to `official − 1`.
    @discardableResult
    func add(benchmark: String = "toy", dataset: String, method: String, backbone: String = "bb", seed: Int,
             official: Double, clean: Double? = nil, params: Int = 500_000, selected: [String: Double] = [:],
             variant: String = "official", metrics: [EpochMetrics]? = nil, machine: [String: Any]? = nil,
             declared: [String]? = nil) throws -> URL {
        let cell = "\(benchmark)/\(dataset)/\(method)/\(backbone)"
        let s = RunSummary(cell: cell, benchmark: benchmark, dataset: dataset, method: method, backbone: backbone, seed: seed,
                           official: SelectedAccuracy(accuracy: official, rule: "best-test-over-epochs", epoch: 3),
                           clean: SelectedAccuracy(accuracy: clean ?? official - 1, rule: "last-epoch-test", epoch: 4),
                           epochs: 5, params: ParameterCounts(prompts: params - 100_000, head: 100_000, other: 0, model: 86_000_000),
                           trainImagesPerSecond: 100, wallSeconds: 10, selected: selected, variant: variant, pipeline: "builtin",
                           declaredDifferences: declared)
        let folder = RunStore.folder(runs: runs, cell: cell, seed: seed)
        try RunStore.writeJSON(s, to: folder.appendingPathComponent("summary.json"))
        if let ms = metrics {
            let enc = JSONEncoder(); enc.outputFormatting = [.sortedKeys]
            let text = try ms.map { String(decoding: try enc.encode($0), as: UTF8.self) }.joined(separator: "\n") + "\n"
            try RunStore.writeAtomically(Data(text.utf8), to: folder.appendingPathComponent("metrics.jsonl"))
        }
        if let m = machine {
            let data = try JSONSerialization.data(withJSONObject: ["machine": m], options: [.sortedKeys])
            try RunStore.writeAtomically(data, to: folder.appendingPathComponent("metadata.json"))
        }
        return folder
    }

    func summaries() throws -> [RunSummary] { try RunStore.summaries(in: runs) }
}

/// The repository root (for paper-tables/), from this file's path.
let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// A small paper-like table: datasets a, b; rows M1, M2 (run), M3 (reported-only), Ref (unranked reference).
func toySpec() -> TableSpec {
    func rep(_ v: String) -> ReportedNumber { ReportedNumber(value: Double(v)!, text: v, source: "toy paper, Table 1") }
    var reported: [SpecCell: ReportedNumber] = [:]
    func put(_ m: String, _ c: String, _ v: String) { reported[SpecCell(method: m, backbone: "bb", column: c)] = rep(v) }
    put("m1", "a", "80.5"); put("m1", "b", "71.0"); put("m1", "mean", "75.8"); put("m1", "params_m", "0.5")
    put("m2", "a", "79.0"); put("m2", "b", "69.0")
    put("m3", "a", "78.0"); put("m3", "b", "72.5"); put("m3", "mean", "75.3")
    put("ref", "a", "90.0"); put("ref", "b", "90.0"); put("ref", "mean", "90.0")
    return TableSpec(id: "toy", benchmark: "toy", backbone: "bb",
                     columns: TableSpec.columns(benchmark: "toy", datasets: ["a", "b"], meanRule: .datasets),
                     rows: [TableRow(method: "ref", backbone: "bb", label: "Ref", ranked: false),
                            TableRow(method: "m1", backbone: "bb", label: "M1", ranked: true),
                            TableRow(method: "m2", backbone: "bb", label: "M2", ranked: true),
                            TableRow(method: "m3", backbone: "bb", label: "M3", ranked: true)],
                     meanRule: .datasets, reported: reported, caption: "Table 1 of toy")
}

/// Runs for `toySpec`: M1 on a and b over 3 seeds, M2 on a only with one seed (a `fixed` variant).
func toyRuns() throws -> RunSet {
    let set = try RunSet()
    for (seed, acc) in [(0, 80.0), (1, 81.0), (2, 82.0)] {
        try set.add(dataset: "a", method: "m1", seed: seed, official: acc, selected: ["lr": 0.5, "weight_decay": 0.0001],
                    machine: seed == 0 ? ["blasCore": "Haswell", "threads": 2] : nil)
        try set.add(dataset: "b", method: "m1", seed: seed, official: 70.0, selected: ["lr": 0.5, "weight_decay": 0.0001])
    }
    try set.add(dataset: "a", method: "m2", seed: 0, official: 81.04, variant: "fixed")
    return set
}

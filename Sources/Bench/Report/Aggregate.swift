// Groups run summaries by (method, dataset, backbone) over seeds: mean and sample std of the shown accuracy.
import Foundation

/// Identity of a reproduced cell within one benchmark.
public struct RunKey: Hashable, Comparable, Sendable {
    public var method, dataset, backbone: String
    public init(method: String, dataset: String, backbone: String) { self.method = method; self.dataset = dataset; self.backbone = backbone }
    public static func < (a: RunKey, b: RunKey) -> Bool { (a.method, a.dataset, a.backbone) < (b.method, b.dataset, b.backbone) }
}

/// The runs of one cell over seeds.
public struct CellAggregate: Sendable, Equatable {
    public var key: RunKey
    public var benchmark: String
    /// Seeds, ascending, and the shown accuracy of each (same order).
    public var seeds: [Int]
    public var accuracies: [Double]
    public var mean: Double
    /// Sample standard deviation (divides by n − 1); nil when there is one seed, since one run has no spread.
    public var std: Double?
    /// The selection rule each seed's summary names for the shown accuracy (same order as `seeds`).
    public var seedRules: [String]
    /// Those rules, distinct, sorted.
    public var rules: [String] { Array(Set(seedRules)).sorted() }
    /// Run variants (`official`, `fixed`), distinct, sorted.
    public var variants: [String]
    /// The recipes' declared differences from their official sources (RunSummary.declaredDifferences), distinct, sorted.
    public var declaredDifferences: [String] = []
    /// Trainable parameters (prompts + head + other) in millions, mean over seeds.
    public var paramsM: Double
    /// Selected hyper-parameters per seed, only seeds whose summary carries some.
    public var selected: [Int: [String: Double]]
    public var selection: Selection
    /// The `selection` column of the long CSV: `official:<rule>`.
    public var selectionText: String { "\(selection.rawValue):\(rules.joined(separator: ";"))" }
}

/// Builds `CellAggregate`s from summaries.
public enum RunAggregator {
    /// Mean and sample std (n − 1); std is nil for n = 1.
    public static func meanStd(_ xs: [Double]) -> (mean: Double, std: Double?) {
        let n = Double(xs.count)
        let m = xs.reduce(0, +) / n
        guard xs.count > 1 else { return (m, nil) }
        let ss = xs.reduce(0) { $0 + ($1 - m) * ($1 - m) }
        return (m, (ss / (n - 1)).squareRoot())
    }

    /// Groups summaries (optionally only one benchmark's). Two summaries with the same key and seed (e.g. the same
    /// method/dataset/backbone under two benchmarks when no benchmark is given) are an error naming both cells.
    public static func aggregate(_ summaries: [RunSummary], show: Selection, benchmark: String? = nil) throws -> [RunKey: CellAggregate] {
        var groups: [RunKey: [RunSummary]] = [:]
        for s in summaries where benchmark == nil || s.benchmark == benchmark {
            let k = RunKey(method: s.method, dataset: s.dataset, backbone: s.backbone)
            if let dup = groups[k]?.first(where: { $0.seed == s.seed }) {
                throw ReportError.ambiguousRuns("two runs for \(k.method)/\(k.dataset)/\(k.backbone) seed \(s.seed): \(dup.cell) and \(s.cell); choose one benchmark")
            }
            groups[k, default: []].append(s)
        }
        var out: [RunKey: CellAggregate] = [:]
        for (k, runs) in groups {
            let sorted = runs.sorted { $0.seed < $1.seed }
            let accs = sorted.map { show.accuracy($0).accuracy }
            let (m, sd) = meanStd(accs)
            var selected: [Int: [String: Double]] = [:]
            for r in sorted where !r.selected.isEmpty { selected[r.seed] = r.selected }
            out[k] = CellAggregate(
                key: k, benchmark: sorted[0].benchmark, seeds: sorted.map { $0.seed }, accuracies: accs, mean: m, std: sd,
                seedRules: sorted.map { show.accuracy($0).rule },
                variants: Array(Set(sorted.map { $0.variant })).sorted(),
                declaredDifferences: Array(Set(sorted.flatMap { $0.declaredDifferences ?? [] })).sorted(),
                paramsM: sorted.map { Double($0.params.total) / 1e6 }.reduce(0, +) / Double(sorted.count),
                selected: selected, selection: show)
        }
        return out
    }

    /// The machines the runs ran on, from each run folder's metadata.json (`machine.blasCore`/`threads`, or the same
    /// keys at top level); distinct one-line descriptions, sorted. Runs without metadata.json are counted apart.
    public static func machines(runs: URL, summaries: [RunSummary]) -> (descriptions: [String], withoutMetadata: Int) {
        var set = Set<String>()
        var without = 0
        for s in summaries {
            let url = RunStore.folder(runs: runs, cell: s.cell, seed: s.seed).appendingPathComponent("metadata.json")
            guard let data = FileManager.default.contents(atPath: url.path),
                  let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { without += 1; continue }
            let m = (obj["machine"] as? [String: Any]) ?? obj
            let core = (m["blasCore"] as? String) ?? "unknown core"
            let threads = (m["threads"] as? Int).map { "\($0) thread\($0 == 1 ? "" : "s")" } ?? "unknown threads"
            var d = "openblas \(core), \(threads)"
            if let cpu = m["cpu"] as? String { d += ", \(cpu)" }
            set.insert(d)
        }
        return (set.sorted(), without)
    }
}

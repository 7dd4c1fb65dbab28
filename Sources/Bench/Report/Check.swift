// `bench check`: the current runs against a baseline (long results CSV). A cell fails when its accuracy fell by
// more than the tolerance (absolute points) or when the runs lack it; improvements beyond it are listed as info.
import Foundation
import PaperTables

/// One compared cell.
public struct CheckFinding: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable { case regression = "REGRESSION", missing = "MISSING", improved = "IMPROVED", new = "NEW" }
    public var kind: Kind
    public var cell: String
    public var baseline: Double?
    public var current: Double?

    public var description: String {
        func f(_ v: Double?) -> String { v.map { Format.fixed($0, 2) } ?? "–" }
        switch kind {
        case .regression, .improved:
            let d = (current ?? 0) - (baseline ?? 0)
            return "\(kind.rawValue) \(cell): baseline \(f(baseline)), now \(f(current)) (\(d >= 0 ? "+" : "")\(Format.fixed(d, 2)))"
        case .missing: return "MISSING \(cell): baseline \(f(baseline)), no finished run (summary.json) for it"
        case .new: return "NEW \(cell): \(f(current)), not in the baseline"
        }
    }
}

/// Result of a check; `passed` is false iff a cell regressed or is missing.
public struct CheckOutcome: Sendable {
    public var findings: [CheckFinding]
    /// Lines printed first that do not change the exit status (e.g. the runs' BLAS core differs from the baseline's).
    public var warnings: [String] = []
    /// Cells found both in the baseline and in the runs.
    public var compared: Int
    public var tolerance: Double
    public var passed: Bool { !findings.contains { $0.kind == .regression || $0.kind == .missing } }
    /// The process exit status `bench check` uses: 0 passed, 1 a cell regressed or is missing
    /// (2, "could not run", is the CLI's for thrown errors).
    public var exitStatus: Int32 { passed ? 0 : 1 }

    /// Failures first, then info; one line each, then a summary line.
    public var text: String {
        let order: [CheckFinding.Kind] = [.regression, .missing, .improved, .new]
        var lines = warnings.map { "WARNING " + $0 } + order.flatMap { k in findings.filter { $0.kind == k }.map { $0.description } }
        let bad = findings.filter { $0.kind == .regression || $0.kind == .missing }.count
        lines.append(passed ? "check passed: \(compared) cell(s) compared, none fell by more than \(Format.fixed(tolerance, 2)) points"
                            : "check FAILED: \(bad) cell(s) regressed by more than \(Format.fixed(tolerance, 2)) points or missing; \(compared) compared")
        return lines.joined(separator: "\n") + "\n"
    }
}

/// Compares runs with a baseline, and writes baselines.
public enum RegressionCheck {
    /// Aggregate rows (`mean`, group means) are skipped: they follow from the per-dataset cells that are checked.
    /// A baseline written under one selection (`official:`/`clean:`) cannot be checked against the other.
    public static func run(baseline: [BaselineCell], baselineFile: String, summaries: [RunSummary], show: Selection,
                           tolerance: Double) throws -> CheckOutcome {
        let aggs = try RunAggregator.aggregate(summaries, show: show)
        var findings: [CheckFinding] = []
        var compared = 0
        var seen = Set<RunKey>()
        for b in baseline where !KnownIds.meanColumns.contains(b.dataset) {
            guard let base = b.mean else { continue }  // reported-only row: nothing of ours to compare
            if let sel = b.selection.split(separator: ":").first, !sel.isEmpty, sel != show.rawValue {
                throw ReportError.badBaseline(file: baselineFile, line: 0,
                                              message: "baseline cell \(b.id) holds the '\(sel)' accuracy; run check with --show \(sel)")
            }
            let k = RunKey(method: b.method, dataset: b.dataset, backbone: b.backbone)
            seen.insert(k)
            guard let a = aggs[k] else {
                findings.append(CheckFinding(kind: .missing, cell: b.id, baseline: base, current: nil)); continue
            }
            compared += 1
            // 1e-9 absorbs the 4-decimal rounding of the stored baseline.
            if a.mean < base - tolerance - 1e-9 {
                findings.append(CheckFinding(kind: .regression, cell: b.id, baseline: base, current: a.mean))
            } else if a.mean > base + tolerance + 1e-9 {
                findings.append(CheckFinding(kind: .improved, cell: b.id, baseline: base, current: a.mean))
            }
        }
        for k in aggs.keys.sorted() where !seen.contains(k) {
            findings.append(CheckFinding(kind: .new, cell: "\(k.method)/\(k.dataset)/\(k.backbone)", baseline: nil, current: aggs[k]!.mean))
        }
        return CheckOutcome(findings: findings, compared: compared, tolerance: tolerance)
    }

    /// Checks the runs under `runs` against the baseline file, with a warning when the runs' OpenBLAS core (metadata.json)
    /// differs from the one the baseline records.
    public static func run(baselineFile: String, runs: URL, summaries: [RunSummary], show: Selection, tolerance: Double) throws -> CheckOutcome {
        let doc = try BaselineFile.readDocument(file: baselineFile)
        var out = try run(baseline: doc.cells, baselineFile: baselineFile, summaries: summaries, show: show, tolerance: tolerance)
        let used = blasCores(runs: runs, summaries: summaries)
        if let w = blasCoreWarning(recorded: doc.blasCores, used: used.cores, withoutCore: used.withoutCore, baselineFile: baselineFile) {
            out.warnings.append(w)
        }
        return out
    }

    /// The OpenBLAS cores the runs used (`machine.blasCore` in each run's metadata.json), sorted; runs whose
    /// metadata.json is absent or names no core are counted apart.
    public static func blasCores(runs: URL, summaries: [RunSummary]) -> (cores: [String], withoutCore: Int) {
        var cores = Set<String>()
        var without = 0
        for s in summaries {
            let url = RunStore.folder(runs: runs, cell: s.cell, seed: s.seed).appendingPathComponent("metadata.json")
            guard let data = FileManager.default.contents(atPath: url.path),
                  let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let core = ((obj["machine"] as? [String: Any]) ?? obj)["blasCore"] as? String, !core.isEmpty else { without += 1; continue }
            cores.insert(core)
        }
        return (cores.sorted(), without)
    }

    /// One warning line when the BLAS cores cannot be compared or differ; nil when the runs used exactly the recorded core(s).
    /// A different core sums floats in another order (README, Determinism), so a cell can move by more than rounding.
    public static func blasCoreWarning(recorded: [String]?, used: [String], withoutCore: Int, baselineFile: String) -> String? {
        func names(_ cs: [String]) -> String { cs.joined(separator: ", ") }
        let fix = "re-record it under this core (bench check --write-baseline \(baselineFile) --runs DIR) or run under the recorded one (OPENBLAS_CORETYPE)"
        guard let recorded = recorded, !recorded.isEmpty else {
            return used.isEmpty ? nil
                : "BLAS core unknown for the baseline: \(baselineFile) records none (no '# blas_core:' line), the runs used \(names(used)); \(fix)"
        }
        if used.isEmpty {
            return "BLAS core unknown for the runs (no metadata.json naming machine.blasCore in \(withoutCore) run(s)); \(baselineFile) was recorded with \(names(recorded))"
        }
        if Set(used) != Set(recorded) {
            return "BLAS core differs: the runs used \(names(used)), \(baselineFile) was recorded with \(names(recorded)); "
                + "a different OpenBLAS kernel sums floats in another order, so cells can move by more than rounding; \(fix)"
        }
        return nil
    }

    /// Baseline cells from the current runs (optionally one benchmark), sorted by method, dataset, backbone.
    public static func baselineCells(summaries: [RunSummary], show: Selection, benchmark: String? = nil) throws -> [BaselineCell] {
        let aggs = try RunAggregator.aggregate(summaries, show: show, benchmark: benchmark)
        return aggs.keys.sorted().map { k in
            let a = aggs[k]!
            return BaselineCell(method: k.method, dataset: k.dataset, backbone: k.backbone, seeds: a.seeds, mean: a.mean,
                                std: a.std, reported: nil, selection: a.selectionText, variant: a.variants.joined(separator: ";"))
        }
    }
}

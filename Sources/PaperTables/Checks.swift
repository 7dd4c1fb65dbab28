// Checks on transcribed tables: printed means recompute from their row, marks agree with values.
import Foundation
import Tabular

/// Per-table facts that the checks need, from paper-tables/tables.csv.
public struct TableMeta: Equatable, Sendable {
    public var file, paper, table, caption, source: String
    /// "printed": the source bolds the best and underlines the second-best; "bold": it bolds the best only (no
    /// underline convention, e.g. ILM-VP's Table 1); "none": it has no marks (or loses them).
    public var marks: String
    /// Row labels the paper does not rank (e.g. full fine-tuning printed as a reference).
    public var unranked: Set<String>
    /// How `mean` is formed: "datasets" (mean over the benchmark's datasets) or "groups" (mean of group means).
    public var meanRule: String
    public var missing: String
    /// Empty for a paper's own table; else who quotes the numbers ("VFPT (NeurIPS 2024), Table S1"): the paper's own
    /// text was not reachable, and reports say the numbers are a quote.
    public var quotedBy: String = ""

    public static let header = ["file", "paper", "table", "caption", "source", "marks", "unranked", "mean_rule", "missing", "quoted_by"]

    public static func load(path: String) throws -> [String: TableMeta] {
        let (hdr, recs) = try CSVReader.read(file: path)
        guard hdr == header else { throw CSVError(file: path, line: 1, message: "expected header \(header.joined(separator: ","))") }
        var out: [String: TableMeta] = [:]
        for r in recs {
            let f = r.fields
            guard ["printed", "bold", "none"].contains(f[5]) else { throw CSVError(file: path, line: r.line, message: "marks must be printed, bold or none, found '\(f[5])'") }
            guard ["datasets", "groups"].contains(f[7]) else { throw CSVError(file: path, line: r.line, message: "mean_rule must be datasets or groups, found '\(f[7])'") }
            let un = Set(f[6].split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
            out[f[0]] = TableMeta(file: f[0], paper: f[1], table: f[2], caption: f[3], source: f[4], marks: f[5],
                                  unranked: un, meanRule: f[7], missing: f[8], quotedBy: f[9])
        }
        return out
    }
}

/// A printed inconsistency that is in the paper itself, from paper-tables/known-inconsistencies.csv.
public struct KnownInconsistency: Hashable, Sendable {
    public var file, method, backbone, dataset, check, printed, expected, reason: String
    public static let header = ["file", "method", "backbone", "dataset", "check", "printed", "expected", "reason"]

    public static func load(path: String) throws -> [KnownInconsistency] {
        let (hdr, recs) = try CSVReader.read(file: path)
        guard hdr == header else { throw CSVError(file: path, line: 1, message: "expected header \(header.joined(separator: ","))") }
        return try recs.map { r in
            let f = r.fields
            guard ["mean", "mark"].contains(f[4]), !f[7].isEmpty else {
                throw CSVError(file: path, line: r.line, message: "check must be mean or mark and reason must not be empty")
            }
            return KnownInconsistency(file: f[0], method: f[1], backbone: f[2], dataset: f[3], check: f[4],
                                      printed: f[5], expected: f[6], reason: f[7])
        }
    }
}

/// One failed check.
public struct CheckIssue: Equatable, CustomStringConvertible, Sendable {
    public var file: String, line: Int, method: String, backbone: String, dataset: String
    public var check: String  // "mean" or "mark"
    public var printed: String, expected: String
    public var description: String {
        "\(file):\(line): \(check) of \(method) [\(backbone)] \(dataset): printed '\(printed)', expected '\(expected)'"
    }
    func matches(_ k: KnownInconsistency) -> Bool {
        (file as NSString).lastPathComponent == k.file && method == k.method && backbone == k.backbone
            && dataset == k.dataset && check == k.check
    }
}

/// Result of checking tables: issues not explained by known-inconsistencies.csv fail the check.
public struct CheckReport: Sendable {
    public var unexplained: [CheckIssue] = []
    public var acknowledged: [CheckIssue] = []
    /// Listed inconsistencies that no longer occur (the list must not rot).
    public var stale: [KnownInconsistency] = []
    public var meansChecked = 0
    public var marksChecked = 0
    public var ok: Bool { unexplained.isEmpty && stale.isEmpty }
    public var text: String {
        var s = "means checked: \(meansChecked), marks checked: \(marksChecked), acknowledged: \(acknowledged.count)\n"
        for i in unexplained { s += "FAIL \(i)\n" }
        for k in stale { s += "STALE known inconsistency: \(k.file) \(k.method) \(k.dataset) \(k.check)\n" }
        return s
    }
}

/// The checks. Rounding rule for means: the mean is recomputed (in Double)
/// from the printed inputs and accepted iff |recomputed − printed| ≤ ½·10^(−d) (+1e−9), d = decimals
/// printed in the mean; i.e. the printed mean is the recomputed one rounded to d places, ties either way.
public enum TableChecker {
    static func key(_ r: ReportedRow) -> String { "\(r.backbone)|\(r.method)" }

    /// Mean issues of one table.
    public static func meanIssues(_ t: PaperTable, meta: TableMeta?, checked: inout Int) -> [CheckIssue] {
        var issues: [CheckIssue] = []
        var byRow: [String: [String: ReportedRow]] = [:]
        var order: [String] = []
        var columns = Set<String>()
        for r in t.rows {
            if byRow[key(r)] == nil { order.append(key(r)) }
            byRow[key(r), default: [:]][r.dataset] = r
            columns.insert(r.dataset)
        }
        for k in order {
            let cells = byRow[k]!
            for col in KnownIds.meanColumns {
                guard let m = cells[col], let printed = m.value else { continue }
                var parts: [String]
                if col == "mean" && (meta?.meanRule ?? "datasets") == "groups" {
                    parts = ["mean_natural", "mean_specialized", "mean_structured"]
                } else {
                    parts = (KnownIds.datasets(averagedBy: col, benchmark: m.benchmark) ?? []).filter { columns.contains($0) }
                }
                let vals = parts.compactMap { cells[$0]?.value }
                guard !parts.isEmpty, vals.count == parts.count else { continue }  // not recomputable
                checked += 1
                let recomputed = vals.reduce(0, +) / Double(vals.count)
                let tol = 0.5 * pow(10, -Double(m.decimals)) + 1e-9
                if abs(recomputed - printed) > tol {
                    issues.append(CheckIssue(file: t.file, line: m.line, method: m.method, backbone: m.backbone, dataset: col,
                                             check: "mean", printed: m.valueText,
                                             expected: String(format: "%.\(m.decimals)f", recomputed)))
                }
            }
        }
        return issues
    }

    /// Mark issues of one table: within each column, over ranked rows, the best value is bold and the
    /// second-best distinct value underlined (ties share a mark; no underline where marks are "bold"); tables without
    /// printed marks must have none.
    public static func markIssues(_ t: PaperTable, meta: TableMeta?, checked: inout Int) -> [CheckIssue] {
        var issues: [CheckIssue] = []
        let marks = meta?.marks ?? "none"
        let printed = marks != "none", underlines = marks == "printed"
        let unranked = meta?.unranked ?? []
        var columns: [String: [ReportedRow]] = [:]
        for r in t.rows { columns[r.dataset, default: []].append(r) }
        for (col, rows) in columns {
            let ranked = rows.filter { !unranked.contains($0.method) && $0.value != nil }
            let distinct = Array(Set(ranked.compactMap { $0.value })).sorted(by: >)
            for r in rows {
                var expected = ""
                if printed, !unranked.contains(r.method), let v = r.value {
                    if v == distinct.first { expected = "bold" } else if underlines && distinct.count > 1 && v == distinct[1] { expected = "underline" }
                }
                checked += 1
                if r.mark != expected {
                    issues.append(CheckIssue(file: t.file, line: r.line, method: r.method, backbone: r.backbone, dataset: col,
                                             check: "mark", printed: r.mark, expected: expected))
                }
            }
        }
        return issues.sorted { $0.line < $1.line }
    }

    public static func check(tables: [PaperTable], meta: [String: TableMeta], known: [KnownInconsistency]) -> CheckReport {
        var report = CheckReport()
        var all: [CheckIssue] = []
        for t in tables {
            let m = meta[t.name]
            all += meanIssues(t, meta: m, checked: &report.meansChecked)
            all += markIssues(t, meta: m, checked: &report.marksChecked)
        }
        var used = Set<KnownInconsistency>()
        for i in all {
            if let k = known.first(where: { i.matches($0) }) { report.acknowledged.append(i); used.insert(k) }
            else { report.unexplained.append(i) }
        }
        let checkedFiles = Set(tables.map { $0.name })
        report.stale = known.filter { !used.contains($0) && checkedFiles.contains($0.file) }
        return report
    }

    /// Tables with no entry in tables.csv, and entries naming no table.
    public static func metaProblems(tables: [PaperTable], meta: [String: TableMeta]) -> [String] {
        let names = Set(tables.map { $0.name })
        return names.subtracting(meta.keys).sorted().map { "\($0): no line in tables.csv" }
            + Set(meta.keys).subtracting(names).sorted().map { "tables.csv names \($0), which does not exist" }
    }
}

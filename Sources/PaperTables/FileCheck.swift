// `bench tables --check FILE`: everything wrong with one table file a user wrote, each problem as file:line,
// in one pass — the CSV itself (header, ids, numbers, duplicates), its side-file entries (a tables.csv line, a
// method-ids.csv line per row label) and the checks every committed table passes (means recompute, marks agree).
import Foundation
import Tabular

/// The outcome of checking one table file.
public struct FileCheckResult: Sendable {
    public var file: String
    /// One line each, `file:line: what is wrong`.
    public var problems: [String] = []
    public var rows = 0
    public var meansChecked = 0
    public var marksChecked = 0
    public var acknowledged = 0
    public var ok: Bool { problems.isEmpty }
    public var summary: String {
        let name = (file as NSString).lastPathComponent
        return ok ? "\(name): OK — \(rows) rows, \(meansChecked) means and \(marksChecked) marks checked"
            + (acknowledged > 0 ? ", \(acknowledged) known inconsistencies acknowledged" : "")
            : "\(name): \(problems.count) problem(s) in \(rows) readable rows"
    }
}

public enum TableFileCheck {
    /// Checks `file` against the side files in `directory` (tables.csv, method-ids.csv, known-inconsistencies.csv).
    /// The file need not be inside `directory`: a table can be checked before it is copied into paper-tables/.
    public static func check(file: String, directory: String) -> FileCheckResult {
        var result = FileCheckResult(file: file)
        let name = (file as NSString).lastPathComponent
        func side(_ n: String) -> String { (directory as NSString).appendingPathComponent(n) }
        guard name.hasSuffix(".csv") else {
            result.problems.append("\(file): a paper table is a .csv file named <paper>_<benchmark>_<backbone>.csv")
            return result
        }
        guard !PaperTableLoader.sideFiles.contains(name) else {
            result.problems.append("\(file): \(name) is a side file of paper-tables/, not a table")
            return result
        }
        let table: PaperTable
        do {
            let (t, rowProblems) = try PaperTableLoader.read(file: file)
            table = t
            result.problems += rowProblems.map(\.description)
        } catch {
            result.problems.append("\(error)")
            return result
        }
        result.rows = table.rows.count
        guard let first = table.rows.first else {
            if result.problems.isEmpty { result.problems.append("\(file):2: the table has no rows") }
            return result
        }

        // One paper and one benchmark per file, as its name says (`<paper>_<benchmark>[-tag]_<backbone>.csv`).
        let parts = name.dropLast(4).split(separator: "_").map(String.init)
        if parts.count < 3 {
            result.problems.append("\(file): name must be <paper>_<benchmark>_<backbone>.csv (a tag may follow the benchmark: fgvc-t3)")
        } else {
            let benchmarkPart = parts[1].split(separator: "-").first.map(String.init) ?? parts[1]
            for r in table.rows where r.paper != parts[0] || r.benchmark != benchmarkPart {
                result.problems.append("\(file):\(r.line): row of paper '\(r.paper)', benchmark '\(r.benchmark)' in a file named for paper '\(parts[0])', benchmark '\(benchmarkPart)'")
                break
            }
        }

        // Every printed row label needs a suite method id.
        var ids: [String: MethodId] = [:]
        do { ids = try MethodId.load(path: side("method-ids.csv")) } catch { result.problems.append("\(error)") }
        var labelsSeen = Set<String>()
        let known = Set(ids.values.map(\.id)).sorted().joined(separator: ", ")
        for r in table.rows where labelsSeen.insert(r.method).inserted && ids["\(r.paper)|\(r.method)"] == nil {
            result.problems.append("\(file):\(r.line): row label '\(r.method)' has no line in \(side("method-ids.csv")); add "
                + "`\(r.paper),\(r.method),<method-id>,<yes|no>,` (ids in use: \(known))")
        }

        // The table's line in tables.csv (marks printed or not, unranked rows, mean rule).
        var meta: TableMeta?
        do {
            let all = try TableMeta.load(path: side("tables.csv"))
            meta = all[name]
            if meta == nil {
                result.problems.append("\(side("tables.csv")): no line for \(name); add one (header: \(TableMeta.header.joined(separator: ",")))")
            } else if meta!.paper != first.paper {
                result.problems.append("\(side("tables.csv")): the line for \(name) names paper '\(meta!.paper)', the rows '\(first.paper)'")
            }
        } catch { result.problems.append("\(error)") }

        // The checks every committed table passes; mismatches printed in the source itself are listed as known.
        var knownHere: [KnownInconsistency] = []
        do { knownHere = try KnownInconsistency.load(path: side("known-inconsistencies.csv")).filter { $0.file == name } } catch {
            result.problems.append("\(error)")
        }
        // Without a tables.csv line, marks count as printed when the file has any (so a wrong one is still caught).
        let effective = meta ?? TableMeta(file: name, paper: first.paper, table: first.table, caption: "", source: first.source,
                                          marks: table.rows.contains { !$0.mark.isEmpty } ? "printed" : "none",
                                          unranked: [], meanRule: "datasets", missing: "")
        let report = TableChecker.check(tables: [table], meta: [name: effective], known: knownHere)
        result.meansChecked = report.meansChecked
        result.marksChecked = report.marksChecked
        result.acknowledged = report.acknowledged.count
        result.problems += report.unexplained.map {
            "\($0.file):\($0.line): \($0.check) of \($0.method) [\($0.backbone)] \($0.dataset): printed '\($0.printed)', expected '\($0.expected)'"
                + ($0.check == "mean" ? " (if the source prints it so, list it in known-inconsistencies.csv with the reason)" : "")
        }
        result.problems += report.stale.map { "\(side("known-inconsistencies.csv")): \($0.method) \($0.dataset) \($0.check) is listed but no longer occurs" }
        return result
    }
}

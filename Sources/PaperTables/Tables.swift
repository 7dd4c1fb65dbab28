// Reported numbers from paper-tables/*.csv: one row per printed cell, with provenance.
import Foundation
import Tabular

/// One printed cell of a paper's results table.
public struct ReportedRow: Equatable, Sendable {
    public var paper, table, benchmark, backbone, pretrain, method, group, dataset: String
    /// nil when the paper prints no number ('-') or the cell could not be read.
    public var value: Double?
    /// The value as printed, to keep its precision ("85.80" has two decimals).
    public var valueText: String
    public var std: Double?
    public var paramsM: Double?
    public var mark: String
    public var source: String
    public var notes: String
    /// File and 1-based line the row came from.
    public var file: String
    public var line: Int

    /// Decimal places printed for the value.
    public var decimals: Int {
        guard let dot = valueText.firstIndex(of: ".") else { return 0 }
        return valueText.distance(from: dot, to: valueText.endIndex) - 1
    }
}

/// All rows of one CSV file, i.e. one table of one paper for one benchmark and backbone family.
public struct PaperTable: Sendable {
    public var file: String
    public var rows: [ReportedRow]
    public var name: String { (file as NSString).lastPathComponent }
    /// Datasets a printed mean averages that the table does not print itself (DA-VPT's Table 1 prints only FGVC and
    /// VTAB group means): reproducing such a mean means running these cells. In the benchmark's canonical order.
    public var impliedDatasets: [String] {
        let printed = Set(rows.map(\.dataset))
        var implied = Set<String>()
        for r in rows where KnownIds.meanColumns.contains(r.dataset) {
            let inputs = KnownIds.datasets(averagedBy: r.dataset, benchmark: r.benchmark) ?? []
            if !inputs.contains(where: printed.contains) { implied.formUnion(inputs) }
        }
        let order = rows.first.flatMap { KnownIds.benchmarks[$0.benchmark] } ?? []
        return order.filter(implied.contains)
    }

    /// Row labels in first-appearance order.
    public var methods: [String] {
        var seen = Set<String>(); var out: [String] = []
        for r in rows where seen.insert(r.method).inserted { out.append(r.method) }
        return out
    }
}

/// Loads and validates `paper-tables/*.csv` (every file except the side files listed in `sideFiles`).
public enum PaperTableLoader {
    public static let header = ["paper", "table", "benchmark", "backbone", "pretrain", "method", "group",
                                "dataset", "value", "std", "params_m", "mark", "source", "notes"]
    /// CSV files in paper-tables/ that are not tables.
    public static let sideFiles: Set<String> = ["known-inconsistencies.csv", "method-ids.csv", "tables.csv"]

    public static func tableFiles(in directory: String) throws -> [String] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory)
        return names.filter { $0.hasSuffix(".csv") && !sideFiles.contains($0) }.sorted()
            .map { (directory as NSString).appendingPathComponent($0) }
    }

    public static func loadAll(directory: String) throws -> [PaperTable] {
        try tableFiles(in: directory).map { try load(file: $0) }
    }

    static func number(_ s: String, _ what: String, _ file: String, _ line: Int) throws -> Double? {
        if s.isEmpty { return nil }
        // Plain decimal only: digits, optional sign and one dot (no exponents, no "nan", no "%").
        let ok = s.range(of: #"^-?[0-9]+(\.[0-9]+)?$"#, options: .regularExpression) != nil
        guard ok, let v = Double(s) else {
            throw CSVError(file: file, line: line, message: "expected a number or empty in '\(what)', found '\(s)'")
        }
        return v
    }

    /// Loads one table; every problem of the file is named (file:line) in one error, not only the first.
    public static func load(file: String) throws -> PaperTable {
        let (table, problems) = try read(file: file)
        if !problems.isEmpty { throw TableProblems(problems: problems) }
        return table
    }

    /// Reads one table, collecting a problem per bad row (the row is left out) instead of stopping at the first.
    /// Throws only when the file cannot be read as CSV at all or its header is wrong.
    public static func read(file: String) throws -> (table: PaperTable, problems: [CSVError]) {
        let (hdr, records) = try CSVReader.read(file: file)
        guard hdr == header else {
            throw CSVError(file: file, line: 1, message: "expected header \(header.joined(separator: ",")), found \(hdr.joined(separator: ","))")
        }
        var rows: [ReportedRow] = []
        var problems: [CSVError] = []
        var seen: [String: Int] = [:]
        for rec in records {
            do {
                let row = try parseRow(rec.fields, file: file, line: rec.line)
                let key = "\(row.table)|\(row.backbone)|\(row.method)|\(row.dataset)"
                if let prev = seen[key] {
                    throw CSVError(file: file, line: rec.line, message: "duplicate cell (same table, backbone, method, dataset as line \(prev))")
                }
                seen[key] = rec.line
                rows.append(row)
            } catch let e as CSVError { problems.append(e) }
        }
        return (PaperTable(file: file, rows: rows), problems)
    }

    static func parseRow(_ f: [String], file: String, line: Int) throws -> ReportedRow {
        func bad(_ m: String) -> CSVError { CSVError(file: file, line: line, message: m) }
        let benchmark = f[2], backbone = f[3], group = f[6], dataset = f[7], mark = f[11]
        guard let ds = KnownIds.benchmarks[benchmark] else { throw bad("unknown benchmark '\(benchmark)'; expected one of \(KnownIds.benchmarks.keys.sorted().joined(separator: ", "))") }
        guard KnownIds.backbones.contains(backbone) else { throw bad("unknown backbone '\(backbone)'; expected one of \(KnownIds.backbones.joined(separator: ", "))") }
        guard ds.contains(dataset) || KnownIds.meanColumns.contains(dataset) else {
            throw bad("unknown dataset '\(dataset)' for benchmark \(benchmark); expected one of \((ds + KnownIds.meanColumns).joined(separator: ", "))")
        }
        if benchmark == "vtab1k", let g = KnownIds.vtabGroup(of: dataset), g != group {
            throw bad("dataset \(dataset) belongs to group '\(g)', found '\(group)'")
        }
        guard KnownIds.groups.contains(group) else { throw bad("unknown group '\(group)'; expected empty, natural, specialized or structured") }
        guard ["", "bold", "underline"].contains(mark) else { throw bad("mark must be bold, underline or empty, found '\(mark)'") }
        guard !f[0].isEmpty, !f[1].isEmpty, !f[5].isEmpty, !f[12].isEmpty else { throw bad("paper, table, method and source must not be empty") }
        if f[8].isEmpty && f[13].isEmpty { throw bad("an empty value needs a note saying why") }
        return ReportedRow(
            paper: f[0], table: f[1], benchmark: benchmark, backbone: backbone, pretrain: f[4], method: f[5],
            group: group, dataset: dataset,
            value: try number(f[8], "value", file, line), valueText: f[8],
            std: try number(f[9], "std", file, line), paramsM: try number(f[10], "params_m", file, line),
            mark: mark, source: f[12], notes: f[13], file: file, line: line)
    }
}

/// Several problems of one or more table files, each naming file:line.
public struct TableProblems: Error, CustomStringConvertible {
    public var problems: [CSVError]
    public init(problems: [CSVError]) { self.problems = problems }
    public var description: String {
        "\(problems.count) problem(s):\n" + problems.map { "  \($0)" }.joined(separator: "\n")
    }
}

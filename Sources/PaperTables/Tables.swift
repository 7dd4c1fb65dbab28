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

    public static func load(file: String) throws -> PaperTable {
        let (hdr, records) = try CSVReader.read(file: file)
        guard hdr == header else {
            throw CSVError(file: file, line: 1, message: "expected header \(header.joined(separator: ",")), found \(hdr.joined(separator: ","))")
        }
        var rows: [ReportedRow] = []
        var seen: [String: Int] = [:]
        for rec in records {
            let f = rec.fields, line = rec.line
            func bad(_ m: String) -> CSVError { CSVError(file: file, line: line, message: m) }
            let benchmark = f[2], backbone = f[3], group = f[6], dataset = f[7], mark = f[11]
            guard let ds = KnownIds.benchmarks[benchmark] else { throw bad("unknown benchmark '\(benchmark)'; expected one of \(KnownIds.benchmarks.keys.sorted())") }
            guard KnownIds.backbones.contains(backbone) else { throw bad("unknown backbone '\(backbone)'") }
            guard ds.contains(dataset) || KnownIds.meanColumns.contains(dataset) else {
                throw bad("unknown dataset '\(dataset)' for benchmark \(benchmark)")
            }
            if benchmark == "vtab1k", let g = KnownIds.vtabGroup(of: dataset), g != group {
                throw bad("dataset \(dataset) belongs to group '\(g)', found '\(group)'")
            }
            guard KnownIds.groups.contains(group) else { throw bad("unknown group '\(group)'") }
            guard ["", "bold", "underline"].contains(mark) else { throw bad("mark must be bold, underline or empty, found '\(mark)'") }
            guard !f[0].isEmpty, !f[1].isEmpty, !f[5].isEmpty, !f[12].isEmpty else { throw bad("paper, table, method and source must not be empty") }
            if f[8].isEmpty && f[13].isEmpty { throw bad("an empty value needs a note saying why") }
            let key = "\(f[1])|\(backbone)|\(f[5])|\(dataset)"
            if let prev = seen[key] { throw bad("duplicate cell (same table, backbone, method, dataset as line \(prev))") }
            seen[key] = line
            rows.append(ReportedRow(
                paper: f[0], table: f[1], benchmark: benchmark, backbone: backbone, pretrain: f[4], method: f[5],
                group: group, dataset: dataset,
                value: try number(f[8], "value", file, line), valueText: f[8],
                std: try number(f[9], "std", file, line), paramsM: try number(f[10], "params_m", file, line),
                mark: mark, source: f[12], notes: f[13], file: file, line: line))
        }
        return PaperTable(file: file, rows: rows)
    }
}

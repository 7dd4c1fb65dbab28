// The registry of cells: every (benchmark, dataset, method, backbone) printed in a paper table.
import Foundation
import Tabular

/// Identity of a cell; its id is `<benchmark>/<dataset>/<method>/<backbone>`.
public struct CellKey: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var benchmark, dataset, method, backbone: String
    public init(benchmark: String, dataset: String, method: String, backbone: String) {
        self.benchmark = benchmark; self.dataset = dataset; self.method = method; self.backbone = backbone
    }
    public var id: String { "\(benchmark)/\(dataset)/\(method)/\(backbone)" }
    public var description: String { id }
    public static func < (a: CellKey, b: CellKey) -> Bool { a.id < b.id }
}

/// One paper's number for a cell.
public struct ReportedValue: Equatable, Sendable {
    public var paper, table, label: String
    public var value: Double?
    public var valueText: String
    public var source: String
    public var file: String
    public var line: Int
}

/// A suite method id for a printed row label of one paper, from paper-tables/method-ids.csv.
public struct MethodId: Equatable, Sendable {
    public var paper, label, id: String
    /// Whether the suite implements (or is to implement) this method; other rows are registered anyway.
    public var implemented: Bool
    public var notes: String
    public static let header = ["paper", "label", "method_id", "implemented", "notes"]

    public static func load(path: String) throws -> [String: MethodId] {
        let (hdr, recs) = try CSVReader.read(file: path)
        guard hdr == header else { throw CSVError(file: path, line: 1, message: "expected header \(header.joined(separator: ","))") }
        var out: [String: MethodId] = [:]
        for r in recs {
            let f = r.fields
            guard ["yes", "no"].contains(f[3]) else { throw CSVError(file: path, line: r.line, message: "implemented must be yes or no, found '\(f[3])'") }
            guard f[2].range(of: #"^[a-z0-9][a-z0-9.-]*$"#, options: .regularExpression) != nil else {
                throw CSVError(file: path, line: r.line, message: "method id must be lower-case kebab, found '\(f[2])'")
            }
            let k = "\(f[0])|\(f[1])"
            if out[k] != nil { throw CSVError(file: path, line: r.line, message: "duplicate label \(f[1]) for paper \(f[0])") }
            out[k] = MethodId(paper: f[0], label: f[1], id: f[2], implemented: f[3] == "yes", notes: f[4])
        }
        return out
    }
}

/// How a caller classifies a cell: a status word (`runnable`, `needs-method`, …) and what it lacks. The suite's
/// classifier lives in Bench (it needs the method registry, recipes, backbones and dataset readers).
public typealias CellClassification = (CellKey) -> (status: String, detail: String)

/// All cells of all tables with every reported value (several papers may report one cell).
public struct CellRegistry: Sendable {
    public private(set) var cells: [CellKey: [ReportedValue]] = [:]
    /// Table file name → its cells, for coverage.
    public private(set) var cellsByTable: [String: Set<CellKey>] = [:]
    public private(set) var rowsByTable: [String: (printed: Int, withNumber: Int)] = [:]
    public let methodIds: [String: MethodId]

    /// Builds the registry; every row label must have a method id.
    public init(tables: [PaperTable], methodIds: [String: MethodId]) throws {
        self.methodIds = methodIds
        for t in tables {
            rowsByTable[t.name] = (t.rows.count, t.rows.filter { $0.value != nil }.count)
            var set = Set<CellKey>()
            let implied = t.impliedDatasets
            for r in t.rows {
                guard let mid = methodIds["\(r.paper)|\(r.method)"] else {
                    throw CSVError(file: r.file, line: r.line, message: "row label '\(r.method)' of paper \(r.paper) has no line in method-ids.csv")
                }
                if KnownIds.meanColumns.contains(r.dataset) {  // aggregates are not cells; the datasets they average are
                    for d in implied {
                        let key = CellKey(benchmark: r.benchmark, dataset: d, method: mid.id, backbone: r.backbone)
                        if cells[key] == nil { cells[key] = [] }
                        set.insert(key)
                    }
                    continue
                }
                let key = CellKey(benchmark: r.benchmark, dataset: r.dataset, method: mid.id, backbone: r.backbone)
                cells[key, default: []].append(ReportedValue(paper: r.paper, table: r.table, label: r.method, value: r.value,
                                                             valueText: r.valueText, source: r.source, file: t.name, line: r.line))
                set.insert(key)
            }
            cellsByTable[t.name] = set
        }
    }

    /// Method ids that method-ids.csv marks as implemented by the suite.
    public var implementedMethods: Set<String> { Set(methodIds.values.filter { $0.implemented }.map { $0.id }) }

    /// Cells, optionally of one table (file name with or without `.csv`), sorted by id.
    public func keys(table: String? = nil) -> [CellKey] {
        if let t = table {
            let name = t.hasSuffix(".csv") ? t : t + ".csv"
            return (cellsByTable[name] ?? []).sorted()
        }
        return cells.keys.sorted()
    }

    /// `bench list`: one line per cell — id, status, what it lacks (or `-`), every reported value with its source.
    public func listText(table: String? = nil, status: String? = nil, classify: CellClassification) -> String {
        var out = ""
        for k in keys(table: table) {
            let c = classify(k)
            if let s = status, c.status != s { continue }
            let vals = (cells[k] ?? []).map { v in
                "\(v.valueText.isEmpty ? "-" : v.valueText) (\(v.paper), \(v.table), \"\(v.label)\")"
            }.joined(separator: "; ")
            out += "\(k.id)\t\(c.status)\t\(c.detail.isEmpty ? "-" : c.detail)\t\(vals)\n"
        }
        return out
    }

    /// `bench tables`: per table, printed cells transcribed, those with numbers, registry cells, and registry cells per
    /// status (in the order of `statuses`); a last line counts distinct cells over all tables.
    public func coverageText(statuses: [String], classify: CellClassification) -> String {
        var lines = ["table\tprinted_cells\twith_numbers\tregistry_cells\t" + statuses.joined(separator: "\t")]
        var status: [CellKey: String] = [:]
        for k in cells.keys { status[k] = classify(k).status }
        func counts(_ ks: some Sequence<CellKey>) -> [Int] {
            var c = Array(repeating: 0, count: statuses.count)
            for k in ks { if let i = statuses.firstIndex(of: status[k] ?? "") { c[i] += 1 } }
            return c
        }
        var printed = 0, withNumbers = 0
        for name in cellsByTable.keys.sorted() {
            let (p, n) = rowsByTable[name] ?? (0, 0)
            let cs = cellsByTable[name] ?? []
            lines.append("\(name)\t\(p)\t\(n)\t\(cs.count)\t" + counts(cs).map(String.init).joined(separator: "\t"))
            printed += p; withNumbers += n
        }
        lines.append("total\t\(printed)\t\(withNumbers)\t\(cells.count) distinct\t" + counts(cells.keys).map(String.init).joined(separator: "\t"))
        return lines.joined(separator: "\n") + "\n"
    }
}

/// Loads everything under paper-tables/ and runs the checks; the entry point for other layers.
public struct PaperTablesBundle: Sendable {
    public var tables: [PaperTable]
    public var meta: [String: TableMeta]
    public var known: [KnownInconsistency]
    public var registry: CellRegistry

    public init(directory: String) throws {
        func p(_ n: String) -> String { (directory as NSString).appendingPathComponent(n) }
        tables = try PaperTableLoader.loadAll(directory: directory)
        meta = try TableMeta.load(path: p("tables.csv"))
        known = try KnownInconsistency.load(path: p("known-inconsistencies.csv"))
        registry = try CellRegistry(tables: tables, methodIds: try MethodId.load(path: p("method-ids.csv")))
    }

    public func check() -> CheckReport { TableChecker.check(tables: tables, meta: meta, known: known) }
}

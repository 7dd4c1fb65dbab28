// What one output table is: its columns and rows as the paper prints them, and the reported numbers.
// Built from a paper table (paper-tables/<id>.csv via PaperTables) or from a baseline CSV
// (results/baselines/<id>.csv, e.g. the mini benchmark's own numbers, which play the "reported" role).
import Foundation
import PaperTables

/// How a row's `mean` column is formed (papers differ; VTAB papers mostly average the three group means).
public enum MeanRule: String, Sendable, Equatable {
    /// Mean over the table's dataset columns.
    case datasets
    /// Mean of the VTAB group means (natural, specialized, structured).
    case groups

    /// One sentence for report footers.
    public var sentence: String {
        switch self {
        case .datasets: return "Mean is the mean over the dataset columns."
        case .groups: return "Mean is the mean of the three group means (Natural, Specialized, Structured), not of the datasets."
        }
    }
}

/// Kind of a column of an output table.
public enum ColumnKind: Sendable, Equatable {
    case dataset
    /// An aggregate of other columns of the same row (group means, `mean`).
    case mean(of: [String])
    /// Trainable parameters in millions; never ranked.
    case params
}

/// One column of an output table.
public struct TableColumn: Sendable, Equatable {
    /// `cifar100`, `mean_natural`, `mean`, `params_m`.
    public var id: String
    /// Header text in the Markdown table.
    public var title: String
    public var kind: ColumnKind
    public init(id: String, title: String, kind: ColumnKind) { self.id = id; self.title = title; self.kind = kind }
}

/// One printed row: a method on a backbone, with the label the paper prints.
public struct TableRow: Sendable, Equatable {
    public var method: String
    public var backbone: String
    public var label: String
    /// Whether the paper ranks this row (full fine-tuning is often printed as an unranked reference).
    public var ranked: Bool
    public init(method: String, backbone: String, label: String, ranked: Bool) {
        self.method = method; self.backbone = backbone; self.label = label; self.ranked = ranked
    }
}

/// One reported number, with who reports it.
public struct ReportedNumber: Sendable, Equatable {
    public var value: Double
    /// As printed, keeping its precision ("85.80").
    public var text: String
    /// `insvp, Table 1 (...)` or the baseline file.
    public var source: String
    public init(value: Double, text: String, source: String) { self.value = value; self.text = text; self.source = source }
}

/// A (row, column) position in a table.
public struct SpecCell: Hashable, Sendable {
    public var method, backbone, column: String
    public init(method: String, backbone: String, column: String) { self.method = method; self.backbone = backbone; self.column = column }
}

/// What one output table is: id, benchmark, columns, rows, ranking, mean rule and reported numbers.
public struct TableSpec: Sendable {
    /// `insvp_hta_vit-b16-in21k` (paper table file stem) or `mini` (baseline file stem).
    public var id: String
    /// Benchmark id summaries must carry; nil matches any (baselines have no benchmark column).
    public var benchmark: String?
    /// The table's main backbone (rows may name another, e.g. ILM-VP on ResNeXt in InsVP's table).
    public var backbone: String
    /// Datasets, then VTAB group means, then `mean`, then `params_m`.
    public var columns: [TableColumn]
    public var rows: [TableRow]
    public var meanRule: MeanRule
    /// This table's own numbers (dataset, mean and params columns).
    public var reported: [SpecCell: ReportedNumber]
    /// Other papers' numbers for the same cells (from the cell registry), for the footer.
    public var otherReported: [SpecCell: [ReportedNumber]]
    /// Where the numbers come from, for the Markdown title line.
    public var caption: String
    /// Set when the reported numbers are a later paper's quote of this paper's (tables.csv `quoted_by`).
    public var quotedBy: String?

    public init(id: String, benchmark: String?, backbone: String, columns: [TableColumn], rows: [TableRow],
                meanRule: MeanRule, reported: [SpecCell: ReportedNumber], otherReported: [SpecCell: [ReportedNumber]] = [:],
                caption: String) {
        self.id = id; self.benchmark = benchmark; self.backbone = backbone; self.columns = columns; self.rows = rows
        self.meanRule = meanRule; self.reported = reported; self.otherReported = otherReported; self.caption = caption
    }

    public var datasetColumns: [String] { columns.filter { $0.kind == .dataset }.map { $0.id } }

    /// Standard columns for a benchmark: the datasets in the benchmark's canonical order, then (VTAB) the group
    /// means over the groups whose datasets are all present, then `mean`, then `params_m`.
    public static func columns(benchmark: String?, datasets: [String], meanRule: MeanRule) -> [TableColumn] {
        var cols = datasets.map { TableColumn(id: $0, title: $0, kind: .dataset) }
        var groupCols: [String] = []
        if benchmark == "vtab1k" {
            for g in KnownIds.vtabGroups where g.datasets.allSatisfy(datasets.contains) {
                let id = "mean_\(g.group)"
                groupCols.append(id)
                cols.append(TableColumn(id: id, title: g.group.prefix(1).uppercased() + g.group.dropFirst(), kind: .mean(of: g.datasets)))
            }
        }
        let meanInputs = meanRule == .groups && groupCols.count == KnownIds.vtabGroups.count ? groupCols : datasets
        cols.append(TableColumn(id: "mean", title: "Mean", kind: .mean(of: meanInputs)))
        cols.append(TableColumn(id: "params_m", title: "Params (M)", kind: .params))
        return cols
    }

    /// The spec of a paper table file (`id` = file name without `.csv`).
    public static func paper(id: String, bundle: PaperTablesBundle) throws -> TableSpec {
        guard let table = bundle.tables.first(where: { $0.name == id + ".csv" }) else {
            throw ReportError.unknownTable(id, known: knownIds(bundle: bundle, baselines: []))
        }
        let meta = bundle.meta[table.name]
        let meanRule = MeanRule(rawValue: meta?.meanRule ?? "datasets") ?? .datasets
        let benchmark = table.rows.first?.benchmark ?? ""
        // A table that prints only means (DA-VPT's Table 1) gets the columns those means average.
        let present = Set(table.rows.map { $0.dataset }).union(table.impliedDatasets)
        let datasets = (KnownIds.benchmarks[benchmark] ?? []).filter(present.contains)
        // The backbone most rows use is the table's; the file name carries it too.
        var counts: [String: Int] = [:]
        for r in table.rows { counts[r.backbone, default: 0] += 1 }
        let backbone = counts.max { ($0.value, $1.key) < ($1.value, $0.key) }?.key ?? ""
        var rows: [TableRow] = []
        var reported: [SpecCell: ReportedNumber] = [:]
        var other: [SpecCell: [ReportedNumber]] = [:]
        let unranked = meta?.unranked ?? []
        for label in table.methods {
            let labelRows = table.rows.filter { $0.method == label }
            guard let first = labelRows.first else { continue }
            let mid = bundle.registry.methodIds["\(first.paper)|\(label)"]?.id ?? label
            // A row on another backbone than the table's says so (InsVP prints ILM-VP on ResNeXt in a ViT table).
            let shown = first.backbone == backbone ? label : "\(label) [\(first.backbone)]"
            let row = TableRow(method: mid, backbone: first.backbone, label: shown, ranked: !unranked.contains(label))
            if rows.contains(where: { $0.method == row.method && $0.backbone == row.backbone }) { continue }
            rows.append(row)
            let source = "\(first.paper), \(first.table)"
            for r in labelRows {
                let cell = SpecCell(method: mid, backbone: r.backbone, column: r.dataset)
                if let v = r.value { reported[cell] = ReportedNumber(value: v, text: r.valueText, source: source) }
                if let p = r.paramsM, reported[SpecCell(method: mid, backbone: r.backbone, column: "params_m")] == nil {
                    reported[SpecCell(method: mid, backbone: r.backbone, column: "params_m")] =
                        ReportedNumber(value: p, text: String(p), source: source)
                }
                guard !KnownIds.meanColumns.contains(r.dataset) else { continue }
                let key = CellKey(benchmark: r.benchmark, dataset: r.dataset, method: mid, backbone: r.backbone)
                let others = (bundle.registry.cells[key] ?? []).filter { $0.file != table.name }
                    .compactMap { v in v.value.map { ReportedNumber(value: $0, text: v.valueText, source: "\(v.paper), \(v.table)") } }
                if !others.isEmpty { other[cell] = others }
            }
        }
        let quotedBy = meta.flatMap { $0.quotedBy.isEmpty ? nil : $0.quotedBy }
        var caption = meta.map { "\($0.table) of \($0.paper)" } ?? table.name
        if let q = quotedBy { caption += ", as quoted by \(q)" }
        var spec = TableSpec(id: id, benchmark: benchmark, backbone: backbone,
                             columns: columns(benchmark: benchmark, datasets: datasets, meanRule: meanRule),
                             rows: rows, meanRule: meanRule, reported: reported, otherReported: other, caption: caption)
        spec.quotedBy = quotedBy
        return spec
    }

    /// The spec of a baseline CSV (long format, `BaselineFile`): its `mean` values are the "reported" numbers,
    /// rows and datasets in first-appearance order, every row ranked, mean over datasets.
    public static func baseline(id: String, file: String) throws -> TableSpec {
        let cells = try BaselineFile.read(file: file)
        var rows: [TableRow] = []
        var datasets: [String] = []
        var reported: [SpecCell: ReportedNumber] = [:]
        for c in cells where !KnownIds.meanColumns.contains(c.dataset) && c.dataset != "params_m" {
            if !rows.contains(where: { $0.method == c.method && $0.backbone == c.backbone }) {
                rows.append(TableRow(method: c.method, backbone: c.backbone, label: c.method, ranked: true))
            }
            if !datasets.contains(c.dataset) { datasets.append(c.dataset) }
            if let m = c.mean {
                reported[SpecCell(method: c.method, backbone: c.backbone, column: c.dataset)] =
                    ReportedNumber(value: m, text: Format.fixed(m, 2), source: (file as NSString).lastPathComponent)
            }
        }
        let backbone = rows.first?.backbone ?? ""
        return TableSpec(id: id, benchmark: nil, backbone: backbone,
                         columns: columns(benchmark: nil, datasets: datasets, meanRule: .datasets),
                         rows: rows, meanRule: .datasets, reported: reported,
                         caption: "baseline \((file as NSString).lastPathComponent)")
    }

    /// Every table id: paper table file stems and baseline file stems, sorted.
    public static func knownIds(bundle: PaperTablesBundle?, baselines: [String]) -> [String] {
        let paper = (bundle?.tables ?? []).map { String($0.name.dropLast(4)) }
        return (paper + baselines).sorted()
    }

    /// Resolves a table id: a paper table in `paperTables`, else `<baselines>/<id>.csv`; an unknown id lists the known ones.
    public static func resolve(id: String, paperTables: String, baselines: String) throws -> TableSpec {
        let bundle = FileManager.default.fileExists(atPath: paperTables) ? try PaperTablesBundle(directory: paperTables) : nil
        if let b = bundle, b.tables.contains(where: { $0.name == id + ".csv" }) { return try paper(id: id, bundle: b) }
        let baselineFile = (baselines as NSString).appendingPathComponent(id + ".csv")
        if FileManager.default.fileExists(atPath: baselineFile) { return try baseline(id: id, file: baselineFile) }
        let stems = ((try? FileManager.default.contentsOfDirectory(atPath: baselines)) ?? [])
            .filter { $0.hasSuffix(".csv") }.map { String($0.dropLast(4)) }
        throw ReportError.unknownTable(id, known: knownIds(bundle: bundle, baselines: stems),
                                       searched: [paperTables, baselines])
    }
}

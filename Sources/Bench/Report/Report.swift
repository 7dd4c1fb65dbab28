// `bench report`: reproduced numbers (mean ± std over seeds) beside the reported ones, laid out as the paper.
//
// Ranking rule (chosen for a reader who knows the paper's table): each column is ranked once, over the rows the
// paper ranks, using one number per row — the reproduced mean for rows the suite ran, the printed number for rows
// it did not (reported-only rows). The marks therefore answer "where would the reproduced numbers stand in the
// paper's table?". Numbers are compared as displayed, so cells that print the same share a mark. The reported
// numbers in parentheses carry no marks: the paper's own marks stay in paper-tables/ (and TableChecker checks them).
import Foundation
import PaperTables

/// Options of `bench report`.
public struct ReportOptions: Sendable {
    public var show: Selection
    /// Decimals of reproduced numbers in Markdown (papers print one).
    public var decimals: Int
    public init(show: Selection = .official, decimals: Int = 1) { self.show = show; self.decimals = decimals }
}

/// One cell of the report.
public struct ReportCell: Sendable, Equatable {
    /// Reproduced mean over seeds (dataset columns) or mean of reproduced columns (mean columns); nil if not run.
    public var reproduced: Double?
    /// Sample std over seeds; dataset columns with ≥ 2 seeds only.
    public var std: Double?
    /// Seeds behind a dataset cell.
    public var seeds: [Int] = []
    /// This table's reported number (printed, or computed from printed inputs: `reportedComputed`).
    public var reported: ReportedNumber?
    public var reportedComputed = false
    /// A mean column whose headline number could not be formed because an input column is missing.
    public var missingInputs = false
    public var mark: Mark = .none
}

/// One row of the report.
public struct ReportRow: Sendable {
    public var row: TableRow
    /// Whether the suite has runs for this row; if not, its numbers are the paper's.
    public var ran: Bool
    public var cells: [String: ReportCell]
    /// The number that represents this cell in its row: reproduced for run rows, reported otherwise.
    public func headline(_ column: String) -> Double? {
        ran ? cells[column]?.reproduced : cells[column]?.reported?.value
    }
}

/// A finished report: the spec, the rows with marks, the runs behind them and the footer notes.
public struct Report: Sendable {
    public var spec: TableSpec
    public var options: ReportOptions
    public var rows: [ReportRow]
    public var aggregates: [RunKey: CellAggregate]
    /// Machines from metadata.json, and how many runs had none.
    public var machines: [String]
    public var runsWithoutMetadata: Int
    /// Run cells (method/dataset/backbone) that this table has no column for.
    public var runsOutsideTable: Int
    /// Data source and split verdicts of the runs (DataNotes.swift), for the footer.
    public var dataNotes: [String] = []

    /// Builds the report from summaries (already read from `runs`).
    public static func build(spec: TableSpec, summaries: [RunSummary], runs: URL?, options: ReportOptions) throws -> Report {
        let aggs = try RunAggregator.aggregate(summaries, show: options.show, benchmark: spec.benchmark)
        let datasets = Set(spec.datasetColumns)
        var rows = spec.rows
        // Methods the suite ran that the paper does not print are appended (ranked), so no run goes unseen.
        for k in aggs.keys.sorted() where datasets.contains(k.dataset) {
            if !rows.contains(where: { $0.method == k.method && $0.backbone == k.backbone }) {
                rows.append(TableRow(method: k.method, backbone: k.backbone,
                                     label: k.backbone == spec.backbone ? k.method : "\(k.method) [\(k.backbone)]", ranked: true))
            }
        }
        var out: [ReportRow] = []
        for row in rows {
            let ran = aggs.keys.contains { $0.method == row.method && $0.backbone == row.backbone && datasets.contains($0.dataset) }
            var cells: [String: ReportCell] = [:]
            for col in spec.columns {
                var c = ReportCell()
                c.reported = spec.reported[SpecCell(method: row.method, backbone: row.backbone, column: col.id)]
                switch col.kind {
                case .dataset:
                    if let a = aggs[RunKey(method: row.method, dataset: col.id, backbone: row.backbone)] {
                        c.reproduced = a.mean; c.std = a.std; c.seeds = a.seeds
                    }
                case .mean(let inputs):
                    // Means only when every input is present: a mean over fewer columns is a different number.
                    let rep = inputs.map { cells[$0]?.reproduced }
                    if ran {
                        if rep.allSatisfy({ $0 != nil }) { c.reproduced = rep.compactMap { $0 }.reduce(0, +) / Double(inputs.count) }
                        else { c.missingInputs = true }
                    }
                    if c.reported == nil {
                        let printed = inputs.map { cells[$0]?.reported?.value }
                        if printed.allSatisfy({ $0 != nil }) {
                            let v = printed.compactMap { $0 }.reduce(0, +) / Double(inputs.count)
                            c.reported = ReportedNumber(value: v, text: Format.fixed(v, 1), source: "computed")
                            c.reportedComputed = true
                        } else if !ran {
                            c.missingInputs = true
                        }
                    }
                case .params:
                    let ps = spec.datasetColumns.compactMap { aggs[RunKey(method: row.method, dataset: $0, backbone: row.backbone)]?.paramsM }
                    if !ps.isEmpty { c.reproduced = ps.reduce(0, +) / Double(ps.count) }
                }
                cells[col.id] = c
            }
            out.append(ReportRow(row: row, ran: ran, cells: cells))
        }
        // Marks: one ranking per column over ranked rows' headline numbers, as displayed.
        for col in spec.columns where col.kind != .params {
            let values: [Double?] = out.map { r in
                guard r.row.ranked, let v = r.headline(col.id) else { return nil }
                if r.ran { return Marker.displayed(v, decimals: options.decimals) }
                return Double(r.cells[col.id]?.reported?.text ?? "") ?? v
            }
            for (i, m) in Marker.marks(values).enumerated() { out[i].cells[col.id]?.mark = m }
        }
        let inTable = aggs.keys.filter { k in datasets.contains(k.dataset) && out.contains { $0.row.method == k.method && $0.row.backbone == k.backbone } }
        let used = Set(inTable)
        let shownSummaries = summaries.filter { used.contains(RunKey(method: $0.method, dataset: $0.dataset, backbone: $0.backbone))
            && (spec.benchmark == nil || $0.benchmark == spec.benchmark) }
        let machines: (descriptions: [String], withoutMetadata: Int) =
            runs.map { RunAggregator.machines(runs: $0, summaries: shownSummaries) } ?? ([], shownSummaries.count)
        return Report(spec: spec, options: options, rows: out, aggregates: aggs.filter { used.contains($0.key) },
                      machines: machines.descriptions, runsWithoutMetadata: machines.withoutMetadata,
                      runsOutsideTable: aggs.count - used.count,
                      dataNotes: runs.map { RunAggregator.dataNotes(runs: $0, summaries: shownSummaries) } ?? [])
    }

    /// The long CSV rows: every (row, dataset or mean column); reported-only rows keep their reported numbers.
    public var csvCells: [BaselineCell] {
        var out: [BaselineCell] = []
        for r in rows {
            for col in spec.columns where col.kind != .params {
                guard let c = r.cells[col.id] else { continue }
                if c.reproduced == nil && c.reported == nil && !r.ran { continue }
                var seeds: [Int] = c.seeds
                var rules: [String] = []
                var variants: [String] = []
                let inputs: [String]
                if case .mean(let ins) = col.kind {
                    inputs = ins.allSatisfy(spec.datasetColumns.contains) ? ins : spec.datasetColumns
                } else { inputs = [col.id] }
                for d in inputs {
                    guard let a = aggregates[RunKey(method: r.row.method, dataset: d, backbone: r.row.backbone)] else { continue }
                    if case .mean = col.kind { seeds += a.seeds }
                    rules += a.rules; variants += a.variants
                }
                let sel = r.ran ? "\(options.show.rawValue):\(Array(Set(rules)).sorted().joined(separator: ";"))" : ""
                out.append(BaselineCell(method: r.row.method, dataset: col.id, backbone: r.row.backbone,
                                        seeds: Array(Set(seeds)).sorted(), mean: c.reproduced, std: c.std,
                                        reported: c.reported?.value, selection: sel,
                                        variant: Array(Set(variants)).sorted().joined(separator: ";")))
            }
        }
        return out
    }

    public var csvText: String { BaselineFile.text(csvCells) }

    /// Writes `<out>/<table>.csv` and `<out>/<table>.md`; returns their paths.
    @discardableResult
    public func write(to out: URL) throws -> [URL] {
        let csv = out.appendingPathComponent("\(spec.id).csv"), md = out.appendingPathComponent("\(spec.id).md")
        try RunStore.writeAtomically(Data(csvText.utf8), to: csv)
        try RunStore.writeAtomically(Data(markdown.utf8), to: md)
        return [csv, md]
    }
}

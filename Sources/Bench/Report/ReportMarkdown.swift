// The Markdown form of a report: the paper's layout (rows methods; columns datasets, group means, mean, params),
// each cell `reproduced (reported)`, marks on the headline numbers, and a footer saying how to read it.
import Foundation

extension Report {
    /// Text of one cell as printed in the Markdown table.
    func cellText(_ r: ReportRow, _ column: TableColumn) -> String {
        guard let c = r.cells[column.id] else { return "–" }
        let isParams = column.kind == .params
        let d = isParams ? 2 : options.decimals
        func reportedText() -> String {
            guard let rep = c.reported else { return "–" }
            if isParams { return Format.fixed(rep.value, 2) }
            return rep.text + (c.reportedComputed ? "†" : "")
        }
        if !r.ran {
            // Reported-only rows keep the paper's printed numbers, without parentheses.
            if c.reported == nil { return c.missingInputs ? "–‡" : "–" }
            return c.mark.apply(reportedText())
        }
        var head: String
        if let v = c.reproduced {
            head = Format.fixed(v, d)
            if let s = c.std { head += "±" + Format.fixed(s, d) }
            head = c.mark.apply(head)
        } else {
            head = c.missingInputs ? "–‡" : "–"
        }
        return "\(head) (\(reportedText()))"
    }

    /// The whole Markdown document.
    public var markdown: String {
        var lines: [String] = []
        let show = options.show.rawValue
        lines.append("# \(spec.id): reproduced (reported)")
        lines.append("")
        let bench = spec.benchmark.map { "benchmark `\($0)`, " } ?? ""
        lines.append("\(spec.caption); \(bench)backbone `\(spec.backbone)`; top-1 accuracy (%), `\(show)` selection.")
        lines.append("")
        lines.append("| Method | " + spec.columns.map { $0.title }.joined(separator: " | ") + " |")
        lines.append("|:---|" + spec.columns.map { _ in "---:|" }.joined())
        for r in rows {
            lines.append("| \(r.row.label) | " + spec.columns.map { cellText(r, $0) }.joined(separator: " | ") + " |")
        }
        lines.append("")
        lines.append("Notes:")
        for n in notes { lines.append("- " + n) }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Footer notes: how to read cells, selection rule, marks, means, seeds, variants, params, machine, hyper-parameters.
    public var notes: [String] {
        var n: [String] = []
        let show = options.show.rawValue
        n.append("Each cell: reproduced (reported). Reproduced = mean over seeds of the `\(show)` accuracy, written mean±std "
                 + "(sample std, n−1) when a cell has several seeds; a cell with one seed shows no std. Rows without "
                 + "parentheses were not run by the suite: their numbers are the reported ones. `–`: no number.")
        if let q = spec.quotedBy {
            n.append("Reported numbers are a quote: \(q) prints them for this paper, whose own table could not be read "
                     + "(paper-tables/README.md says what was tried).")
        }
        // Selection rules found in the summaries, with run counts.
        var ruleCounts: [String: Int] = [:]
        for a in aggregates.values { for rule in a.seedRules { ruleCounts[rule, default: 0] += 1 } }
        let other = options.show == .official ? "clean" : "official"
        if ruleCounts.isEmpty {
            n.append("Selection: `\(show)` (no runs found for this table).")
        } else {
            let rules = ruleCounts.keys.sorted().map { "`\($0)` (\(ruleCounts[$0]!) run\(ruleCounts[$0]! == 1 ? "" : "s"))" }
            n.append("Selection: `\(show)` accuracy; rules in the summaries: \(rules.joined(separator: ", ")). "
                     + "`--show \(other)` shows the other number every run records.")
        }
        let unranked = spec.rows.filter { !$0.ranked }.map { $0.label }
        n.append("Marks: **best** and <u>second best</u> per column (Params excluded), ties sharing a mark, over "
                 + (unranked.isEmpty ? "all rows" : "the rows the source ranks (not ranked: \(unranked.joined(separator: ", ")))")
                 + ". One number per row is ranked: the reproduced one for rows the suite ran, the reported one for rows "
                 + "it did not; numbers are compared as printed. Reported numbers in parentheses carry no marks.")
        n.append(spec.meanRule.sentence + " Means of reproduced numbers are formed from the per-dataset means over seeds "
                 + "and carry no std; a mean is formed only when every column it averages has a number.")
        if rows.contains(where: { r in r.cells.values.contains { $0.missingInputs } }) {
            n.append("‡ Not computed: a column this mean averages has no number.")
        }
        if rows.contains(where: { r in r.cells.values.contains { $0.reportedComputed } }) {
            n.append("† Computed here from the reported per-dataset numbers; the source prints no such mean.")
        }
        // Seeds.
        let allSeeds = Array(Set(aggregates.values.flatMap { $0.seeds })).sorted()
        if !allSeeds.isEmpty {
            let counts = Set(aggregates.values.map { $0.seeds.count })
            var s = "Seeds: \(allSeeds.map(String.init).joined(separator: ", "))"
            if counts.count == 1 { s += " (\(counts.first!) per cell)." } else {
                let maxN = counts.max()!
                let fewer = aggregates.values.filter { $0.seeds.count < maxN }.map { "\($0.key.method)/\($0.key.dataset) (\($0.seeds.count))" }.sorted()
                s += "; \(maxN) per cell except \(fewer.joined(separator: ", "))."
            }
            n.append(s)
        }
        // Variants.
        let fixed = aggregates.values.filter { $0.variants.contains { $0 != "official" } }
            .map { "\($0.key.method)/\($0.key.dataset) (\($0.variants.joined(separator: ", ")))" }.sorted()
        if !aggregates.isEmpty {
            n.append(fixed.isEmpty ? "Variants: every run uses the `official` variant."
                     : "Variants: runs other than `official` (`fixed` = a documented bug of the official code fixed): \(fixed.joined(separator: ", ")).")
        }
        n += dataNotes
        n.append("Params (M): reproduced = trainable parameters (prompts + head + other) in millions, mean over the row's "
                 + "datasets; reported = the source's own column, whose definition may differ.")
        if !aggregates.isEmpty {
            var m = machines.isEmpty ? "Machine: not recorded (no metadata.json in the run folders)."
                : "Machine: \(machines.joined(separator: "; ")) (from metadata.json)."
            if !machines.isEmpty && runsWithoutMetadata > 0 { m += " \(runsWithoutMetadata) run(s) have no metadata.json." }
            n.append(m)
        }
        // Selected hyper-parameters: cells with the same values are listed together; "every run cell" when all agree.
        var byValues: [String: [String]] = [:]
        for a in aggregates.values.sorted(by: { $0.key < $1.key }) where !a.selected.isEmpty {
            func text(_ d: [String: Double]) -> String { d.keys.sorted().map { "\($0)=\(shortNumber(d[$0]!))" }.joined(separator: ", ") }
            let texts = Set(a.selected.values.map(text))
            let name = "\(a.key.method)/\(a.key.dataset)"
            if texts.count == 1 && a.selected.count == a.seeds.count { byValues[texts.first!, default: []].append(name) } else {
                byValues["per seed", default: []].append("\(name) (" + a.selected.keys.sorted().map { "seed \($0) \(text(a.selected[$0]!))" }.joined(separator: "; ") + ")")
            }
        }
        if byValues.count == 1, let (values, cells) = byValues.first, values != "per seed", cells.count == aggregates.count {
            n.append("Selected hyper-parameters: \(values) in every cell.")
        } else if !byValues.isEmpty {
            let parts = byValues.keys.sorted().flatMap { v -> [String] in
                v == "per seed" ? byValues[v]! : ["\(byValues[v]!.joined(separator: ", ")): \(v)"]
            }
            n.append("Selected hyper-parameters: " + parts.joined(separator: "; ") + ".")
        }
        // One line per row whose runs searched their hyper-parameters (a recipe `grid:`): the source published no values
        // for them, so the reproduced number rests on a search on the validation split.
        for r in rows where r.ran {
            let searched = spec.datasetColumns.contains { d in
                aggregates[RunKey(method: r.row.method, dataset: d, backbone: r.row.backbone)].map { !$0.selected.isEmpty } ?? false
            }
            if searched { n.append("\(r.row.label): hyper-parameters searched on val, not published.") }
        }
        // One line per row whose recipes differ from their official configurations on purpose (declared in the recipe,
        // accepted by OfficialRecipeTests): e.g. DA-VPT's rows run DA-VPT+'s configs with the bias flags off.
        for r in rows where r.ran {
            var cellsPer: [String: Int] = [:]
            var ranCells = 0
            for d in spec.datasetColumns {
                guard let a = aggregates[RunKey(method: r.row.method, dataset: d, backbone: r.row.backbone)] else { continue }
                ranCells += 1
                for t in a.declaredDifferences { cellsPer[t, default: 0] += 1 }
            }
            guard !cellsPer.isEmpty else { continue }
            let parts = cellsPer.keys.sorted().map { t in cellsPer[t]! == ranCells ? t : "\(t) (\(cellsPer[t]!) of \(ranCells) cells)" }
            n.append("\(r.row.label): recipes differ from the official configuration on purpose: " + parts.joined(separator: "; ") + ".")
        }
        // Other papers' numbers for the cells the suite ran (baselines drift between papers).
        var others: [String] = []
        for r in rows where r.ran {
            for d in spec.datasetColumns {
                guard let os = spec.otherReported[SpecCell(method: r.row.method, backbone: r.row.backbone, column: d)] else { continue }
                others.append("\(r.row.method)/\(d): " + os.map { "\($0.text) (\($0.source))" }.joined(separator: ", "))
            }
        }
        if !others.isEmpty { n.append("Also reported elsewhere: " + others.joined(separator: "; ") + ".") }
        if runsOutsideTable > 0 {
            n.append("\(runsOutsideTable) reproduced cell(s) in the runs folder fall outside this table's columns and are not shown.")
        }
        return n
    }
}

/// Shortest exact-looking text for a hyper-parameter (`0.5`, `0.0001`, `5e-05` as `5e-05`).
func shortNumber(_ v: Double) -> String {
    if v == v.rounded() && abs(v) < 1e15 { return String(Int(v)) }
    return "\(v)"
}

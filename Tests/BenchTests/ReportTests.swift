import Foundation
import PaperTables
import XCTest
@testable import Bench

final class ReportTests: XCTestCase {
    func toyReport(show: Selection = .official) throws -> (Report, RunSet) {
        let set = try toyRuns()
        let r = try Report.build(spec: toySpec(), summaries: try set.summaries(), runs: set.runs, options: ReportOptions(show: show))
        return (r, set)
    }

    func row(_ r: Report, _ m: String) -> ReportRow { r.rows.first { $0.row.method == m }! }

    func testSampleStdUsesNMinusOneAndNoneForOneSeed() {
        let (m, s) = RunAggregator.meanStd([80, 81, 82])
        XCTAssertEqual(m, 81, accuracy: 1e-12)
        XCTAssertEqual(s!, 1.0, accuracy: 1e-12)  // population std would be 0.816
        XCTAssertNil(RunAggregator.meanStd([5]).std)
    }

    func testMeanStdOverThreeSeedsAndOneSeed() throws {
        let (r, _) = try toyReport()
        let a = row(r, "m1").cells["a"]!
        XCTAssertEqual(a.reproduced!, 81, accuracy: 1e-12)
        XCTAssertEqual(a.std!, 1, accuracy: 1e-12)
        XCTAssertEqual(a.seeds, [0, 1, 2])
        XCTAssertNil(row(r, "m2").cells["a"]!.std)
        XCTAssertEqual(r.cellText(row(r, "m1"), r.spec.columns[0]), "**81.0±1.0** (80.5)")
        XCTAssertEqual(r.cellText(row(r, "m2"), r.spec.columns[0]), "**81.0** (79.0)")
    }

    func testMarksTiesMissingCellsAndReportedOnlyRows() throws {
        let (r, _) = try toyReport()
        // Column a: M1 81.0 and M2 81.04 print the same → both bold; M3 (reported-only, 78.0) second; Ref unranked.
        XCTAssertEqual(row(r, "m1").cells["a"]!.mark, .best)
        XCTAssertEqual(row(r, "m2").cells["a"]!.mark, .best)
        XCTAssertEqual(row(r, "m3").cells["a"]!.mark, .second)
        XCTAssertEqual(row(r, "ref").cells["a"]!.mark, .none)
        // Column b: M2 has no run → `–`, not ranked; M3's printed 72.5 beats M1's 70.0.
        XCTAssertEqual(row(r, "m3").cells["b"]!.mark, .best)
        XCTAssertEqual(row(r, "m1").cells["b"]!.mark, .second)
        XCTAssertEqual(r.cellText(row(r, "m2"), r.spec.columns[1]), "– (69.0)")
        XCTAssertFalse(row(r, "m3").ran)
        XCTAssertEqual(r.cellText(row(r, "m3"), r.spec.columns[1]), "**72.5**")
    }

    func testMeanOnlyWhenEveryColumnIsPresent() throws {
        let (r, _) = try toyReport()
        let mean = r.spec.columns.first { $0.id == "mean" }!
        XCTAssertEqual(row(r, "m1").cells["mean"]!.reproduced!, 75.5, accuracy: 1e-12)
        XCTAssertNil(row(r, "m2").cells["mean"]!.reproduced)
        XCTAssertTrue(row(r, "m2").cells["mean"]!.missingInputs)
        // M2's reported mean is not printed: computed from its printed a and b, flagged †.
        XCTAssertEqual(r.cellText(row(r, "m2"), mean), "–‡ (74.0†)")
        XCTAssertEqual(row(r, "m1").cells["mean"]!.mark, .best)
        XCTAssertEqual(row(r, "m3").cells["mean"]!.mark, .second)
        XCTAssertTrue(r.markdown.contains("‡ Not computed"))
    }

    func testShowCleanUsesCleanAccuracy() throws {
        let (r, _) = try toyReport(show: .clean)
        XCTAssertEqual(row(r, "m1").cells["a"]!.reproduced!, 80, accuracy: 1e-12)
        XCTAssertTrue(r.markdown.contains("`clean` selection"))
        XCTAssertTrue(r.markdown.contains("`last-epoch-test` (7 runs)"))
    }

    func testDeclaredDifferencesAreNamedInTheFooter() throws {
        let set = try toyRuns()
        // m2 ran only `a`; m1 ran `a` and `b`, with a difference declared in one of them.
        let d = "options.bias_k: official true, ours false — DA-VPT's own values are not published"
        try set.add(dataset: "b", method: "m2", seed: 0, official: 60, declared: [d])
        try set.add(dataset: "a", method: "m3", seed: 0, official: 60, declared: [d])
        try set.add(dataset: "b", method: "m3", seed: 0, official: 60, declared: [d])
        let r = try Report.build(spec: toySpec(), summaries: try set.summaries(), runs: set.runs, options: ReportOptions())
        XCTAssertTrue(r.markdown.contains("- M2: recipes differ from the official configuration on purpose: \(d) (1 of 2 cells).\n"), r.markdown)
        XCTAssertTrue(r.markdown.contains("- M3: recipes differ from the official configuration on purpose: \(d).\n"), r.markdown)
        XCTAssertFalse(r.markdown.contains("M1: recipes differ"), r.markdown)
        // Summaries written before the field existed still decode (nil).
        let old = #"{"cell":"toy/a/m9/bb","benchmark":"toy","dataset":"a","method":"m9","backbone":"bb","seed":0,"official":{"accuracy":1,"rule":"r","epoch":0},"clean":{"accuracy":1,"rule":"r","epoch":0},"epochs":1,"params":{"prompts":0,"head":0,"other":0,"model":0},"trainImagesPerSecond":1,"wallSeconds":1,"selected":{},"variant":"official","pipeline":"builtin"}"#
        XCTAssertNil(try JSONDecoder().decode(RunSummary.self, from: Data(old.utf8)).declaredDifferences)
    }

    func testMarkdownGolden() throws {
        let (r, _) = try toyReport()
        XCTAssertEqual(r.markdown, toyGolden)
    }

    func testCSVColumnsAndRows() throws {
        let (r, set) = try toyReport()
        let lines = r.csvText.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines[0], "method,dataset,backbone,seeds,mean,std,reported,delta,selection,variant")
        XCTAssertTrue(lines.contains("m1,a,bb,0;1;2,81.0000,1.0000,80.5000,0.5000,official:best-test-over-epochs,official"), lines.joined(separator: "\n"))
        XCTAssertTrue(lines.contains("m2,a,bb,0,81.0400,,79.0000,2.0400,official:best-test-over-epochs,fixed"))
        XCTAssertTrue(lines.contains("m3,b,bb,,,,72.5000,,,"))  // reported-only row keeps its number
        XCTAssertTrue(lines.contains("m1,mean,bb,0;1;2,75.5000,,75.8000,-0.3000,official:best-test-over-epochs,official"))
        // Written files round-trip through the baseline reader.
        let files = try r.write(to: set.root.appendingPathComponent("out"))
        XCTAssertEqual(files.map { $0.lastPathComponent }, ["toy.csv", "toy.md"])
        let back = try BaselineFile.read(file: files[0].path)
        XCTAssertEqual(back.count, lines.count - 1)
        XCTAssertEqual(back.first { $0.id == "m1/a/bb" }?.std ?? 0, 1.0, accuracy: 1e-9)
    }

    func testPaperTableSpecFromPaperTables() throws {
        let bundle = try PaperTablesBundle(directory: repoRoot.appendingPathComponent("paper-tables").path)
        let hta = try TableSpec.paper(id: "insvp_hta_vit-b16-in21k", bundle: bundle)
        XCTAssertEqual(hta.benchmark, "hta")
        XCTAssertEqual(hta.backbone, "vit-b16-in21k")
        XCTAssertEqual(hta.columns.map { $0.id }.suffix(2), ["mean", "params_m"])
        XCTAssertEqual(hta.datasetColumns.count, 10)
        XCTAssertEqual(hta.rows.first { $0.label == "Full" }?.ranked, false)
        XCTAssertEqual(hta.rows.first { $0.label == "VPT" }?.method, "vpt-deep")
        XCTAssertEqual(hta.rows.first { $0.method == "ilm-vp" }?.backbone, "resnext101-32x8d-ig")
        XCTAssertEqual(hta.rows.first { $0.method == "ilm-vp" }?.label, "ILM-VP [resnext101-32x8d-ig]")
        XCTAssertEqual(hta.reported[SpecCell(method: "full", backbone: "vit-b16-in21k", column: "mean")]?.text, "85.8")
        let vtab = try TableSpec.paper(id: "v-petl-bench_vtab1k_vit-b16-in21k", bundle: bundle)
        XCTAssertEqual(vtab.columns.map { $0.id }.suffix(5), ["mean_natural", "mean_specialized", "mean_structured", "mean", "params_m"])
        XCTAssertEqual(vtab.datasetColumns.first, "caltech101")
        // A run of VPT-deep on VTAB CIFAR-100 lands in its row; the InsVP table's other papers' numbers are listed.
        let set = try RunSet()
        try set.add(benchmark: "vtab1k", dataset: "cifar100", method: "vpt-deep", backbone: "vit-b16-in21k", seed: 0, official: 70)
        let r = try Report.build(spec: vtab, summaries: try set.summaries(), runs: set.runs, options: ReportOptions())
        XCTAssertTrue(r.rows.first { $0.row.method == "vpt-deep" }!.ran)
        XCTAssertTrue(r.markdown.contains("| Natural | Specialized | Structured | Mean | Params (M) |"))
        // V-PETL Bench prints no group means: a reported-only row's are computed from its printed datasets, flagged †.
        let full = r.rows.first { $0.row.method == "full" }!
        XCTAssertTrue(full.cells["mean_natural"]!.reportedComputed)
        XCTAssertTrue(r.markdown.contains("† Computed here"))
    }

    func testMeanOfGroupMeansVersusMeanOfDatasets() throws {
        let set = try RunSet()
        for (g, acc) in zip(KnownIds.vtabGroups, [70.0, 80.0, 50.0]) {
            for d in g.datasets { try set.add(benchmark: "vtab1k", dataset: d, method: "m", seed: 0, official: acc) }
        }
        func spec(_ rule: MeanRule) -> TableSpec {
            TableSpec(id: "v", benchmark: "vtab1k", backbone: "bb",
                      columns: TableSpec.columns(benchmark: "vtab1k", datasets: KnownIds.vtabDatasets, meanRule: rule),
                      rows: [TableRow(method: "m", backbone: "bb", label: "M", ranked: true)], meanRule: rule, reported: [:], caption: "v")
        }
        let groups = try Report.build(spec: spec(.groups), summaries: try set.summaries(), runs: nil, options: ReportOptions())
        let datasets = try Report.build(spec: spec(.datasets), summaries: try set.summaries(), runs: nil, options: ReportOptions())
        XCTAssertEqual(groups.rows[0].cells["mean_specialized"]!.reproduced!, 80, accuracy: 1e-9)
        let ofGroups: Double = (70.0 + 80.0 + 50.0) / 3
        XCTAssertEqual(groups.rows[0].cells["mean"]!.reproduced!, ofGroups, accuracy: 1e-9)
        let overDatasets: Double = (7.0 * 70 + 4.0 * 80 + 8.0 * 50) / 19
        XCTAssertEqual(datasets.rows[0].cells["mean"]!.reproduced!, overDatasets, accuracy: 1e-9)
        XCTAssertTrue(groups.markdown.contains("mean of the three group means"))
    }

    func testBaselineSpecServesAsReported() throws {
        let set = try toyRuns()
        let dir = set.root.appendingPathComponent("baselines")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let cells = try RegressionCheck.baselineCells(summaries: try set.summaries(), show: .official)
        try BaselineFile.write(cells, to: dir.appendingPathComponent("mini.csv").path)
        let spec = try TableSpec.resolve(id: "mini", paperTables: repoRoot.appendingPathComponent("paper-tables").path, baselines: dir.path)
        XCTAssertNil(spec.benchmark)
        XCTAssertEqual(spec.rows.map { $0.method }, ["m1", "m2"])
        XCTAssertEqual(spec.datasetColumns, ["a", "b"])
        let r = try Report.build(spec: spec, summaries: try set.summaries(), runs: set.runs, options: ReportOptions())
        XCTAssertEqual(r.cellText(r.rows[0], r.spec.columns[0]), "**81.0±1.0** (81.00)")
    }

    func testUnknownTableIdListsKnownTables() throws {
        XCTAssertThrowsError(try TableSpec.resolve(id: "nope", paperTables: repoRoot.appendingPathComponent("paper-tables").path,
                                                   baselines: "/nonexistent-baselines")) { e in
            let text = "\(e)"
            XCTAssertTrue(text.contains("unknown table 'nope'"), text)
            XCTAssertTrue(text.contains("insvp_hta_vit-b16-in21k"), text)
            XCTAssertTrue(text.contains("v-petl-bench_fgvc_vit-b16-in21k"), text)
        }
    }

    func testMissingRunsFolderIsNamed() {
        XCTAssertThrowsError(try RunStore.summaries(in: URL(fileURLWithPath: "/tmp/no-such-runs-folder-xyz"))) { e in
            XCTAssertTrue("\(e)".contains("/tmp/no-such-runs-folder-xyz: runs folder does not exist"), "\(e)")
        }
    }

    func testCorruptSummaryIsNamed() throws {
        let set = try toyRuns()
        let bad = RunStore.folder(runs: set.runs, cell: "toy/a/m9/bb", seed: 0).appendingPathComponent("summary.json")
        try RunStore.writeAtomically(Data("{\"cell\": 3".utf8), to: bad)
        XCTAssertThrowsError(try set.summaries()) { e in
            XCTAssertTrue("\(e)".contains(bad.path), "\(e)")
        }
    }

    func testSameCellUnderTwoBenchmarksNeedsOneBenchmark() throws {
        let set = try RunSet()
        try set.add(benchmark: "hta", dataset: "cifar100", method: "vpt-deep", seed: 0, official: 70)
        try set.add(benchmark: "vtab1k", dataset: "cifar100", method: "vpt-deep", seed: 0, official: 60)
        XCTAssertThrowsError(try RunAggregator.aggregate(try set.summaries(), show: .official)) { e in
            XCTAssertTrue("\(e)".contains("hta/cifar100/vpt-deep/bb"), "\(e)")
        }
        XCTAssertEqual(try RunAggregator.aggregate(try set.summaries(), show: .official, benchmark: "vtab1k").count, 1)
    }
}

let toyGolden = """
# toy: reproduced (reported)

Table 1 of toy; benchmark `toy`, backbone `bb`; top-1 accuracy (%), `official` selection.

| Method | a | b | Mean | Params (M) |
|:---|---:|---:|---:|---:|
| Ref | 90.0 | 90.0 | 90.0 | – |
| M1 | **81.0±1.0** (80.5) | <u>70.0±0.0</u> (71.0) | **75.5** (75.8) | 0.50 (0.50) |
| M2 | **81.0** (79.0) | – (69.0) | –‡ (74.0†) | 0.50 (–) |
| M3 | <u>78.0</u> | **72.5** | <u>75.3</u> | – |

Notes:
- Each cell: reproduced (reported). Reproduced = mean over seeds of the `official` accuracy, written mean±std (sample std, n−1) when a cell has several seeds; a cell with one seed shows no std. Rows without parentheses were not run by the suite: their numbers are the reported ones. `–`: no number.
- Selection: `official` accuracy; rules in the summaries: `best-test-over-epochs` (7 runs). `--show clean` shows the other number every run records.
- Marks: **best** and <u>second best</u> per column (Params excluded), ties sharing a mark, over the rows the source ranks (not ranked: Ref). One number per row is ranked: the reproduced one for rows the suite ran, the reported one for rows it did not; numbers are compared as printed. Reported numbers in parentheses carry no marks.
- Mean is the mean over the dataset columns. Means of reproduced numbers are formed from the per-dataset means over seeds and carry no std; a mean is formed only when every column it averages has a number.
- ‡ Not computed: a column this mean averages has no number.
- † Computed here from the reported per-dataset numbers; the source prints no such mean.
- Seeds: 0, 1, 2; 3 per cell except m2/a (1).
- Variants: runs other than `official` (`fixed` = a documented bug of the official code fixed): m2/a (fixed).
- Params (M): reproduced = trainable parameters (prompts + head + other) in millions, mean over the row's datasets; reported = the source's own column, whose definition may differ.
- Machine: openblas Haswell, 2 threads (from metadata.json). 6 run(s) have no metadata.json.
- Selected hyper-parameters: m1/a, m1/b: lr=0.5, weight_decay=0.0001.
- M1: hyper-parameters searched on val, not published.

"""

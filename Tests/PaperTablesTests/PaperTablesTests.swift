import XCTest
@testable import PaperTables
import Tabular

/// Repository root from this file: …/Tests/PaperTablesTests/X.swift → up 3 levels.
let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
let tablesDir = repoRoot + "/paper-tables"

final class PaperTablesTests: XCTestCase {
    func testEveryCommittedTableParsesAndPassesChecks() throws {
        let bundle = try PaperTablesBundle(directory: tablesDir)
        XCTAssertGreaterThanOrEqual(bundle.tables.count, 3)
        XCTAssertEqual(TableChecker.metaProblems(tables: bundle.tables, meta: bundle.meta), [])
        let report = bundle.check()
        XCTAssertTrue(report.ok, report.text)
        XCTAssertGreaterThan(report.meansChecked, 50)
        XCTAssertGreaterThan(report.marksChecked, 500)
        for t in bundle.tables {
            XCTAssertFalse(t.rows.isEmpty, t.name)
            // Every row of one file names the same paper/benchmark as the file name says.
            let parts = t.name.dropLast(4).split(separator: "_")
            XCTAssertTrue(t.rows.allSatisfy { $0.paper == String(parts[0]) && $0.benchmark == String(parts[1]) }, t.name)
            XCTAssertTrue(t.rows.allSatisfy { !$0.source.isEmpty })
        }
    }

    func testInsVPTableShape() throws {
        let t = try PaperTableLoader.load(file: tablesDir + "/insvp_hta_vit-b16-in21k.csv")
        XCTAssertEqual(t.methods.count, 18)
        XCTAssertEqual(t.rows.count, 18 * 11)
        XCTAssertEqual(t.rows.filter { $0.value == nil }.count, 7)  // LION's '-' cells
        let ilm = t.rows.first { $0.method == "ILM-VP" }!
        XCTAssertEqual(ilm.backbone, "resnext101-32x8d-ig")
    }

    // MARK: planted errors in temporary copies

    func copyTables() throws -> String {
        let dir = NSTemporaryDirectory() + "ptt-\(UUID().uuidString)"
        try FileManager.default.copyItem(atPath: tablesDir, toPath: dir)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        return dir
    }

    func edit(_ path: String, _ body: (inout [[String]]) -> Void) throws {
        let (h, recs) = try CSVReader.read(file: path)
        var rows = recs.map(\.fields)
        body(&rows)
        try CSVWriter.write(header: h, rows: rows, to: path)
    }

    func testPlantedWrongMeanIsCaught() throws {
        let dir = try copyTables()
        try edit(dir + "/insvp_hta_vit-b16-in21k.csv") { rows in
            let i = rows.firstIndex { $0[5] == "VPT" && $0[7] == "mean" }!
            rows[i][8] = "85.7"  // printed 85.5
        }
        let report = try PaperTablesBundle(directory: dir).check()
        XCTAssertFalse(report.ok)
        XCTAssertEqual(report.unexplained.map(\.check), ["mean"])
        XCTAssertEqual(report.unexplained.first?.method, "VPT")
        XCTAssertEqual(report.unexplained.first?.expected, "85.5")
    }

    func testPlantedWrongMarkIsCaught() throws {
        let dir = try copyTables()
        try edit(dir + "/insvp_hta_vit-b16-in21k.csv") { rows in
            let i = rows.firstIndex { $0[5] == "DAM-VP" && $0[7] == "dtd" }!
            rows[i][11] = "bold"  // printed underline; InsVP's 74.5 is the best
        }
        let report = try PaperTablesBundle(directory: dir).check()
        XCTAssertEqual(report.unexplained.map { "\($0.method) \($0.dataset) \($0.check)" }, ["DAM-VP dtd mark"])
    }

    func testKnownInconsistencyAcceptsOnlyListedMismatch() throws {
        let dir = try copyTables()
        try edit(dir + "/insvp_hta_vit-b16-in21k.csv") { rows in
            rows[rows.firstIndex { $0[5] == "VPT" && $0[7] == "mean" }!][8] = "85.7"
            rows[rows.firstIndex { $0[5] == "Bias" && $0[7] == "mean" }!][8] = "87.9"
        }
        try edit(dir + "/known-inconsistencies.csv") { rows in
            rows.append(["insvp_hta_vit-b16-in21k.csv", "VPT", "vit-b16-in21k", "mean", "mean", "85.7", "85.5", "planted for the test"])
        }
        let report = try PaperTablesBundle(directory: dir).check()
        XCTAssertEqual(report.acknowledged.map(\.method), ["VPT"])
        XCTAssertEqual(report.unexplained.map(\.method), ["Bias"])
    }

    func testStaleKnownInconsistencyFails() throws {
        let dir = try copyTables()
        try edit(dir + "/known-inconsistencies.csv") { rows in
            rows.append(["insvp_hta_vit-b16-in21k.csv", "VPT", "vit-b16-in21k", "mean", "mean", "85.5", "85.5", "not an inconsistency"])
        }
        XCTAssertFalse(try PaperTablesBundle(directory: dir).check().ok)
    }

    func testMarksInUnmarkedTableAreCaught() throws {
        let dir = try copyTables()
        try edit(dir + "/v-petl-bench_fgvc_vit-b16-in21k.csv") { rows in rows[0][11] = "bold" }
        XCTAssertEqual(try PaperTablesBundle(directory: dir).check().unexplained.count, 1)
    }

    func testValidationErrorsNameFileAndLine() throws {
        let dir = try copyTables()
        let f = dir + "/insvp_hta_vit-b16-in21k.csv"
        try edit(f) { rows in rows[4][8] = "8O.1" }
        XCTAssertThrowsError(try PaperTableLoader.load(file: f)) { e in
            XCTAssertEqual((e as! CSVError).line, 6)
            XCTAssertTrue(String(describing: e).contains("expected a number or empty"))
        }
        try edit(f) { rows in rows[4][8] = "80.1"; rows[2][7] = "imagenet" }
        XCTAssertThrowsError(try PaperTableLoader.load(file: f)) { e in
            XCTAssertTrue(String(describing: e).contains("insvp_hta_vit-b16-in21k.csv:4: unknown dataset 'imagenet'"))
        }
        try edit(f) { rows in rows[2][7] = "cub200"; rows[2][3] = "vit-h14" }
        XCTAssertThrowsError(try PaperTableLoader.load(file: f))
    }

    func testBadHeaderRejected() throws {
        let dir = try copyTables()
        let f = dir + "/v-petl-bench_fgvc_vit-b16-in21k.csv"
        var text = try String(contentsOfFile: f, encoding: .utf8)
        text = text.replacingOccurrences(of: "params_m", with: "params")
        try text.write(toFile: f, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try PaperTableLoader.load(file: f)) { e in XCTAssertEqual((e as! CSVError).line, 1) }
    }

    // MARK: registry

    func testRegistryCounts() throws {
        let b = try PaperTablesBundle(directory: tablesDir)
        let reg = b.registry
        // InsVP: 18 rows × 10 datasets; V-PETL FGVC 15 × 5; V-PETL VTAB 20 × 19 (means are not cells).
        XCTAssertEqual(reg.cellsByTable["insvp_hta_vit-b16-in21k.csv"]?.count, 180)
        XCTAssertEqual(reg.cellsByTable["v-petl-bench_fgvc_vit-b16-in21k.csv"]?.count, 75)
        XCTAssertEqual(reg.cellsByTable["v-petl-bench_vtab1k_vit-b16-in21k.csv"]?.count, 380)
        XCTAssertEqual(reg.cells.count, 180 + 75 + 380)  // the tables share no cell (HTA vs FGVC ids differ by benchmark)
        let runnable: Set<String> = ["vpt-deep", "insvp"]
        let key = CellKey(benchmark: "hta", dataset: "dtd", method: "vpt-deep", backbone: "vit-b16-in21k")
        XCTAssertEqual(reg.status(key, runnable: runnable), .runnable)
        XCTAssertEqual(reg.cells[key]?.first?.valueText, "65.8")
        let lion = CellKey(benchmark: "hta", dataset: "dtd", method: "lion", backbone: "vit-b16-in21k")
        XCTAssertEqual(reg.status(lion, runnable: runnable), .missing)
        XCTAssertEqual(reg.keys(table: "insvp_hta_vit-b16-in21k", status: .runnable, runnable: runnable).count, 20)
        XCTAssertEqual(reg.keys(status: .missing, runnable: runnable).count, 6)
        let list = reg.listText(table: "insvp_hta_vit-b16-in21k.csv", status: .runnable, runnable: runnable)
        XCTAssertTrue(list.contains("hta/dtd/vpt-deep/vit-b16-in21k\trunnable\t65.8 (insvp,"))
        XCTAssertTrue(reg.implementedMethods.isSuperset(of: ["insvp", "vpt-deep", "ilm-vp", "bias"]))
        XCTAssertFalse(reg.implementedMethods.contains("lion"))
        print(reg.coverageText(runnable: reg.implementedMethods))
        let cov = reg.coverageText(runnable: runnable)
        XCTAssertTrue(cov.contains("insvp_hta_vit-b16-in21k.csv\t198\t191\t180\t20"), cov)
    }

    func testOneCellSeveralReports() throws {
        let t = try PaperTableLoader.load(file: tablesDir + "/v-petl-bench_fgvc_vit-b16-in21k.csv")
        var copy = t
        copy.rows = copy.rows.map { var r = $0; r.paper = "other"; r.table = "T9"; r.value = 1; r.valueText = "1.0"; return r }
        copy.file = "/x/other.csv"
        var ids = try MethodId.load(path: tablesDir + "/method-ids.csv")
        for (k, v) in ids where v.paper == "v-petl-bench" { var w = v; w.paper = "other"; ids["other|\(v.label)"] = w; _ = k }
        let reg = try CellRegistry(tables: [t, copy], methodIds: ids)
        let k = CellKey(benchmark: "fgvc", dataset: "cub200", method: "vpt-deep", backbone: "vit-b16-in21k")
        XCTAssertEqual(reg.cells[k]?.map(\.valueText), ["88.5", "1.0"])
    }

    func testUnmappedLabelRejected() throws {
        let t = try PaperTableLoader.load(file: tablesDir + "/insvp_hta_vit-b16-in21k.csv")
        XCTAssertThrowsError(try CellRegistry(tables: [t], methodIds: [:]))
    }
}

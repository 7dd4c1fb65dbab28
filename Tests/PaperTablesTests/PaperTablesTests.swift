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
            let benchmark = parts[1].split(separator: "-").first.map(String.init)  // `fgvc-t3`: a tag may follow
            XCTAssertTrue(t.rows.allSatisfy { $0.paper == String(parts[0]) && $0.benchmark == benchmark }, t.name)
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
        let committed = try KnownInconsistency.load(path: tablesDir + "/known-inconsistencies.csv").count
        XCTAssertEqual(report.acknowledged.filter { $0.file.hasSuffix("insvp_hta_vit-b16-in21k.csv") }.map(\.method), ["VPT"])
        XCTAssertEqual(report.acknowledged.count, committed + 1)  // the committed ones plus the planted one
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
            XCTAssertEqual((e as! TableProblems).problems.map(\.line), [6])
            XCTAssertTrue(String(describing: e).contains("expected a number or empty"))
        }
        try edit(f) { rows in rows[4][8] = "80.1"; rows[2][7] = "imagenet" }
        XCTAssertThrowsError(try PaperTableLoader.load(file: f)) { e in
            XCTAssertTrue(String(describing: e).contains("insvp_hta_vit-b16-in21k.csv:4: unknown dataset 'imagenet'"))
        }
        try edit(f) { rows in rows[2][7] = "cub200"; rows[2][3] = "vit-h14" }
        XCTAssertThrowsError(try PaperTableLoader.load(file: f))
    }

    /// Every bad row of a file is named in one pass, not only the first.
    func testAllRowProblemsNamedAtOnce() throws {
        let dir = try copyTables()
        let f = dir + "/insvp_hta_vit-b16-in21k.csv"
        try edit(f) { rows in
            rows[4][8] = "8O.1"         // line 6: not a number
            rows[9][7] = "imagenet"     // line 11: unknown dataset
            rows[20][11] = "italic"     // line 22: unknown mark
            rows[30] = rows[31]         // line 32 duplicates line 33
        }
        let (_, problems) = try PaperTableLoader.read(file: f)
        XCTAssertEqual(problems.map(\.line), [6, 11, 22, 33])
        XCTAssertTrue(problems[3].message.contains("duplicate cell"), problems[3].message)
    }

    // MARK: bench tables --check

    /// A user's new table: a well-formed file passes; one with a wrong mean, a wrong mark, an unknown label and no
    /// tables.csv line gets every problem named with file:line.
    func testFileCheckNamesEveryProblem() throws {
        let dir = try copyTables()
        let good = TableFileCheck.check(file: dir + "/insvp_hta_vit-b16-in21k.csv", directory: dir)
        XCTAssertTrue(good.ok, good.problems.joined(separator: "\n"))
        XCTAssertEqual(good.meansChecked, 17)
        XCTAssertEqual(good.rows, 198)

        // The same table as a user's new file for another paper: header and rows copied, then edited.
        let user = NSTemporaryDirectory() + "ftc-\(UUID().uuidString)/sa2vp_hta_vit-b16-in21k.csv"
        try FileManager.default.createDirectory(atPath: (user as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: (user as NSString).deletingLastPathComponent) }
        try FileManager.default.copyItem(atPath: dir + "/insvp_hta_vit-b16-in21k.csv", toPath: user)
        try edit(user) { rows in
            for i in rows.indices { rows[i][0] = "sa2vp" }
            rows[rows.firstIndex { $0[5] == "VPT" && $0[7] == "mean" }!][8] = "85.7"         // printed 85.5
            rows[rows.firstIndex { $0[5] == "DAM-VP" && $0[7] == "dtd" }!][11] = "bold"      // InsVP's 74.5 is the best
            rows[rows.firstIndex { $0[5] == "Bias" && $0[7] == "cub200" }!][2] = "vtab9"     // unknown benchmark
        }
        let r = TableFileCheck.check(file: user, directory: dir)
        XCTAssertFalse(r.ok)
        let text = r.problems.joined(separator: "\n")
        XCTAssertTrue(text.contains("sa2vp_hta_vit-b16-in21k.csv:"), text)
        XCTAssertTrue(text.contains("unknown benchmark 'vtab9'"), text)
        XCTAssertTrue(text.contains("row label 'Full' has no line in"), text)        // no sa2vp lines in method-ids.csv
        XCTAssertTrue(text.contains("tables.csv: no line for sa2vp_hta_vit-b16-in21k.csv"), text)
        XCTAssertTrue(text.contains("mean of VPT [vit-b16-in21k] mean: printed '85.7', expected '85.5'"), text)
        XCTAssertTrue(text.contains("mark of DAM-VP [vit-b16-in21k] dtd: printed 'bold', expected 'underline'"), text)
        // Each problem names a file and, for rows, a line.
        let lined = r.problems.filter { $0.range(of: #"\.csv:[0-9]+: "#, options: .regularExpression) != nil }
        XCTAssertGreaterThanOrEqual(lined.count, 4, text)
    }

    /// A table of means only (DA-VPT's Table 1) registers the cells its means average, so it can be reproduced.
    func testMeanOnlyTableImpliesItsDatasets() throws {
        let b = try PaperTablesBundle(directory: tablesDir)
        let t = try XCTUnwrap(b.tables.first { $0.name == "da-vpt_vtab1k_vit-b16-in21k.csv" })
        XCTAssertFalse(t.rows.contains { KnownIds.vtabDatasets.contains($0.dataset) })
        XCTAssertEqual(t.impliedDatasets, KnownIds.vtabDatasets)
        let key = CellKey(benchmark: "vtab1k", dataset: "dmlab", method: "da-vpt", backbone: "vit-b16-in21k")
        XCTAssertTrue(b.registry.cellsByTable[t.name]?.contains(key) ?? false)
        // A table that prints its datasets implies nothing (InsVP's HTA mean is over its ten printed columns).
        XCTAssertEqual(b.tables.first { $0.name == "insvp_hta_vit-b16-in21k.csv" }?.impliedDatasets, [])
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
        // ILM-VP Table 1: 5 × 13 (ResNet-18), 4 × 13 (ResNet-50), 4 × 13 (ResNeXt-101).
        XCTAssertEqual(reg.cellsByTable["ilm-vp_ilm13_resnet18-in1k.csv"]?.count, 65)
        XCTAssertEqual(reg.cellsByTable["ilm-vp_ilm13_resnet50-in1k.csv"]?.count, 52)
        // DA-VPT Table 1, MAE block: 7 rows, each implying the 19 VTAB tasks its group means average.
        XCTAssertEqual(reg.cellsByTable["da-vpt_vtab1k_vit-b16-mae.csv"]?.count, 7 * 19)
        let key = CellKey(benchmark: "hta", dataset: "dtd", method: "vpt-deep", backbone: "vit-b16-in21k")
        XCTAssertEqual(reg.cells[key]?.first?.valueText, "65.8")
        // A classification from outside (Bench's): list and coverage count by it.
        let classify: CellClassification = { k in k.method == "vpt-deep" || k.method == "insvp" ? ("runnable", "") : ("needs-method", "no \(k.method)") }
        let list = reg.listText(table: "insvp_hta_vit-b16-in21k.csv", status: "runnable", classify: classify)
        XCTAssertEqual(list.split(separator: "\n").count, 20)
        XCTAssertTrue(list.contains("hta/dtd/vpt-deep/vit-b16-in21k\trunnable\t-\t65.8 (insvp,"), list)
        XCTAssertTrue(reg.listText(table: "insvp_hta_vit-b16-in21k", status: "needs-method", classify: classify)
            .contains("hta/dtd/lion/vit-b16-in21k\tneeds-method\tno lion\t- (insvp,"))
        XCTAssertTrue(reg.implementedMethods.isSuperset(of: ["insvp", "vpt-deep", "ilm-vp", "bias"]))
        XCTAssertFalse(reg.implementedMethods.contains("lion"))
        let cov = reg.coverageText(statuses: ["runnable", "needs-method"], classify: classify)
        XCTAssertTrue(cov.contains("insvp_hta_vit-b16-in21k.csv\t198\t191\t180\t20\t160"), cov)
        XCTAssertTrue(cov.hasPrefix("table\tprinted_cells\twith_numbers\tregistry_cells\trunnable\tneeds-method\n"), cov)
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

import Foundation
import XCTest
@testable import Bench

final class CheckTests: XCTestCase {
    /// Baseline from the toy runs: m1/a 81.0 (3 seeds), m1/b 70.0, m2/a 81.04.
    func baseline(_ set: RunSet) throws -> (cells: [BaselineCell], file: String) {
        let file = set.root.appendingPathComponent("baselines/mini.csv").path
        try BaselineFile.write(try RegressionCheck.baselineCells(summaries: try set.summaries(), show: .official), to: file)
        return (try BaselineFile.read(file: file), file)
    }

    func check(_ set: RunSet, _ b: (cells: [BaselineCell], file: String), tolerance: Double = 0.5) throws -> CheckOutcome {
        try RegressionCheck.run(baseline: b.cells, baselineFile: b.file, summaries: try set.summaries(), show: .official, tolerance: tolerance)
    }

    func testPassesAgainstItsOwnBaseline() throws {
        let set = try toyRuns()
        let out = try check(set, try baseline(set))
        XCTAssertTrue(out.passed, out.text)
        XCTAssertEqual(out.exitStatus, 0)
        XCTAssertEqual(out.compared, 3)
        XCTAssertTrue(out.findings.isEmpty, out.text)
    }

    func testPlantedRegressionFailsAndIsListed() throws {
        let set = try toyRuns()
        let b = try baseline(set)
        // m2/a drops from 81.04 to 80.00 (−1.04 > 0.5); m1/b drops by 0.4 (within tolerance).
        try set.add(dataset: "a", method: "m2", seed: 0, official: 80.0, variant: "fixed")
        for seed in 0..<3 { try set.add(dataset: "b", method: "m1", seed: seed, official: 69.6) }
        let out = try check(set, b)
        XCTAssertFalse(out.passed)
        XCTAssertEqual(out.exitStatus, 1)
        XCTAssertEqual(out.findings.map { $0.kind }, [.regression])
        XCTAssertTrue(out.text.contains("REGRESSION m2/a/bb: baseline 81.04, now 80.00 (-1.04)"), out.text)
        XCTAssertFalse(out.text.contains("m1/b/bb"), out.text)
        XCTAssertTrue(out.text.contains("check FAILED: 1 cell(s)"), out.text)
        // A wider tolerance lets it pass.
        XCTAssertTrue(try check(set, b, tolerance: 1.1).passed)
    }

    func testMissingCellFails() throws {
        let set = try toyRuns()
        let b = try baseline(set)
        try FileManager.default.removeItem(at: RunStore.folder(runs: set.runs, cell: "toy/a/m2/bb", seed: 0))
        let out = try check(set, b)
        XCTAssertEqual(out.exitStatus, 1)
        XCTAssertTrue(out.text.contains("MISSING m2/a/bb: baseline 81.04"), out.text)
    }

    func testImprovementAndNewCellsAreInfo() throws {
        let set = try toyRuns()
        let b = try baseline(set)
        try set.add(dataset: "a", method: "m2", seed: 0, official: 83.0)
        try set.add(dataset: "c", method: "m1", seed: 0, official: 50.0)
        let out = try check(set, b)
        XCTAssertTrue(out.passed, out.text)
        XCTAssertTrue(out.text.contains("IMPROVED m2/a/bb: baseline 81.04, now 83.00 (+1.96)"), out.text)
        XCTAssertTrue(out.text.contains("NEW m1/c/bb: 50.00"), out.text)
    }

    func testBaselineOfOtherSelectionIsRefused() throws {
        let set = try toyRuns()
        let b = try baseline(set)
        XCTAssertThrowsError(try RegressionCheck.run(baseline: b.cells, baselineFile: b.file, summaries: try set.summaries(),
                                                     show: .clean, tolerance: 0.5)) { e in
            XCTAssertTrue("\(e)".contains("--show official"), "\(e)")
        }
    }

    func testBadBaselineFileIsNamed() throws {
        let set = try RunSet()
        let file = set.root.appendingPathComponent("bad.csv").path
        try "method,dataset\nm1,a\n".write(toFile: file, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try BaselineFile.read(file: file)) { e in XCTAssertTrue("\(e)".hasPrefix("\(file):1: expected header"), "\(e)") }
        XCTAssertThrowsError(try BaselineFile.read(file: file + ".missing")) { e in XCTAssertTrue("\(e)".contains("does not exist"), "\(e)") }
    }

    /// Toy runs whose metadata.json names an OpenBLAS core.
    func runs(core: String?) throws -> RunSet {
        let set = try RunSet()
        let machine: [String: Any]? = core.map { ["blasCore": $0, "threads": 2] }
        for seed in 0..<2 { try set.add(dataset: "a", method: "m1", seed: seed, official: 80.0 + Double(seed), machine: machine) }
        return set
    }

    func testBaselineRecordsItsBLASCore() throws {
        let set = try runs(core: "Haswell")
        let used = RegressionCheck.blasCores(runs: set.runs, summaries: try set.summaries())
        XCTAssertEqual(used.cores, ["Haswell"])
        XCTAssertEqual(used.withoutCore, 0)
        let file = set.root.appendingPathComponent("b.csv").path
        try BaselineFile.write(try RegressionCheck.baselineCells(summaries: try set.summaries(), show: .official), to: file, blasCores: used.cores)
        let text = try String(contentsOfFile: file, encoding: .utf8)
        XCTAssertTrue(text.hasPrefix("# blas_core: Haswell\nmethod,dataset,"), text)
        let doc = try BaselineFile.readDocument(file: file)
        XCTAssertEqual(doc.blasCores, ["Haswell"])
        XCTAssertEqual(doc.cells.map(\.id), ["m1/a/bb"])
        XCTAssertEqual(try BaselineFile.read(file: file), doc.cells)
        // Same core: no warning.
        let same = try RegressionCheck.run(baselineFile: file, runs: set.runs, summaries: try set.summaries(), show: .official, tolerance: 0.5)
        XCTAssertTrue(same.warnings.isEmpty, same.text)
        XCTAssertFalse(same.text.contains("WARNING"), same.text)
    }

    func testCheckWarnsWhenTheRunsUsedAnotherBLASCore() throws {
        let set = try runs(core: "Haswell")
        let file = set.root.appendingPathComponent("b.csv").path
        try BaselineFile.write(try RegressionCheck.baselineCells(summaries: try set.summaries(), show: .official), to: file, blasCores: ["Cooperlake"])
        let out = try RegressionCheck.run(baselineFile: file, runs: set.runs, summaries: try set.summaries(), show: .official, tolerance: 0.5)
        XCTAssertTrue(out.passed, "a warning does not fail the check")
        XCTAssertEqual(out.warnings.count, 1)
        XCTAssertTrue(out.text.hasPrefix("WARNING BLAS core differs: the runs used Haswell, \(file) was recorded with Cooperlake"), out.text)
        // A baseline that records no core, and runs that record none, are said too.
        try BaselineFile.write(try RegressionCheck.baselineCells(summaries: try set.summaries(), show: .official), to: file)
        let none = try RegressionCheck.run(baselineFile: file, runs: set.runs, summaries: try set.summaries(), show: .official, tolerance: 0.5)
        XCTAssertTrue(none.text.contains("WARNING BLAS core unknown for the baseline"), none.text)
        let bare = try runs(core: nil)
        try BaselineFile.write(try RegressionCheck.baselineCells(summaries: try bare.summaries(), show: .official), to: file, blasCores: ["Haswell"])
        let unknown = try RegressionCheck.run(baselineFile: file, runs: bare.runs, summaries: try bare.summaries(), show: .official, tolerance: 0.5)
        XCTAssertTrue(unknown.text.contains("WARNING BLAS core unknown for the runs"), unknown.text)
        XCTAssertTrue(unknown.text.contains("2 run(s)"), unknown.text)
    }

    func testNotesKeepErrorLinesAndTheCommittedBaselinesNameTheirCore() throws {
        let set = try RunSet()
        let file = set.root.appendingPathComponent("c.csv").path
        try "# blas_core: Haswell\n# recorded by hand\n\(BaselineFile.header.joined(separator: ","))\nm1,a,bb,x,1,,,,official:r,official\n"
            .write(toFile: file, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try BaselineFile.read(file: file)) { e in XCTAssertTrue("\(e)".hasPrefix("\(file):4: expected seeds"), "\(e)") }
        for name in ["mini-smoke.csv", "mini.csv"] {
            let doc = try BaselineFile.readDocument(file: repoRoot.appendingPathComponent("results/baselines/" + name).path)
            XCTAssertNotNil(doc.blasCores, "\(name) records no '# blas_core:' line")
            XCTAssertFalse(doc.cells.isEmpty)
        }
    }
}

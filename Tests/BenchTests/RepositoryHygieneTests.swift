import XCTest
@testable import Bench
import Data
import Foundation
import PaperTables

/// Things a newcomer trips over before running anything: a tree that a case-insensitive filesystem (macOS's default)
/// cannot check out, and dataset ids that spell a benchmark differently from cell ids.
final class RepositoryHygieneTests: XCTestCase {
    /// Groups of paths (files, and every folder above them) that differ only by case.
    static func caseCollisions(_ paths: [String]) -> [[String]] {
        var all = Set<String>()
        for p in paths {
            let parts = p.split(separator: "/")
            for n in 1...max(parts.count, 1) where !parts.isEmpty { all.insert(parts.prefix(n).joined(separator: "/")) }
        }
        return Dictionary(grouping: all, by: { $0.lowercased() }).values.filter { $0.count > 1 }.map { $0.sorted() }.sorted { $0[0] < $1[0] }
    }

    /// The repository's tracked paths: `git ls-files`, else every file under the root but build outputs; nil when neither works.
    static func trackedPaths() -> [String]? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["git", "-C", repoRoot.path, "ls-files", "-z"]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        if (try? p.run()) != nil {
            let data = out.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            if p.terminationStatus == 0 {
                let paths = String(decoding: data, as: UTF8.self).split(separator: "\0").map(String.init)
                if !paths.isEmpty { return paths }
            }
        }
        guard let walk = FileManager.default.enumerator(atPath: repoRoot.path) else { return nil }
        var paths: [String] = []
        let skipped: Set<String> = [".build", ".git", ".swiftpm", "runs"]
        while let rel = walk.nextObject() as? String {
            if skipped.contains(String(rel.split(separator: "/").first ?? "")) { continue }
            paths.append(rel)
        }
        return paths.isEmpty ? nil : paths
    }

    func testTheCollisionCheckFindsFoldersAndFiles() {
        XCTAssertEqual(Self.caseCollisions(["Sources/bench/main.swift", "Sources/Bench/Cells.swift"]), [["Sources/Bench", "Sources/bench"]])
        XCTAssertEqual(Self.caseCollisions(["a/README.md", "a/readme.md", "a/b.txt"]), [["a/README.md", "a/readme.md"]])
        XCTAssertEqual(Self.caseCollisions(["Sources/BenchCLI/main.swift", "Sources/Bench/Cells.swift"]), [])
    }

    /// No two tracked paths may differ only by case: a case-insensitive filesystem would merge them on clone.
    func testNoTwoTrackedPathsDifferOnlyByCase() throws {
        guard let paths = Self.trackedPaths() else {
            throw XCTSkip("neither `git ls-files` nor a walk of \(repoRoot.path) gave the repository's paths")
        }
        XCTAssertGreaterThan(paths.count, 100, "too few paths to be the repository")
        let clashes = Self.caseCollisions(paths)
        XCTAssertTrue(clashes.isEmpty, "paths that differ only by case: " + clashes.map { $0.joined(separator: " vs ") }.joined(separator: "; "))
    }

    /// Every VTAB-1k cell of the paper tables reads the dataset id that spells its benchmark the same way (`vtab1k/<task>`),
    /// and that id is registered.
    func testVTABCellsReadTheirBenchmarksDatasetIds() throws {
        let bundle = try PaperTablesBundle(directory: repoRoot.appendingPathComponent("paper-tables").path)
        let datasets = Set(bundle.registry.cellsByTable.values.joined().filter { $0.benchmark == "vtab1k" }.map(\.dataset))
        XCTAssertGreaterThanOrEqual(datasets.count, 19)
        for d in datasets {
            let id = CellCatalog.registryId(benchmark: "vtab1k", dataset: d)
            XCTAssertEqual(id, "vtab1k/" + d)
            XCTAssertNotNil(datasetRegistry[id], "\(id) is not a registered dataset id")
        }
    }
}

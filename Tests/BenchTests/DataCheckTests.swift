import XCTest
import Foundation
@testable import Bench
import Data

/// A run checks its data tree first: a tree with problems is refused with every problem named; a good tree
/// yields the run's data record (source, split verdicts) that the report footer prints.
final class DataCheckTests: XCTestCase {
    var dir = ""
    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "/datacheck-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    /// vtab1k/kitti_dist (4 classes, test 711) image-folder tree with the published counts; images are
    /// placeholders (the run's check does not decode). `extra` replaces train800's last lines.
    func makeKITTI(train800 extra: [String] = []) throws -> String {
        let root = dir + "/vtab", task = root + "/kitti", fm = FileManager.default
        try fm.createDirectory(atPath: task + "/images", withIntermediateDirectories: true)
        func list(_ prefix: String, _ n: Int) throws -> [String] {
            try (0..<n).map { i in
                let rel = "images/\(prefix)\(i).png"
                fclose(fopen(task + "/" + rel, "w"))  // an empty placeholder (FileManager.createFile is slow here)
                return "\(rel) \(i % 4)"
            }
        }
        let train = try list("tr", 800 - extra.count) + extra, val = try list("va", 200), test = try list("te", 711)
        for (name, lines) in [("train800", train), ("val200", val), ("train800val200", train + val), ("test", test)] {
            try (lines.joined(separator: "\n") + "\n").write(toFile: task + "/\(name).txt", atomically: true, encoding: .utf8)
        }
        return root
    }

    let plan = SplitPlan(train: "train800val200", val: "val200", test: "test")

    func testAGoodTreeOpensWithItsDataRecord() throws {
        let root = try makeKITTI()
        let (tr, va, te, record) = try DataCheck.open(id: "vtab1k/kitti_dist", root: root, plan: plan, cell: "c", labelMapping: .official)
        XCTAssertEqual([tr.count, va?.count ?? 0, te.count], [1000, 200, 711])
        XCTAssertEqual(record.source, "vtab1k-image-folder")
        XCTAssertNil(record.labelMapping)
        XCTAssertEqual(record.splitFiles.map(\.split), ["test", "train800", "train800val200", "val200"])
        XCTAssertEqual(Set(record.splitFiles.map(\.verdict)), [.unrecorded])
    }

    func testATreeWithProblemsIsRefusedNamingAll() throws {
        let root = try makeKITTI(train800: ["images/gone.png 1", "images/tr0.png 999"])
        XCTAssertThrowsError(try DataCheck.open(id: "vtab1k/kitti_dist", root: root, plan: plan, cell: "c", labelMapping: .official)) { e in
            let text = "\(e)"
            // Both faults (lines 799, 800) and the repeated tr0.png, in train800.txt and in train800val200.txt
            // (every split is checked, also those this run does not read).
            for part in ["6 data problem(s)", "train800.txt:799: image", "train800.txt:800: label 999", "train800val200.txt:799: image \(root)/kitti/images/gone.png does not exist",
                         "train800val200.txt:800: label 999 outside 0..<4", "train800val200.txt:800: images/tr0.png is listed again (first on line 1)",
                         "bench verify-data --root \(root) --dataset vtab1k/kitti_dist"] {
                XCTAssertTrue(text.contains(part), "\"\(part)\" not in \(text)")
            }
        }
    }

    func testReportFooterNamesDataSourcesAndWarnsWhenVTABSourcesMix() throws {
        let runs = URL(fileURLWithPath: dir + "/runs")
        func run(_ dataset: String, _ data: RunDataRecord) throws -> RunSummary {
            let s = RunSummary(cell: "vtab1k/\(dataset)/vpt-deep/vit-b16", benchmark: "vtab1k", dataset: dataset, method: "vpt-deep",
                               backbone: "vit-b16", seed: 0, official: SelectedAccuracy(accuracy: 50, rule: "last-epoch-test", epoch: 0),
                               clean: SelectedAccuracy(accuracy: 50, rule: "last-epoch-test", epoch: 0), epochs: 1,
                               params: ParameterCounts(prompts: 1, head: 1, other: 0, model: 2), trainImagesPerSecond: 1, wallSeconds: 1,
                               pipeline: "vpt-vtab")
            let folder = RunStore.folder(runs: runs, cell: s.cell, seed: 0)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let meta = RunMetadata(gitCommit: "x", swiftVersion: "6", machine: .current(), started: "t", finished: "t", data: data)
            try RunStore.writeJSON(meta, to: folder.appendingPathComponent("metadata.json"))
            return s
        }
        let published = SplitIdentity(split: "trainval-manifest", file: "m.json", sha256: "ab", entries: 14, verdict: .published, published: nil)
        let a = try run("cifar100", RunDataRecord(dataset: "vtab-tfds/cifar100", source: "vtab1k-tfds-records", labelMapping: nil, splitFiles: [published]))
        let b = try run("dtd", RunDataRecord(dataset: "vtab1k/dtd", source: "vtab1k-image-folder", labelMapping: nil, splitFiles: []))
        let notes = RunAggregator.dataNotes(runs: runs, summaries: [a, b])
        XCTAssertEqual(notes.count, 3, "\(notes)")
        XCTAssertTrue(notes.contains("Data: cifar100: vtab1k-tfds-records; split files: trainval-manifest: the published split (from metadata.json)."), "\(notes)")
        XCTAssertTrue(notes.contains { $0.hasPrefix("Data: dtd: vtab1k-image-folder") && $0.contains("no split file identified") }, "\(notes)")
        XCTAssertTrue(notes.contains { $0.hasPrefix("Data sources differ: this report mixes VTAB-1k read from TFDS records") }, "\(notes)")
        XCTAssertFalse(RunAggregator.dataNotes(runs: runs, summaries: [a]).contains { $0.hasPrefix("Data sources differ") })
    }
}

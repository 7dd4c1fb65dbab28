import XCTest
import Foundation
@testable import Data

/// Issue 25's scenario: a tiny VTAB-1k image-folder tree (vtab/cifar100, 100 classes) with four planted
/// faults — a corrupt JPEG, a corrupt PNG, a missing file and label 999 — must have all four named in one run.
final class VerifyEveryProblemTests: XCTestCase {
    var root = ""

    override func setUpWithError() throws {
        root = NSTemporaryDirectory() + "/vpt-four-faults-\(UUID().uuidString)"
        try Self.makeFourFaultTree(root)
    }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: root) }

    /// `<root>/cifar/{train800,val200,train800val200,test}.txt`; train800 lines 2–5 are the four faults.
    static func makeFourFaultTree(_ root: String) throws {
        let fm = FileManager.default
        let images = root + "/cifar/images"
        try fm.createDirectory(atPath: images, withIntermediateDirectories: true)
        for (src, dst) in [("rgb444.jpg", "good0.jpg"), ("rgb8.png", "good1.png"), ("rgb420.jpg", "good2.jpg"),
                           ("truncated.jpg.bad", "broken.jpg"), ("truncated.png.bad", "broken.png")] {
            try fm.copyItem(atPath: Fixtures.path("decode/" + src), toPath: images + "/" + dst)
        }
        let train = "images/good0.jpg 0\nimages/broken.jpg 1\nimages/broken.png 2\nimages/gone.jpg 3\nimages/good1.png 999\n"
        let val = "images/good2.jpg 0\n"
        for (name, text) in [("train800", train), ("val200", val), ("train800val200", train + val), ("test", "images/good1.png 5\n")] {
            try text.write(toFile: root + "/cifar/\(name).txt", atomically: true, encoding: .utf8)
        }
    }

    func testAllFourFaultsNamedInOnePass() throws {
        let r = verifyData(root: root, dataset: "vtab1k/cifar100")
        XCTAssertFalse(r.ok)
        let list = root + "/cifar/train800.txt"
        let text = r.description
        for expected in ["\(list):2: image \(root)/cifar/images/broken.jpg does not decode",
                         "\(list):3: image \(root)/cifar/images/broken.png does not decode",
                         "\(list):4: image \(root)/cifar/images/gone.jpg does not exist",
                         "\(list):5: label 999 outside 0..<100"] {
            XCTAssertTrue(text.contains(expected), "missing \"\(expected)\" in\n\(text)")
        }
        // The same four in train800val200.txt, plus a count mismatch per split; each problem is one line.
        XCTAssertEqual(r.errors.filter { $0.split == "train800" }.map(\.kind),
                       [.undecodable, .undecodable, .missingImage, .labelOutOfRange, .countMismatch])
        XCTAssertEqual(r.errors.filter { $0.split == "train800val200" }.count, 5)
        XCTAssertEqual(r.errors.count, 12)
        XCTAssertEqual(r.splits["train800"]?.found, 5)
        XCTAssertEqual(r.splits["train800"]?.undecodable, 2)
        XCTAssertEqual(r.splits["val200"]?.missingClasses.count, 99)
        XCTAssertTrue(text.contains("summary:\n  test: 1 samples (expected 10000 ✗)"), text)
        XCTAssertTrue(text.hasSuffix("verify-data vtab1k/cifar100: 12 problem(s), 4 warning(s)\n"), text)
        XCTAssertFalse(text.contains("\n  \n"))
    }

    func testJSONHasTheSameProblems() throws {
        let r = verifyData(root: root, dataset: "vtab1k/cifar100")
        let doc = try JSONDecoder().decode(VerifyDataDocument.self, from: Foundation.Data(r.json.utf8))
        XCTAssertEqual(doc.schema, "vpt-bench/verify-data/1")
        XCTAssertFalse(doc.ok)
        XCTAssertEqual(doc.errors, 12)
        XCTAssertEqual(doc.problems, r.issues)
        let label = try XCTUnwrap(doc.problems.first { $0.kind == .labelOutOfRange && $0.split == "train800" })
        XCTAssertEqual([label.file, "\(label.line ?? 0)"], [root + "/cifar/train800.txt", "5"])
        XCTAssertEqual(doc.dataSource, "vtab1k-image-folder")
        XCTAssertEqual(doc.splitFiles.map(\.verdict), Array(repeating: .unrecorded, count: 4))
        // Absent values are null, not missing: every problem has every field.
        let raw = try XCTUnwrap(JSONSerialization.jsonObject(with: Foundation.Data(r.json.utf8)) as? [String: Any])
        for p in try XCTUnwrap(raw["problems"] as? [[String: Any]]) { XCTAssertEqual(Set(p.keys), ["severity", "kind", "split", "file", "line", "key", "message"]) }
        XCTAssertTrue(r.json.contains("\"published\" : null"), r.json)
    }

    func testReaderRefusesWithEveryProblemOfTheSplitFile() throws {
        XCTAssertThrowsError(try openDataset(root: root, id: "vtab1k/cifar100", split: "train800")) { e in
            guard case let DataError.problems(list)? = e as? DataError else { return XCTFail("\(e)") }
            XCTAssertEqual(list.map(\.line), [4, 5])
            XCTAssertTrue("\(e)".hasPrefix("2 problems:\n"), "\(e)")
        }
        // The same file read without the faulty lines is a valid split (the scan keeps the good entries).
        let (d, problems) = try scanDataset(root: root, id: "vtab1k/cifar100", split: "train800")
        XCTAssertEqual(d.count, 3)
        XCTAssertEqual(problems.count, 2)
        XCTAssertEqual((d as? ListedDataset)?.lines, [1, 2, 3])
    }

    func testRepeatedEntriesAndUnparsableLabels() throws {
        try "images/good0.jpg 0\nimages/good0.jpg 1\nimages/good2.jpg x\nonlyonefield\n"
            .write(toFile: root + "/cifar/val200.txt", atomically: true, encoding: .utf8)
        let (_, problems) = try scanDataset(root: root, id: "vtab1k/cifar100", split: "val200")
        XCTAssertEqual(problems.map(\.kind), [.duplicate, .badLabel, .malformedLine])
        XCTAssertEqual(problems.map(\.line), [2, 3, 4])
        XCTAssertTrue(problems[0].description.contains("listed again (first on line 1)"), "\(problems[0])")
    }
}

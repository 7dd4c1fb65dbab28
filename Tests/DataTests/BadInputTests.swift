import XCTest
import Foundation
@testable import Data

/// Every bad input is one DataError naming the file (and line).
final class BadInputTests: XCTestCase {
    var tmp = ""

    override func setUpWithError() throws {
        tmp = NSTemporaryDirectory() + "/vpt-data-bad-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Fixtures.path("vtab/dtd"), toPath: tmp + "/dtd")
    }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: tmp) }

    func write(_ rel: String, _ text: String) throws {
        try text.write(toFile: tmp + "/" + rel, atomically: true, encoding: .utf8)
    }
    func expectError(_ body: () throws -> Void, contains parts: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try body(), file: file, line: line) { e in
            XCTAssertTrue(e is DataError, "\(e)", file: file, line: line)
            for p in parts { XCTAssertTrue("\(e)".contains(p), "\"\(e)\" lacks \"\(p)\"", file: file, line: line) }
        }
    }
    func open(_ s: VTABSplit = .train800) throws -> ListedDataset {
        try ListedDataset.vtabFolder(id: "dtd", taskDir: tmp + "/dtd", split: s, numClasses: 47)
    }

    func testMissingRootAndSplitFile() throws {
        expectError({ _ = try ListedDataset.vtabFolder(id: "dtd", taskDir: tmp + "/nope", split: .test, numClasses: 47) }, contains: ["nope"])
        try FileManager.default.removeItem(atPath: tmp + "/dtd/test.txt")
        expectError({ _ = try open(.test) }, contains: ["test.txt"])
        expectError({ _ = try ListedDataset.fgvcJSON(id: "cub200", datasetDir: tmp + "/dtd", imageDir: tmp, split: "train", numClasses: 200) }, contains: ["train.json"])
    }

    func testMissingImageMalformedLineLabelRangeEmptySplit() throws {
        try write("dtd/train800.txt", "images/banded/banded_0000.jpg 0\nimages/none.jpg 1\n")
        expectError({ _ = try open() }, contains: ["train800.txt:2", "none.jpg"])
        try write("dtd/train800.txt", "images/banded/banded_0000.jpg 0\nimages/banded/banded_0000.jpg\n")
        expectError({ _ = try open() }, contains: ["train800.txt:2", "malformed"])
        try write("dtd/train800.txt", "images/banded/banded_0000.jpg 47\n")
        expectError({ _ = try open() }, contains: ["train800.txt:1", "47"])
        try write("dtd/train800.txt", "\n\n")
        expectError({ _ = try open() }, contains: ["train800.txt", "empty"])
    }

    func testCorruptImageAndVerifyReport() throws {
        let jpg = tmp + "/dtd/images/banded/banded_0000.jpg"
        let bytes = try Foundation.Data(contentsOf: URL(fileURLWithPath: jpg))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: jpg))
        let d = try open()
        expectError({ _ = try d.image(0) }, contains: ["banded_0000.jpg"])
        let r = verifyData(root: tmp, dataset: "vtab1k/dtd")
        XCTAssertFalse(r.ok)
        XCTAssertEqual(r.counts["train800"]?.samples, 3)
        XCTAssertTrue(r.problems.contains { $0.contains("train800.txt: 3 samples, expected 800") }, "\(r)")
        XCTAssertTrue(r.problems.contains { $0.contains("banded_0000.jpg") }, "\(r)")
        XCTAssertTrue(r.description.contains("verify-data vtab1k/dtd"))
        XCTAssertFalse(verifyData(root: tmp + "/missing", dataset: "vtab1k/dtd").ok)
        XCTAssertFalse(verifyData(root: tmp, dataset: "nope").ok)
    }

    func testRegistryOpensFixtureTrees() throws {
        let cub = try openDataset(root: Fixtures.path("fgvc"), id: "cub200", split: "val")
        XCTAssertEqual(cub.count, 1)
        let r = verifyData(root: Fixtures.path("fgvc"), dataset: "cub200")
        XCTAssertEqual(r.counts["test"]?.samples, 2)
        XCTAssertEqual(r.problems.count, 3) // only the three count mismatches vs the real CUB sizes
        XCTAssertEqual(datasetRegistry.count, 24 + 10 + 12 + 19) // vtab, fgvc + hta, ilm13, vtab-tfds
        XCTAssertThrowsError(try openDataset(root: "/", id: "vtab1k/dtd", split: "train"))
    }
}

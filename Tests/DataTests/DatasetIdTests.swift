import XCTest
@testable import Data

/// VTAB-1k dataset ids are spelled `vtab1k/<task>`, as cell ids spell the benchmark; the old `vtab/<task>` is still
/// accepted, with a note naming the new one.
final class DatasetIdTests: XCTestCase {
    func testRegistryUsesTheBenchmarkSpelling() {
        XCTAssertTrue(datasetRegistry.keys.filter { $0.hasPrefix("vtab/") }.isEmpty, "a registry id still spells vtab/")
        XCTAssertEqual(datasetRegistry.keys.filter { $0.hasPrefix("vtab1k/") }.count, 19)
    }

    func testOldSpellingResolvesWithANote() {
        let old = resolveDatasetId("vtab/dtd")
        XCTAssertEqual(old.id, "vtab1k/dtd")
        XCTAssertNotNil(old.note)
        XCTAssertTrue(old.note?.contains("vtab/dtd") == true && old.note?.contains("use vtab1k/dtd") == true, old.note ?? "")
        let new = resolveDatasetId("vtab1k/dtd")
        XCTAssertEqual(new.id, "vtab1k/dtd")
        XCTAssertNil(new.note)
        // Not an old spelling of a registered id: left as it is (and reported as unknown where it is used).
        XCTAssertEqual(resolveDatasetId("vtab/nope").id, "vtab/nope")
        XCTAssertNil(resolveDatasetId("vtab/nope").note)
        XCTAssertNil(resolveDatasetId("hta/dtd").note)
    }

    func testBothSpellingsOpenAndVerifyTheSameTree() throws {
        let root = Fixtures.path("vtab")
        let a = try openDataset(root: root, id: "vtab1k/dtd", split: "train800")
        let b = try openDataset(root: root, id: "vtab/dtd", split: "train800")
        XCTAssertEqual(a.count, b.count)
        XCTAssertGreaterThan(a.count, 0)
        XCTAssertEqual((0..<a.count).map(a.label), (0..<b.count).map(b.label))
        let ra = verifyData(root: root, dataset: "vtab1k/dtd", decodeImages: false)
        let rb = verifyData(root: root, dataset: "vtab/dtd", decodeImages: false)
        XCTAssertEqual(rb.dataset, "vtab1k/dtd", "the report names the registered id")
        XCTAssertEqual(ra.problems, rb.problems)
        XCTAssertThrowsError(try openDataset(root: root, id: "vtab/nope", split: "train800")) { e in
            XCTAssertTrue("\(e)".contains("vtab/nope"), "\(e)")
        }
    }
}

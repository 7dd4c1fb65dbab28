import XCTest
import Foundation
@testable import Data

/// The FGVC reader on the published split files (copies in `../shared/data/splits` beside the repository;
/// see its README): string and integer ids, the official per-split mapping and its NABirds val shift, and
/// split identity against `publishedSplits`.
final class PublishedSplitTests: XCTestCase {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    /// `../shared/data/splits` beside the clone; VPT_SPLITS_DIR overrides it (a git worktree elsewhere).
    static let shared = ProcessInfo.processInfo.environment["VPT_SPLITS_DIR"]
        ?? repoRoot.deletingLastPathComponent().appendingPathComponent("shared/data/splits").path
    var gift: String { Self.shared + "/gift_f0cb80c/data" }
    var tmp = ""

    func requireCopies() throws {
        guard FileManager.default.fileExists(atPath: gift) else {
            throw XCTSkip("published split copies not found at \(Self.shared) (they live beside the clone, ../shared/data/splits; or set VPT_SPLITS_DIR)")
        }
    }

    override func setUpWithError() throws {
        tmp = NSTemporaryDirectory() + "/vpt-published-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
    }
    override func tearDownWithError() throws { if !tmp.isEmpty { try? FileManager.default.removeItem(atPath: tmp) } }

    /// Scans the three split files of `folder` (no images: checkFiles false).
    func scan(_ folder: String, _ classes: Int, _ mapping: FGVCLabelMapping = .official) throws -> [String: ListedDataset] {
        var out: [String: ListedDataset] = [:]
        for split in ["train", "val", "test"] {
            let (d, problems) = try ListedDataset.scanFGVCJSON(id: folder, datasetDir: gift + "/" + folder, imageDir: "/nonexistent",
                                                               split: split, numClasses: classes, checkFiles: false, labelMapping: mapping)
            XCTAssertEqual(problems, [], "\(folder) \(split)")
            out[split] = d
        }
        return out
    }

    func testCountsAndClassesPerSplit() throws {
        try requireCopies()
        let expected: [(String, Int, [Int], [Int])] = [
            ("cub", 200, [5394, 600, 5794], [200, 200, 200]),
            ("nabirds", 555, [21536, 2393, 24633], [555, 553, 555]),
            ("oxfordflowers", 102, [1020, 1020, 6149], [102, 102, 102]),
            ("stanforddogs", 120, [10800, 1200, 8580], [120, 120, 120]),
        ]
        for (folder, classes, counts, classCounts) in expected {
            let d = try scan(folder, classes)
            XCTAssertEqual(["train", "val", "test"].map { d[$0]!.count }, counts, folder)
            XCTAssertEqual(["train", "val", "test"].map { Set(d[$0]!.labels).count }, classCounts, folder)
            XCTAssertEqual(d["train"]!.labels.max(), classes - 1, folder)
        }
    }

    func testCUBStringIdsMapInPythonSortedOrder() throws {
        try requireCopies()
        let d = try scan("cub", 200)
        // "001.Black_footed_Albatross" → label 0, "200.Common_Yellowthroat" → 199 (string ids "001"…"200").
        let tr = d["train"]!
        for (p, l) in zip(tr.paths, tr.labels) {
            let id = Int(p.split(separator: "/")[1].prefix(3))!
            XCTAssertEqual(l, id - 1, p)
        }
        // File order is kept (the official code iterates anno.items()): the first key of train.json comes first.
        let first = try parseOrderedJSON([UInt8](Foundation.Data(contentsOf: URL(fileURLWithPath: gift + "/cub/train.json"))), file: "train.json")
        guard case let .object(items, _) = first else { return XCTFail() }
        XCTAssertEqual(tr.paths[0], "/nonexistent/" + items[0].key)
    }

    func testNABirdsValShiftsUnderTheOfficialMapping() throws {
        try requireCopies()
        let official = try scan("nabirds", 555, .official), fixed = try scan("nabirds", 555, .fixed)
        // val.json lacks class ids 627 and 975 (train labels 230 and 519).
        let trainIDs = try FGVCSplitFile(file: gift + "/nabirds/train.json", split: "train").classIDs
        let valIDs = try FGVCSplitFile(file: gift + "/nabirds/val.json", split: "val").classIDs
        XCTAssertEqual(Set(trainIDs).subtracting(valIDs), [.int(627), .int(975)])
        XCTAssertEqual([trainIDs.firstIndex(of: .int(627)), trainIDs.firstIndex(of: .int(975))], [230, 519])
        // Official: ids above 627 move down one label, above 975 two; 1440 of the 2393 val images change label.
        let o = official["val"]!.labels, f = fixed["val"]!.labels
        XCTAssertEqual(official["val"]!.paths, fixed["val"]!.paths)
        XCTAssertEqual(zip(o, f).filter { $0 != $1 }.count, 1440)
        XCTAssertEqual(Set(zip(o, f).map { $1 - $0 }), [0, 1, 2])
        XCTAssertEqual(official["val"]!.paths[0].hasSuffix("0876/905e67b1459544ab8726ca50073e5c4a.jpg"), true)
        XCTAssertEqual([o[0], f[0]], [419, 420])  // class id 876
        // Train and test hold all 555 classes: both mappings agree there.
        XCTAssertEqual(official["test"]!.labels, fixed["test"]!.labels)
        XCTAssertEqual(official["train"]!.labels, fixed["train"]!.labels)
    }

    func testSplitVerdicts() throws {
        try requireCopies()
        let dirs = ["cub200": ("cub", "CUB_200_2011"), "nabirds": ("nabirds", "nabirds"),
                    "oxford_flowers": ("oxfordflowers", "OxfordFlower"), "stanford_dogs": ("stanforddogs", "Stanford-dogs"),
                    "stanford_cars": ("stanfordcars", "Stanford-cars")]
        for (id, (src, folder)) in dirs {
            try FileManager.default.copyItem(atPath: gift + "/" + src, toPath: tmp + "/" + folder)
            let ids = splitIdentities(root: tmp, id: id, splits: ["train", "val", "test"])
            XCTAssertEqual(ids.count, 3)
            // GIFT's Stanford Cars split is its own, not VPT's: nothing recorded to compare with.
            XCTAssertEqual(Set(ids.map(\.verdict)), [id == "stanford_cars" ? .unrecorded : .published], id)
        }
        // Same entries, other bytes (re-serialized): another split with the published counts.
        let val = tmp + "/CUB_200_2011/val.json"
        let obj = try JSONSerialization.jsonObject(with: Foundation.Data(contentsOf: URL(fileURLWithPath: val)))
        try JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys]).write(to: URL(fileURLWithPath: val))
        XCTAssertEqual(splitIdentity(file: val, id: "cub200", split: "val")?.verdict, .sameCounts)
        // One entry fewer: a different split, and verify-data warns (without an error: the ids still read).
        var dict = obj as! [String: String]
        dict.removeValue(forKey: dict.keys.sorted()[0])
        try JSONSerialization.data(withJSONObject: dict).write(to: URL(fileURLWithPath: val))
        XCTAssertEqual(splitIdentity(file: val, id: "cub200", split: "val")?.verdict, .different)
        let r = verifyData(root: tmp, dataset: "cub200", decodeImages: false, splits: ["val"])
        XCTAssertTrue(r.warnings.contains { $0.kind == .splitIdentity && $0.message.hasPrefix("a different split: 599 entries, published 600") }, "\(r)")
        // The VTAB-1k manifest is identified where a VTAB root holds it.
        try FileManager.default.copyItem(atPath: Self.shared + "/e2vpt_7a66e75/vtab_trainval_splits.json", toPath: tmp + "/" + vtabManifestName)
        XCTAssertEqual(splitIdentities(root: tmp, id: "vtab1k/dtd", splits: []).map(\.verdict), [.published])
    }

    func testMixedLabelTypesAreRefused() throws {
        let dir = tmp + "/mixed"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try "{\n \"a.jpg\": \"001\",\n \"b.jpg\": 2\n}\n".write(toFile: dir + "/train.json", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ListedDataset.fgvcJSON(id: "x", datasetDir: dir, imageDir: dir, split: "train", numClasses: 2, checkFiles: false)) { e in
            XCTAssertTrue("\(e)".contains("train.json:3: mixes string labels (\"a.jpg\", line 2) and integer labels (\"b.jpg\", line 3)"), "\(e)")
        }
    }

    func testPythonSortOrder() {
        // Strings by code point ("10" < "9", "Z" < "a"), integers numerically.
        XCTAssertEqual([FGVCClassID.string("9"), .string("10"), .string("a"), .string("Z")].sorted(),
                       [.string("10"), .string("9"), .string("Z"), .string("a")])
        XCTAssertEqual([FGVCClassID.int(10), .int(9), .int(-1)].sorted(), [.int(-1), .int(9), .int(10)])
    }
}

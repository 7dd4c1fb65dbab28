import XCTest
import Foundation
@testable import Data

/// DAM-VP's code-only HTA splits (GTSRB, Food-101: seed 2023, train then val, each shuffling the official
/// list) against the official dataset classes run on small lists by make_damvp_split_golden.py.
final class DAMVPSplitTests: XCTestCase {
    func golden(_ name: String) throws -> (official: [String], train: [Int], val: [Int]) {
        let g = try Fixtures.json("damvp_splits/golden.json") as! [String: Any]
        XCTAssertEqual(g["seed"] as? Int, 2023)
        let d = g[name] as! [String: Any]
        return (d["official"] as! [String], d["train"] as! [Int], d["val"] as! [Int])
    }

    /// The registry's split rule of a DAM-VP dataset.
    func rule(_ id: String) -> TrainValRule? {
        switch datasetRegistry[id]?.layout {
        case let .gtsrb(_, r)?: return r
        case let .food101(_, r)?: return r
        default: return nil
        }
    }

    func testReplayMatchesOfficialGTSRBAndFood101() throws {
        for (name, id) in [("gtsrb", "hta/gtsrb"), ("food101", "hta/food101")] {
            let g = try golden(name)
            let r = try XCTUnwrap(rule(id), id)
            XCTAssertEqual(try r.indices(split: "train", count: g.official.count), g.train, id)
            XCTAssertEqual(try r.indices(split: "val", count: g.official.count), g.val, id)
            XCTAssertFalse(Set(g.train).isDisjoint(with: g.val), "the official val overlaps train") // the documented quirk
        }
    }

    /// The Food-101 reader on the golden's meta/train.json (class keys out of sorted order) gives the official samples.
    func testFood101ReaderOnTheGoldenList() throws {
        let g = try golden("food101")
        let tmp = NSTemporaryDirectory() + "/vpt-damvp-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let base = tmp + "/torchvision_dataset/food-101"
        try FileManager.default.createDirectory(atPath: base + "/meta", withIntermediateDirectories: true)
        var order: [String] = [], groups: [String: [String]] = [:]
        for rel in g.official {
            let cls = String(rel.split(separator: "/")[0])
            if groups[cls] == nil { order.append(cls) }
            groups[cls, default: []].append(rel)
        }
        let json = "{" + order.map { c in "\"\(c)\": [" + groups[c]!.map { "\"\($0)\"" }.joined(separator: ", ") + "]" }.joined(separator: ", ") + "}"
        try Data(json.utf8).write(to: URL(fileURLWithPath: base + "/meta/train.json"))
        for split in ["train", "val"] {
            let d = try openDataset(root: tmp, id: "hta/food101", split: split, checkFiles: false) as! ListedDataset
            let want = (split == "train" ? g.train : g.val).map { base + "/images/" + g.official[$0] + ".jpg" }
            XCTAssertEqual(d.paths, want, split)
        }
    }
}

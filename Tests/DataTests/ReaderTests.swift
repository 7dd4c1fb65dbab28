import XCTest
import Foundation
@testable import Data

final class ReaderTests: XCTestCase {
    func testVTABFolderReader() throws {
        let dir = Fixtures.path("vtab/dtd")
        let counts = try VTABSplit.allCases.map { try ListedDataset.vtabFolder(id: "dtd", taskDir: dir, split: $0, numClasses: 47).count }
        XCTAssertEqual(counts, [3, 1, 4, 2])
        let d = try ListedDataset.vtabFolder(id: "dtd", taskDir: dir, split: .train800, numClasses: 47)
        XCTAssertEqual((0..<3).map(d.label), [0, 1, 0])
        let img = try d.image(1)
        XCTAssertEqual([img.width, img.height], [12, 11])
    }

    func testFGVCJSONReader() throws {
        let dir = Fixtures.path("fgvc/CUB_200_2011")
        let tr = try ListedDataset.fgvcJSON(id: "cub200", datasetDir: dir, imageDir: dir + "/images", split: "train", numClasses: 200)
        let te = try ListedDataset.fgvcJSON(id: "cub200", datasetDir: dir, imageDir: dir + "/images", split: "test", numClasses: 200)
        XCTAssertEqual([tr.count, te.count], [3, 2])
        XCTAssertEqual(Set(tr.labels), [0, 1]) // 1-based class ids mapped to 0..<C
        XCTAssertEqual(try tr.image(0).height, 14)
    }

    func testTFDSSplitStrings() throws {
        let sizes = ["train": 1000, "test": 7, "validation": 300]
        XCTAssertEqual(try parseTFDSSplit("train[:800]", sizes: sizes), [TFDSSlice(split: "train", range: 0..<800)])
        XCTAssertEqual(try parseTFDSSplit("train[80%:]", sizes: sizes)[0].range, 800..<1000)
        // 50% of 7 = 3.5 → round half to even → 4; 25% of 10 = 2.5 → 2.
        XCTAssertEqual(try parseTFDSSplit("test[50%:]", sizes: sizes)[0].range, 4..<7)
        XCTAssertEqual(try parseTFDSSplit("train[25%:]", sizes: ["train": 10])[0].range, 2..<10)
        XCTAssertEqual(try parseTFDSSplit("train[-3:]", sizes: ["train": 10])[0].range, 7..<10)
        XCTAssertEqual(try parseTFDSSplit("train[:800]+validation[:200]", sizes: sizes).count, 2)
        XCTAssertThrowsError(try parseTFDSSplit("trian[:5]", sizes: sizes))
        XCTAssertThrowsError(try parseTFDSSplit("train[:5", sizes: sizes))
        XCTAssertEqual(vtabTFDSSplit(.val200, valFrom: .trainPercent(90), test: "test", trainCount: 3060), "train[2754:2954]")
        XCTAssertEqual(vtabTFDSSplit(.train800val200, valFrom: .validation, test: "test", trainCount: 0), "train[:800]+validation[:200]")
    }

    func testTFRecordShardsAndExample() throws {
        let dir = Fixtures.path("tfds/cifar100/3.0.2")
        let want = (try Fixtures.json("tfds/expected.json") as! [String: Any])["labels"] as! [String: [Int]]
        let all = try TFDSDataset(id: "cifar100", dir: dir, name: "cifar100", split: "train", numClasses: 100)
        XCTAssertEqual((0..<all.count).map(all.label), want["train"]!)
        // A slice spanning the shard boundary (shards of 6 and 4), plus a percent slice of test.
        let mid = try TFDSDataset(id: "cifar100", dir: dir, name: "cifar100", split: "train[4:8]+test[50%:]", numClasses: 100)
        XCTAssertEqual((0..<mid.count).map(mid.label), Array(want["train"]![4..<8]) + Array(want["test"]![2...]))
        XCTAssertEqual(try mid.image(2), try all.image(6))
        XCTAssertEqual([try all.image(0).width, try all.image(0).height], [5, 4])
        let ex = try parseExample(TFRecordFile(path: dir + "/cifar100-train.tfrecord-00000-of-00002").record(0))
        XCTAssertEqual(ex["score"], .float([0.5, -1.25]))
        XCTAssertEqual(ex["id"], .bytes([[UInt8(ascii: "x")]]))
        XCTAssertThrowsError(try TFRecordFile(path: Fixtures.path("tfds/corrupt.tfrecord"))) { e in
            XCTAssertTrue("\(e)".contains("corrupt.tfrecord") && "\(e)".contains("CRC"), "\(e)")
        }
    }
}

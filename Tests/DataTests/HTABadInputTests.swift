import XCTest
import Foundation
@testable import Data

/// Every bad input of the HTA / ILM-VP / VTAB-TFDS readers is one DataError naming the file (and line).
final class HTABadInputTests: XCTestCase {
    var tmp = ""
    let fm = FileManager.default

    override func setUpWithError() throws {
        tmp = NSTemporaryDirectory() + "/vpt-hta-bad-\(UUID().uuidString)"
        try fm.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        try fm.copyItem(atPath: Fixtures.path("hta/torchvision_dataset"), toPath: tmp + "/torchvision_dataset")
        try fm.copyItem(atPath: Fixtures.path("hta/ilm"), toPath: tmp + "/ilm")
        try fm.copyItem(atPath: Fixtures.path("hta/tfds"), toPath: tmp + "/tfds")
    }
    override func tearDownWithError() throws { try? fm.removeItem(atPath: tmp) }

    var tv: String { tmp + "/torchvision_dataset" }
    func write(_ rel: String, _ text: String) throws { try text.write(toFile: tmp + "/" + rel, atomically: true, encoding: .utf8) }
    func replace(_ rel: String, with bad: String) throws {
        try fm.removeItem(atPath: tmp + "/" + rel)
        try fm.copyItem(atPath: Fixtures.path("hta/bad/" + bad), toPath: tmp + "/" + rel)
    }
    func truncate(_ rel: String) throws {
        let p = tmp + "/" + rel
        let d = try Foundation.Data(contentsOf: URL(fileURLWithPath: p))
        try d.prefix(d.count / 2).write(to: URL(fileURLWithPath: p))
    }
    func expectError(_ body: () throws -> Void, contains parts: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try body(), file: file, line: line) { e in
            XCTAssertTrue(e is DataError, "not a DataError: \(e)", file: file, line: line)
            for p in parts { XCTAssertTrue("\(e)".contains(p), "\"\(e)\" lacks \"\(p)\"", file: file, line: line) }
        }
    }
    func open(_ id: String, _ split: String, root: String? = nil) throws { _ = try openDataset(root: root ?? tmp, id: id, split: split) }

    func testCIFARMissingCorruptShapeAndLabel() throws {
        try fm.removeItem(atPath: tv + "/cifar-10-batches-py/data_batch_3")
        expectError({ try open("hta/cifar10", "train") }, contains: ["data_batch_3", "not found"])
        try fm.copyItem(atPath: Fixtures.path("hta/torchvision_dataset/cifar-10-batches-py/data_batch_1"), toPath: tv + "/cifar-10-batches-py/data_batch_3")
        try truncate("torchvision_dataset/cifar-10-batches-py/data_batch_3")
        expectError({ try open("hta/cifar10", "train") }, contains: ["data_batch_3", "pickle"])
        try replace("torchvision_dataset/cifar-10-batches-py/data_batch_3", with: "cifar10_label10")
        expectError({ try open("hta/cifar10", "train") }, contains: ["data_batch_3", "label 1 is 10", "0..<10"])
        try replace("torchvision_dataset/cifar-10-batches-py/data_batch_3", with: "cifar10_shape")
        expectError({ try open("hta/cifar10", "train") }, contains: ["data_batch_3", "3071"])
        expectError({ try open("hta/cifar10", "train", root: tmp + "/nope") }, contains: ["nope"])
    }

    func testSVHNMissingCorruptNoXAndLabel() throws {
        try truncate("torchvision_dataset/train_32x32.mat")
        expectError({ try open("hta/svhn", "train") }, contains: ["train_32x32.mat"])
        try replace("torchvision_dataset/train_32x32.mat", with: "svhn_y11.mat")
        expectError({ try open("hta/svhn", "val") }, contains: ["train_32x32.mat", "y[1] = 11"])
        try replace("torchvision_dataset/train_32x32.mat", with: "svhn_noX.mat")
        expectError({ try open("hta/svhn", "train") }, contains: ["train_32x32.mat", "X"])
        try fm.removeItem(atPath: tv + "/test_32x32.mat")
        expectError({ try open("hta/svhn", "test") }, contains: ["test_32x32.mat"])
    }

    func testGTSRBCSVRows() throws {
        let csv = "torchvision_dataset/gtsrb/GT-final_test.csv"
        let head = "Filename;Width;Height;Roi.X1;Roi.Y1;Roi.X2;Roi.Y2;ClassId\n"
        try write(csv, head + "00000.ppm;5;6;0;0;4;5;2\n00001.ppm;5;6;0;0\n")
        expectError({ try open("hta/gtsrb", "test") }, contains: ["GT-final_test.csv:3"])
        try write(csv, head + "00000.ppm;5;6;0;0;4;5;x\n")
        expectError({ try open("hta/gtsrb", "test") }, contains: ["GT-final_test.csv:2", "malformed"])
        try write(csv, head + "00000.ppm;5;6;0;0;4;5;2\n00001.ppm;5;6;0;0;4;5;43\n")
        expectError({ try open("hta/gtsrb", "test") }, contains: ["GT-final_test.csv:3", "43"])
        try write(csv, head + "00009.ppm;5;6;0;0;4;5;1\n")
        expectError({ try open("hta/gtsrb", "test") }, contains: ["GT-final_test.csv:2", "00009.ppm"])
        try write(csv, "Name;Label\n00000.ppm;1\n")
        expectError({ try open("hta/gtsrb", "test") }, contains: ["GT-final_test.csv", "ClassId"])
        try fm.removeItem(atPath: tmp + "/" + csv)
        expectError({ try open("hta/gtsrb", "test") }, contains: ["GT-final_test.csv", "not found"])
        try fm.removeItem(atPath: tv + "/gtsrb/GTSRB/Training")
        expectError({ try open("hta/gtsrb", "train") }, contains: ["Training"])
    }

    func testDTDAndFoodLists() throws {
        try write("torchvision_dataset/dtd/dtd/labels/train1.txt", "banded/banded_0001.jpg\nbanded_0002.jpg\n")
        expectError({ try open("hta/dtd", "train") }, contains: ["train1.txt:2", "malformed"])
        try write("torchvision_dataset/dtd/dtd/labels/train1.txt", "banded/banded_0001.jpg\nbanded/none.jpg\n")
        expectError({ try open("hta/dtd", "train") }, contains: ["train1.txt:2", "none.jpg"])
        try fm.removeItem(atPath: tv + "/dtd/dtd/labels/val1.txt")
        expectError({ try open("hta/dtd", "val") }, contains: ["val1.txt", "not found"])
        try write("torchvision_dataset/food-101/meta/train.json", "{\"ramen\": [\"ramen/100\",\n \"ramen/101\"\n \"x\"]}")
        expectError({ try open("hta/food101", "train") }, contains: ["train.json", "line 3"])
        try write("torchvision_dataset/food-101/meta/train.json", "{\"ramen\": 3}")
        expectError({ try open("hta/food101", "val") }, contains: ["train.json", "not a list"])
        try write("torchvision_dataset/food-101/meta/test.json", "{\"ramen\": [\"ramen/100\",\n\"ramen/999\"]}")
        expectError({ try open("hta/food101", "test") }, contains: ["test.json:2", "999.jpg"])
    }

    func testCoOpSplitEntries() throws {
        let ilm = tmp + "/ilm"
        try write("ilm/flowers102/split.json", "{\"train\": [[\"jpg/image_00000.jpg\", 0, \"a\"],\n  [\"jpg/image_00001.jpg\", 102, \"b\"]]}")
        expectError({ try open("ilm13/oxford_flowers102", "train", root: ilm) }, contains: ["split.json:2", "102"])
        try write("ilm/flowers102/split.json", "{\"train\": [[\"jpg/image_00000.jpg\", 0, \"a\"],\n\n  [\"jpg/image_00001.jpg\"]]}")
        expectError({ try open("ilm13/oxford_flowers102", "train", root: ilm) }, contains: ["split.json:3", "malformed"])
        expectError({ try open("ilm13/oxford_flowers102", "test", root: ilm) }, contains: ["split.json", "test"])
        try write("ilm/flowers102/split.json", "{\"train\": [[\"jpg/nope.jpg\", 0, \"a\"]]}")
        expectError({ try open("ilm13/oxford_flowers102", "train", root: ilm) }, contains: ["split.json:1", "nope.jpg"])
    }

    func testTFDSMissingInfoAndFeature() throws {
        try fm.removeItem(atPath: tmp + "/tfds/kitti/3.2.0/dataset_info.json")
        expectError({ try open("vtab-tfds/kitti_dist", "test", root: tmp + "/tfds") }, contains: ["dataset_info.json"])
        expectError({ try open("vtab-tfds/dmlab", "test", root: tmp + "/tfds") }, contains: ["dmlab/2.0.1"])
        // dsprites shards lack smallnorb's label: the record and feature are named.
        try fm.createDirectory(atPath: tmp + "/tfds/smallnorb", withIntermediateDirectories: true)
        try fm.copyItem(atPath: tmp + "/tfds/dsprites/2.0.0", toPath: tmp + "/tfds/smallnorb/2.0.0")
        for f in try fm.contentsOfDirectory(atPath: tmp + "/tfds/smallnorb/2.0.0") where f.hasPrefix("dsprites-") {
            try fm.moveItem(atPath: tmp + "/tfds/smallnorb/2.0.0/" + f, toPath: tmp + "/tfds/smallnorb/2.0.0/" + f.replacingOccurrences(of: "dsprites-", with: "smallnorb-"))
        }
        try write("tfds/smallnorb/2.0.0/dataset_info.json", "{\"splits\": [{\"name\": \"train\", \"shardLengths\": [\"20\"]}, {\"name\": \"test\", \"shardLengths\": [\"0\"]}]}")
        expectError({ try open("vtab-tfds/smallnorb_azi", "train800", root: tmp + "/tfds") }, contains: ["smallnorb-train.tfrecord", "label_azimuth"])
    }

    func testFlowers102MatSplitsAndBadIds() throws {
        let base = tmp + "/fl/flowers-102"
        try fm.createDirectory(atPath: base, withIntermediateDirectories: true)
        try fm.copyItem(atPath: Fixtures.path("mat/setid.mat"), toPath: base + "/setid.mat")
        try fm.copyItem(atPath: Fixtures.path("mat/imagelabels.mat"), toPath: base + "/imagelabels.mat")
        let te = try openFlowers102Mat(id: "flowers", root: tmp + "/fl", split: "test", checkFiles: false)
        XCTAssertEqual(te.labels, [101, 4]) // tstid [4, 5] → labels[3], labels[4] of [1, 2, 2, 102, 5], minus 1
        XCTAssertTrue(te.paths[0].hasSuffix("jpg/image_00004.jpg"))
        XCTAssertEqual(try openFlowers102Mat(id: "flowers", root: tmp + "/fl", split: "val", checkFiles: false).labels, [1])
        expectError({ _ = try openFlowers102Mat(id: "flowers", root: tmp + "/fl", split: "test") }, contains: ["image_00004.jpg"])
        try fm.removeItem(atPath: base + "/imagelabels.mat")
        try fm.copyItem(atPath: Fixtures.path("mat/setid.mat"), toPath: base + "/imagelabels.mat")
        expectError({ _ = try openFlowers102Mat(id: "flowers", root: tmp + "/fl", split: "test", checkFiles: false) }, contains: ["imagelabels.mat", "labels"])
        try fm.removeItem(atPath: base + "/setid.mat")
        expectError({ _ = try openFlowers102Mat(id: "flowers", root: tmp + "/fl", split: "train") }, contains: ["setid.mat"])
    }
}

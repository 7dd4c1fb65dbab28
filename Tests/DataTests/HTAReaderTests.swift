import XCTest
import Foundation
@testable import Data

/// HTA (DAM-VP), ILM-VP and VTAB-TFDS readers against the fixtures of make_hta_fixtures.py, whose
/// expected orders come from the official rules run in Python (torchvision make_dataset, CPython random).
final class HTAReaderTests: XCTestCase {
    let root = Fixtures.path("hta")
    lazy var want: [String: Any] = (try? Fixtures.json("hta/expected.json") as? [String: Any]) ?? [:]
    func ints(_ k: String) -> [Int] { want[k] as? [Int] ?? [-1] }
    func pairs(_ k: String) -> [[Any]] { want[k] as? [[Any]] ?? [] }
    func labels(_ d: any ImageDataset) -> [Int] { (0..<d.count).map(d.label) }
    func rel(_ d: ListedDataset) -> [String] { d.paths.map { String($0.dropFirst(root.count + 1)) } }

    /// A temp root whose entries are symlinks (ILM-VP / FGVC roots laid out over the same fixture trees).
    func linkedRoot(_ links: [String: String]) throws -> String {
        let tmp = NSTemporaryDirectory() + "/vpt-hta-\(UUID().uuidString)"
        for (name, target) in links {
            let p = tmp + "/" + name
            try FileManager.default.createDirectory(atPath: (p as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(atPath: p, withDestinationPath: target)
        }
        addTeardownBlock { try? FileManager.default.removeItem(atPath: tmp) }
        return tmp
    }

    func testPythonRandomMatchesCPython() {
        // Values printed by CPython 3: random.seed(s); random.shuffle / random.getrandbits(32).
        var r = PythonRandom(seed: 2023)
        var a = Array(0..<10), b = Array(0..<10)
        r.shuffle(&a); r.shuffle(&b)
        XCTAssertEqual(a, [1, 0, 3, 8, 5, 4, 2, 9, 7, 6])
        XCTAssertEqual(b, [2, 7, 3, 0, 5, 6, 9, 8, 4, 1])
        var s = PythonRandom(seed: 3407)
        XCTAssertEqual((0..<3).map { _ in s.getrandbits(32) }, [244_111_517, 1_800_916_962, 569_954_085])
        var z = PythonRandom(seed: 0)
        XCTAssertEqual(z.getrandbits(32), 3_626_764_237)
        var big = PythonRandom(seed: (1 << 40) + 5) // two 32-bit key words
        XCTAssertEqual(big.getrandbits(32), 2_166_296_868)
    }

    func testTrainValRules() throws {
        XCTAssertEqual(try TrainValRule.headTail(percent: 80).indices(split: "train", count: 10), Array(0..<8))
        XCTAssertEqual(try TrainValRule.headTail(percent: 80).indices(split: "val", count: 10), [8, 9])
        XCTAssertEqual(try TrainValRule.headTail(percent: 80).indices(split: "train", count: 73257).count, 58605) // dam_vp.md
        XCTAssertEqual(try TrainValRule.headTail(percent: 80).indices(split: "train", count: 50000).count, 40000)
        XCTAssertEqual(try TrainValRule.official.indices(split: "train", count: 4), [0, 1, 2, 3])
        XCTAssertThrowsError(try TrainValRule.official.indices(split: "val", count: 4))
        // The documented DAM-VP quirk: train and val come from two different shuffles and overlap.
        let rule = TrainValRule.pythonShuffled(seed: 2023, percent: 80)
        let tr = try rule.indices(split: "train", count: 100), va = try rule.indices(split: "val", count: 100)
        XCTAssertEqual([tr.count, va.count], [80, 20])
        XCTAssertFalse(Set(tr).isDisjoint(with: va))
        XCTAssertLessThan(Set(tr).union(va).count, 100)
    }

    func testCIFARPickles() throws {
        let tr = try openDataset(root: root, id: "hta/cifar10", split: "train")
        let va = try openDataset(root: root, id: "hta/cifar10", split: "val")
        let te = try openDataset(root: root, id: "hta/cifar10", split: "test")
        let all = ints("cifar10_train_labels")
        XCTAssertEqual(labels(tr), Array(all[..<8]))
        XCTAssertEqual(labels(va), Array(all[8...]))
        XCTAssertEqual(labels(te), ints("cifar10_test_labels"))
        let img = try tr.image(2) // first image of data_batch_2
        XCTAssertEqual([img.width, img.height], [32, 32])
        XCTAssertEqual(Array(img.pixels[..<48]).map(Int.init), ints("cifar10_batch2_img0"))
        let c100 = try openDataset(root: root, id: "hta/cifar100", split: "train")
        XCTAssertEqual(labels(c100), Array(ints("cifar100_train_labels")[..<4]))
        XCTAssertEqual(c100.numClasses, 100)
        XCTAssertThrowsError(try openDataset(root: root, id: "hta/cifar10", split: "train800"))
    }

    func testSVHNMat() throws {
        let tr = try openDataset(root: root, id: "hta/svhn", split: "train")
        XCTAssertEqual(labels(tr), [0, 3, 1, 0]) // 10 → 0, first int(0.8·5) = 4
        XCTAssertEqual(labels(try openDataset(root: root, id: "hta/svhn", split: "val")), [9])
        XCTAssertEqual(labels(try openDataset(root: root, id: "hta/svhn", split: "test")), [0, 3])
        XCTAssertEqual(Array(try tr.image(1).pixels[..<48]).map(Int.init), ints("svhn_train_img1"))
    }

    func testGTSRBShuffledSplitsAndCSV() throws {
        let tr = try openDataset(root: root, id: "hta/gtsrb", split: "train") as! ListedDataset
        let va = try openDataset(root: root, id: "hta/gtsrb", split: "val") as! ListedDataset
        XCTAssertEqual(rel(tr), pairs("gtsrb_train").map { $0[0] as! String })
        XCTAssertEqual(tr.labels, pairs("gtsrb_train").map { $0[1] as! Int })
        XCTAssertEqual(rel(va), pairs("gtsrb_val").map { $0[0] as! String })
        XCTAssertEqual(labels(try openDataset(root: root, id: "hta/gtsrb", split: "test")), ints("gtsrb_test_labels"))
        XCTAssertEqual(try tr.image(0).width, 5)
        // InsVP: only the train dataset is built, seed 3407.
        let ins = try openGTSRB(id: "gtsrb", root: root + "/torchvision_dataset", split: "train", rule: .pythonShuffled(seed: 3407, percent: 80))
        XCTAssertEqual(rel(ins), pairs("gtsrb_insvp_train").map { $0[0] as! String })
        // ILM-VP: torchvision's full official train in make_dataset order.
        let ilm = try linkedRoot(["gtsrb": root + "/torchvision_dataset"])
        let off = try openDataset(root: ilm, id: "ilm13/gtsrb", split: "train") as! ListedDataset
        XCTAssertEqual(off.labels, pairs("gtsrb_official_train").map { $0[1] as! Int })
        XCTAssertTrue(off.paths[0].hasSuffix("Training/00000/00000_00000.ppm"))
    }

    func testFood101OrderedJSONShuffle() throws {
        for (split, key) in [("train", "food_train"), ("val", "food_val"), ("test", "food_test")] {
            let d = try openDataset(root: root, id: "hta/food101", split: split) as! ListedDataset
            XCTAssertEqual(rel(d), pairs(key).map { $0[0] as! String }, split)
            XCTAssertEqual(d.labels, pairs(key).map { $0[1] as! Int }, split)
        }
    }

    func testDTDPartitionListsPerSplitClasses() throws {
        XCTAssertEqual(labels(try openDataset(root: root, id: "hta/dtd", split: "train")), [1, 0, 0])
        XCTAssertEqual(labels(try openDataset(root: root, id: "hta/dtd", split: "val")), [0, 1])
        // torchvision maps each split file's own sorted classes: a split holding only "zigzagged" labels it 0.
        XCTAssertEqual(labels(try openDataset(root: root, id: "hta/dtd", split: "test")), [0])
    }

    func testILMCoOpAndTorchvisionRowsAndHTAFGVC() throws {
        let ilm = try linkedRoot(["flowers102": root + "/ilm/flowers102", "cifar10": root + "/torchvision_dataset",
                                  "svhn": root + "/torchvision_dataset", "FGVC/CUB_200_2011": Fixtures.path("fgvc/CUB_200_2011")])
        let tr = try openDataset(root: ilm, id: "ilm13/oxford_flowers102", split: "train") as! ListedDataset
        XCTAssertEqual(tr.labels, [0, 1, 101])
        XCTAssertTrue(tr.paths[0].hasSuffix("flowers102/images/jpg/image_00000.jpg"))
        XCTAssertEqual(labels(try openDataset(root: ilm, id: "ilm13/oxford_flowers102", split: "test")), [0, 5])
        // The id before the rename (ilm13/oxford_flowers) still opens the same split.
        XCTAssertEqual(labels(try openDataset(root: ilm, id: "ilm13/oxford_flowers", split: "test")), [0, 5])
        XCTAssertEqual(try openDataset(root: ilm, id: "ilm13/cifar10", split: "train").count, 10)
        XCTAssertEqual(try openDataset(root: ilm, id: "ilm13/svhn", split: "train").count, 5)
        XCTAssertThrowsError(try openDataset(root: ilm, id: "ilm13/cifar10", split: "val"))
        XCTAssertEqual(try openDataset(root: ilm, id: "hta/cub200", split: "train").count, 3)
    }

    func testVTABTFDSLabelRulesAndSplits() throws {
        let tf = root + "/tfds"
        let clevr = want["clevr"] as! [String: [String: [Int]]]
        XCTAssertEqual(labels(try openDataset(root: tf, id: "vtab-tfds/clevr_count", split: "train800")), clevr["train"]!["count"]!)
        XCTAssertEqual(labels(try openDataset(root: tf, id: "vtab-tfds/clevr_dist", split: "train800")), clevr["train"]!["dist"]!)
        // val200 = train[90%·10 : +200] = the last record; test = TFDS validation.
        XCTAssertEqual(labels(try openDataset(root: tf, id: "vtab-tfds/clevr_count", split: "val200")), [clevr["train"]!["count"]![9]])
        XCTAssertEqual(labels(try openDataset(root: tf, id: "vtab-tfds/clevr_dist", split: "test")), clevr["validation"]!["dist"]!)
        let kitti = want["kitti"] as! [String: [Int]]
        XCTAssertEqual(labels(try openDataset(root: tf, id: "vtab-tfds/kitti_dist", split: "train800")), kitti["train"]!)
        XCTAssertEqual(labels(try openDataset(root: tf, id: "vtab-tfds/kitti_dist", split: "val200")), kitti["validation"]!)
        XCTAssertEqual(labels(try openDataset(root: tf, id: "vtab-tfds/kitti_dist", split: "test")), kitti["test"]!)
        let ds = want["dsprites"] as! [String: [Int]]
        XCTAssertEqual(labels(try openDataset(root: tf, id: "vtab-tfds/dsprites_loc", split: "train800")), ds["loc"]!)
        XCTAssertEqual(labels(try openDataset(root: tf, id: "vtab-tfds/dsprites_ori", split: "train800")), ds["ori"]!)
        XCTAssertEqual(labels(try openDataset(root: tf, id: "vtab-tfds/dsprites_ori", split: "val200")), Array(ds["ori"]![16...]))
        XCTAssertEqual(labels(try openDataset(root: tf, id: "vtab-tfds/dsprites_ori", split: "test")), Array(ds["ori"]![18...]))
        let img = try openDataset(root: tf, id: "vtab-tfds/dsprites_loc", split: "train800").image(0)
        XCTAssertEqual(stride(from: 0, to: img.pixels.count, by: 3).map { Int(img.pixels[$0]) }, ds["img0"]!)
    }

    func testVTABSplitStringsFromVPTRules() throws {
        func task(_ id: String) -> VTABTFDSTask {
            guard case let .vtabTFDS(t)? = datasetRegistry[id]?.layout else { XCTFail(id); return VTABTFDSTask(builder: "", version: "", numClasses: 0, label: .key(""), valFrom: .validation, test: .split("")) }
            return t
        }
        XCTAssertEqual(task("vtab-tfds/eurosat").splitString(.test, sizes: ["train": 27000]), "train[21600:]")
        XCTAssertEqual(task("vtab-tfds/eurosat").splitString(.val200, sizes: ["train": 27000]), "train[16200:16400]")
        XCTAssertEqual(task("vtab-tfds/dsprites_loc").splitString(.test, sizes: ["train": 737280]), "train[663552:]")
        XCTAssertEqual(task("vtab-tfds/smallnorb_ele").splitString(.train800val200, sizes: ["train": 24300]), "train[:800]+test[:200]")
        XCTAssertEqual(task("vtab-tfds/smallnorb_ele").splitString(.test, sizes: ["train": 24300]), "test[50%:]")
        XCTAssertEqual(task("vtab-tfds/retinopathy").relativeDir, "diabetic_retinopathy_detection/btgraham-300/3.0.0")
        XCTAssertEqual(task("vtab-tfds/cifar100").splitString(.val200, sizes: ["train": 50000]), "train[45000:45200]")
    }

    func testRegistryRowShapes() {
        let ids = datasetRegistry.keys
        XCTAssertEqual(ids.filter { $0.hasPrefix("hta/") }.count, 10)
        XCTAssertEqual(ids.filter { $0.hasPrefix("ilm13/") }.count, 12)
        XCTAssertEqual(ids.filter { $0.hasPrefix("vtab-tfds/") }.count, 19)
        for (id, s) in datasetRegistry {
            if id.hasPrefix("hta/") { XCTAssertEqual(Set(s.expected.splits.keys), ["train", "val", "test"], id) }
            if id.hasPrefix("ilm13/") { XCTAssertEqual(Set(s.expected.splits.keys), ["train", "test"], id) }
            if id.hasPrefix("vtab-tfds/") {
                let twin = datasetRegistry["vtab1k/" + id.dropFirst("vtab-tfds/".count)]
                XCTAssertNotNil(twin, id)
                XCTAssertEqual(s.expected, twin?.expected, "\(id) counts differ from its vtab1k/ twin")
            }
            XCTAssertGreaterThan(s.expected.classes, 1, id)
        }
        // A split rule's train + val never exceeds the official train set where both are known.
        for id in ["hta/cifar10", "hta/cifar100", "hta/svhn", "hta/food101"] {
            let e = datasetRegistry[id]!.expected.splits
            XCTAssertNotNil((e["train"] ?? nil).flatMap { $0 }, id)
        }
    }

    func testVerifyDataReportsEveryLayout() throws {
        let r = verifyData(root: root, dataset: "hta/dtd")
        XCTAssertEqual(r.splits["train"]?.found, 3)
        XCTAssertEqual(r.problems.count, 3, "\(r)") // only the three count mismatches vs 1,880
        XCTAssertTrue(r.markdown.contains("| train | 1880 | 3 ✗ | 2 / 47 | 0 |"), r.markdown)
        let c = verifyData(root: root, dataset: "hta/cifar10")
        XCTAssertEqual(c.splits["val"]?.found, 2)
        XCTAssertTrue(c.description.contains("val: 2 samples (expected 10000 ✗)"), c.description)
        let g = verifyData(root: root, dataset: "hta/gtsrb")
        XCTAssertTrue(g.ok, "\(g)") // counts unknown (nil): only decoding is checked
        XCTAssertTrue(g.markdown.contains("| test | — | 3 |"), g.markdown)
        let t = verifyData(root: root + "/tfds", dataset: "vtab-tfds/kitti_dist")
        XCTAssertEqual(t.splits["train800val200"]?.found, 6)
        XCTAssertEqual(t.splits["test"]?.undecodable, 0)
    }
}

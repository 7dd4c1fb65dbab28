import XCTest
import Foundation
@testable import Data

/// `bench prepare` on tiny archives built here in the official formats (tar, tgz, zip, .mat) from the
/// committed reader fixtures: the prepared tree must read exactly as the fixture tree does.
final class PrepareTests: XCTestCase {
    var tmp = ""
    var downloads: String { tmp + "/downloads" }
    var splits: String { tmp + "/splits" }
    var out: String { tmp + "/data" }

    override func setUpWithError() throws {
        tmp = NSTemporaryDirectory() + "/vpt-prepare-\(UUID().uuidString)"
        for d in [downloads, splits, out] { try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true) }
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: tmp) }

    /// verifyData with every check except the registry's full-size split counts (the trees here are tiny):
    /// problems naming a registry count ("train.json: 3 samples, expected 5394") are dropped, everything else stays.
    func tinyVerify(_ id: String, decode: Bool) -> (String) -> DataReport {
        let sizes = datasetRegistry[id]!.expected.splits.values.compactMap { $0 }
        return { root in
            var r = verifyData(root: root, dataset: id, decodeImages: decode)
            r.problems.removeAll { p in sizes.contains { p.contains("expected \($0)") } }
            return r
        }
    }

    func labels(_ root: String, _ id: String, _ split: String) throws -> [Int] {
        let d = try openDataset(root: root, id: id, split: split)
        return (0..<d.count).map(d.label)
    }

    func exists(_ p: String) -> Bool { FileManager.default.fileExists(atPath: p) }

    /// CUB_200_2011.tgz as Caltech ships it (top folder CUB_200_2011/, images/ inside, other files beside).
    func writeCUB(truncateAt: Int? = nil) throws {
        let fixture = Fixtures.path("fgvc/CUB_200_2011")
        var members = ArchiveBuilder.members(of: fixture + "/images", prefix: "CUB_200_2011/images/")
        members.append(("CUB_200_2011/classes.txt", Array("1 001.Black_footed_Albatross\n".utf8)))
        members.append(("attributes.txt", Array("1 has_bill_shape::curved\n".utf8)))
        var tgz = ArchiveBuilder.gzip(ArchiveBuilder.tar(members, dirs: ["CUB_200_2011", "CUB_200_2011/images"]))
        if let n = truncateAt { tgz = Array(tgz[..<n]) }
        try ArchiveBuilder.write(tgz, to: downloads + "/CUB_200_2011.tgz")
        for s in ["train", "val", "test"] {
            try ArchiveBuilder.write(try Fixtures.bytes("fgvc/CUB_200_2011/\(s).json"), to: splits + "/\(s).json")
        }
    }

    func testTarReaderNamesAndContents() throws {
        let long = "CUB_200_2011/images/" + String(repeating: "x", count: 90) + "/" + String(repeating: "y", count: 40) + ".jpg"
        for mode in [ArchiveBuilder.LongNames.gnu, .pax, .ustarPrefix] {
            let tar = ArchiveBuilder.tar([("a/short.txt", Array("hello".utf8)), (long, [UInt8](repeating: 7, count: 1300))], dirs: ["a"], longNames: mode)
            for (name, bytes) in [("t.tar", tar), ("t.tgz", ArchiveBuilder.gzip(tar))] {
                let path = tmp + "/\(mode)-" + name
                try ArchiveBuilder.write(bytes, to: path)
                var seen: [String: [UInt8]] = [:]
                try forEachTarMember(path) { m, write in
                    guard m.kind == .file else { return }
                    let dest = tmp + "/member"
                    try write(dest)
                    seen[m.name] = [UInt8](FileManager.default.contents(atPath: dest)!)
                }
                XCTAssertEqual(seen["a/short.txt"], Array("hello".utf8), "\(mode) \(name)")
                XCTAssertEqual(seen[long], [UInt8](repeating: 7, count: 1300), "\(mode) \(name)")
                XCTAssertEqual(seen.count, 2)
            }
        }
    }

    func testSHA256Stream() throws {
        var s = SHA256Stream()
        s.update(Array("abc".utf8))
        XCTAssertEqual(s.hexDigest(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") // FIPS 180-2 B.1
        var t = SHA256Stream()
        let msg = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
        t.update(msg[..<10]); t.update(msg[10...])
        XCTAssertEqual(t.hexDigest(), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1") // FIPS 180-2 B.2
    }

    func testPrepareCUBThenRerunOnlyVerifies() throws {
        try writeCUB()
        let r = try prepareDataset("cub200", downloads: downloads, splits: splits, out: out, verify: tinyVerify("cub200", decode: true))
        XCTAssertFalse(r.alreadyPrepared)
        XCTAssertTrue(r.report.ok, r.report.description)
        let fixture = Fixtures.path("fgvc")
        for s in ["train", "val", "test"] { XCTAssertEqual(try labels(out, "cub200", s), try labels(fixture, "cub200", s)) }
        XCTAssertFalse(exists(out + "/CUB_200_2011/attributes.txt")) // only what the reader takes
        let rec = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/CUB_200_2011/prepared.json"))) as! [String: Any]
        let inputs = rec["inputs"] as! [[String: Any]]
        XCTAssertEqual(inputs.map { $0["file"] as! String }, ["CUB_200_2011.tgz", "train.json", "val.json", "test.json"])
        let (hex, bytes) = try sha256OfFile(downloads + "/CUB_200_2011.tgz")
        XCTAssertEqual(inputs[0]["sha256"] as? String, hex)
        XCTAssertEqual(inputs[0]["bytes"] as? Int, bytes)
        XCTAssertEqual((try FileManager.default.contentsOfDirectory(atPath: out)).sorted(), ["CUB_200_2011"]) // no staging left
        // Second run: nothing is extracted (the downloads may even be gone), the tree is verified.
        try FileManager.default.removeItem(atPath: downloads)
        let again = try prepareDataset("cub200", downloads: downloads, splits: splits, out: out, verify: tinyVerify("cub200", decode: true))
        XCTAssertTrue(again.alreadyPrepared)
        XCTAssertTrue(again.report.ok)
    }

    func testTruncatedArchiveLeavesNothingThatPasses() throws {
        try writeCUB()
        let whole = try Data(contentsOf: URL(fileURLWithPath: downloads + "/CUB_200_2011.tgz")).count
        try writeCUB(truncateAt: whole / 2)
        XCTAssertThrowsError(try prepareDataset("cub200", downloads: downloads, splits: splits, out: out, verify: tinyVerify("cub200", decode: true))) { e in
            let msg = "\(e)"
            XCTAssertTrue(msg.contains(downloads + "/CUB_200_2011.tgz"), msg)
            XCTAssertTrue(msg.contains("member \"CUB_200_2011/images/"), msg)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out), [])
        XCTAssertFalse(tinyVerify("cub200", decode: false)(out).ok)
        // A run killed mid-extraction leaves its staging folder; the next run removes it and starts over.
        let staging = out + "/.prepare-cub200.partial/CUB_200_2011/images"
        try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
        try writeCUB()
        var lines: [String] = []
        _ = try prepareDataset("cub200", downloads: downloads, splits: splits, out: out, verify: tinyVerify("cub200", decode: true)) { lines.append($0) }
        XCTAssertTrue(lines.contains { $0.contains("left by an interrupted run") }, "\(lines)")
        XCTAssertEqual((try FileManager.default.contentsOfDirectory(atPath: out)).sorted(), ["CUB_200_2011"])
    }

    func testCorruptHeaderCorruptGzipAndWrongArchiveAreNamed() throws {
        try writeCUB()
        // A tar header whose checksum does not match (bytes flipped before compressing).
        var tar = ArchiveBuilder.tar(ArchiveBuilder.members(of: Fixtures.path("fgvc/CUB_200_2011/images"), prefix: "CUB_200_2011/images/"))
        let second = 512 + (tar[124..<135].reduce(0) { $0 * 8 + Int($1) - 48 } + 511) / 512 * 512
        tar[second + 3] ^= 0x20
        try ArchiveBuilder.write(ArchiveBuilder.gzip(tar), to: downloads + "/CUB_200_2011.tgz")
        XCTAssertThrowsError(try prepareDataset("cub200", downloads: downloads, splits: splits, out: out)) { e in
            XCTAssertTrue("\(e)".contains("CUB_200_2011.tgz") && "\(e)".contains("bad checksum") &&
                          "\(e)".contains("after member \"CUB_200_2011/images/001.Black_footed_Albatross/img_0.jpg\""), "\(e)")
        }
        // Compressed data that fails gzip's CRC (a damaged download).
        var tgz = ArchiveBuilder.gzip(ArchiveBuilder.tar(ArchiveBuilder.members(of: Fixtures.path("fgvc/CUB_200_2011/images"), prefix: "CUB_200_2011/images/")))
        tgz[tgz.count - 100] ^= 0xff
        try ArchiveBuilder.write(tgz, to: downloads + "/CUB_200_2011.tgz")
        XCTAssertThrowsError(try prepareDataset("cub200", downloads: downloads, splits: splits, out: out)) { e in
            XCTAssertTrue("\(e)".contains("CUB_200_2011.tgz") && "\(e)".contains("incorrect data check"), "\(e)")
        }
        // An archive without the expected folder (e.g. the wrong download) says what it holds instead.
        try ArchiveBuilder.write(ArchiveBuilder.gzip(ArchiveBuilder.tar([("segmentations/a.png", [1])])), to: downloads + "/CUB_200_2011.tgz")
        XCTAssertThrowsError(try prepareDataset("cub200", downloads: downloads, splits: splits, out: out)) { e in
            XCTAssertTrue("\(e)".contains("no file under \"CUB_200_2011/images/\"") && "\(e)".contains("segmentations/a.png"), "\(e)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out), [])
    }

    func testSplitFilesThatDoNotMatchTheImagesAreNotPutInPlace() throws {
        try writeCUB()
        try Data(#"{"001.Black_footed_Albatross/img_99.jpg": 1, "002.Laysan_Albatross/img_1.jpg": 2}"#.utf8)
            .write(to: URL(fileURLWithPath: splits + "/val.json"))
        XCTAssertThrowsError(try prepareDataset("cub200", downloads: downloads, splits: splits, out: out, verify: tinyVerify("cub200", decode: true))) { e in
            XCTAssertTrue("\(e)".contains("img_99.jpg") && "\(e)".contains("not put in place"), "\(e)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out), [])
    }

    func testMissingDownloadsAreListedByName() throws {
        XCTAssertThrowsError(try prepareDataset("hta/gtsrb", downloads: downloads, splits: splits, out: out)) { e in
            for f in ["GTSRB-Training_fixed.zip", "GTSRB_Final_Test_Images.zip", "GTSRB_Final_Test_GT.zip"] {
                XCTAssertTrue("\(e)".contains(downloads + "/" + f), "\(e)")
            }
        }
        XCTAssertThrowsError(try prepareDataset("nabirds", downloads: downloads, splits: splits, out: out)) { e in
            for f in [downloads + "/nabirds.tar.gz", splits + "/train.json", splits + "/val.json", splits + "/test.json"] {
                XCTAssertTrue("\(e)".contains(f), "\(e)")
            }
        }
        XCTAssertThrowsError(try prepareDataset("vtab/dtd", downloads: downloads, splits: splits, out: out)) { e in
            XCTAssertTrue("\(e)".contains("hta/dtd"), "\(e)") // names what it can prepare
        }
    }

    func testExistingTreeWithoutRecordIsNotOverwritten() throws {
        try writeCUB()
        try FileManager.default.createDirectory(atPath: out + "/CUB_200_2011", withIntermediateDirectories: true)
        XCTAssertThrowsError(try prepareDataset("cub200", downloads: downloads, splits: splits, out: out)) { e in
            XCTAssertTrue("\(e)".contains("no prepared.json"), "\(e)")
        }
    }

    /// Every torchvision-format HTA dataset from archives in the official formats built from the reader
    /// fixture tree; the prepared tree reads exactly as the fixture tree.
    func testPrepareHTATorchvisionDatasets() throws {
        let tv = Fixtures.path("hta/torchvision_dataset")
        let tgz = { (dir: String, prefix: String, name: String) in
            try ArchiveBuilder.write(ArchiveBuilder.gzip(ArchiveBuilder.tar(ArchiveBuilder.members(of: tv + "/" + dir, prefix: prefix))),
                                     to: self.downloads + "/" + name)
        }
        try tgz("cifar-10-batches-py", "cifar-10-batches-py/", "cifar-10-python.tar.gz")
        try tgz("cifar-100-python", "cifar-100-python/", "cifar-100-python.tar.gz")
        try tgz("dtd/dtd", "dtd/", "dtd-r1.0.1.tar.gz")
        try tgz("food-101", "food-101/", "food-101.tar.gz")
        for f in ["train_32x32.mat", "test_32x32.mat"] { try FileManager.default.copyItem(atPath: tv + "/" + f, toPath: downloads + "/" + f) }
        try ArchiveBuilder.zip(downloads + "/GTSRB-Training_fixed.zip", ArchiveBuilder.members(of: tv + "/gtsrb/GTSRB/Training", prefix: "GTSRB/Training/"))
        try ArchiveBuilder.zip(downloads + "/GTSRB_Final_Test_Images.zip", ArchiveBuilder.members(of: tv + "/gtsrb/GTSRB/Final_Test/Images", prefix: "GTSRB/Final_Test/Images/"))
        try ArchiveBuilder.zip(downloads + "/GTSRB_Final_Test_GT.zip", [("GT-final_test.csv", [UInt8](FileManager.default.contents(atPath: tv + "/gtsrb/GT-final_test.csv")!))])
        let fixtureRoot = Fixtures.path("hta")
        for id in ["hta/cifar10", "hta/cifar100", "hta/svhn", "hta/gtsrb", "hta/dtd", "hta/food101"] {
            let r = try prepareDataset(id, downloads: downloads, splits: splits, out: out, verify: tinyVerify(id, decode: true))
            XCTAssertTrue(r.report.ok, "\(id): \(r.report)")
            XCTAssertTrue(exists(r.recordPath), id)
            for s in datasetRegistry[id]!.expected.splits.keys {
                XCTAssertEqual(try labels(out, id, s), try labels(fixtureRoot, id, s), "\(id) \(s)")
            }
        }
        XCTAssertTrue(exists(out + "/torchvision_dataset/svhn.prepared.json"))
        XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: out).contains { $0.hasPrefix(".prepare") })
        // A truncated zip member is named.
        var z = [UInt8](FileManager.default.contents(atPath: downloads + "/GTSRB_Final_Test_Images.zip")!)
        z = Array(z[..<(z.count * 2 / 3)]) + Array(z[(z.count * 2 / 3)...]).map { _ in 0 }
        try ArchiveBuilder.write(z, to: downloads + "/GTSRB_Final_Test_Images.zip")
        try FileManager.default.removeItem(atPath: out + "/torchvision_dataset/gtsrb")
        XCTAssertThrowsError(try prepareDataset("hta/gtsrb", downloads: downloads, splits: splits, out: out)) { e in
            XCTAssertTrue("\(e)".contains("GTSRB_Final_Test_Images.zip"), "\(e)")
        }
        XCTAssertFalse(exists(out + "/torchvision_dataset/gtsrb"))
    }

    func testEveryFGVCAndHTADatasetHasARecipe() {
        for id in ["cub200", "nabirds", "oxford_flowers", "stanford_dogs", "stanford_cars",
                   "hta/cifar10", "hta/cifar100", "hta/svhn", "hta/gtsrb", "hta/dtd", "hta/food101",
                   "hta/cub200", "hta/nabirds", "hta/oxford_flowers", "hta/stanford_dogs"] {
            XCTAssertNotNil(prepareRecipes[id], id)
        }
        XCTAssertEqual(prepareRecipes["hta/cub200"]?.owns, ["FGVC/CUB_200_2011"])
    }
}

extension PrepareTests {
    /// --accept-problems: the registry's full-size counts fail on the tiny tree, yet it is put in place with
    /// the problems recorded; without it nothing is written.
    func testAcceptProblemsRecordsThem() throws {
        try writeCUB()
        XCTAssertThrowsError(try prepareDataset("cub200", downloads: downloads, splits: splits, out: out, decodeImages: false))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out), [])
        let r = try prepareDataset("cub200", downloads: downloads, splits: splits, out: out, decodeImages: false, acceptProblems: true)
        XCTAssertFalse(r.report.ok)
        let rec = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: r.recordPath))) as! [String: Any]
        let v = rec["verify"] as! [String: Any]
        XCTAssertEqual(v["ok"] as? Bool, false)
        XCTAssertEqual((v["problems"] as? [String])?.count, r.report.problems.count)
        XCTAssertTrue((v["problems"] as! [String]).contains { $0.contains("expected 5394") })
    }
}

import XCTest
import Foundation

/// `bench verify-data` from the command line on issue 25's four-fault tree: exit status 1, the four faults
/// each on one line with file:line, and `--json` as data.
final class VerifyDataFourFaultCLITests: XCTestCase {
    let cli = BenchCLI()

    func run(_ args: [String]) throws -> (Int32, String) {
        let r = try cli.capture(args)
        return (r.status, r.out)
    }

    func testFourFaultsExitStatusAndJSON() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("verify-cli-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let decode = cli.root.appendingPathComponent("Tests/Fixtures/data/decode").path, fm = FileManager.default
        try fm.createDirectory(atPath: root + "/cifar/images", withIntermediateDirectories: true)
        for (src, dst) in [("rgb444.jpg", "good0.jpg"), ("truncated.jpg.bad", "broken.jpg"), ("truncated.png.bad", "broken.png")] {
            try fm.copyItem(atPath: decode + "/" + src, toPath: root + "/cifar/images/" + dst)
        }
        let train = "images/good0.jpg 0\nimages/broken.jpg 1\nimages/broken.png 2\nimages/gone.jpg 3\nimages/good0.jpg 999\n"
        for name in ["train800", "val200", "train800val200", "test"] {
            try train.write(toFile: root + "/cifar/\(name).txt", atomically: true, encoding: .utf8)
        }
        let (status, text) = try run(["verify-data", "--root", root, "--dataset", "vtab1k/cifar100"])
        XCTAssertEqual(status, 1)
        let list = root + "/cifar/train800.txt"
        for line in ["\(list):2: image", "\(list):3: image", "\(list):4: image \(root)/cifar/images/gone.jpg does not exist",
                     "\(list):5: label 999 outside 0..<100", "\(list):5: images/good0.jpg is listed again (first on line 1)"] {
            XCTAssertTrue(text.contains(line), "\"\(line)\" not in\n\(text)")
        }
        let (jsonStatus, json) = try run(["verify-data", "--root", root, "--dataset", "vtab1k/cifar100", "--json"])
        XCTAssertEqual(jsonStatus, 1)
        let docs = try XCTUnwrap(JSONSerialization.jsonObject(with: Foundation.Data(json.utf8)) as? [[String: Any]])
        XCTAssertEqual(docs.count, 1)
        XCTAssertEqual(docs[0]["schema"] as? String, "vpt-bench/verify-data/1")
        let problems = try XCTUnwrap(docs[0]["problems"] as? [[String: Any]])
        // 5 faults per list file × 4 files, and 4 count mismatches.
        XCTAssertEqual(problems.filter { $0["severity"] as? String == "error" }.count, 24)
    }
}

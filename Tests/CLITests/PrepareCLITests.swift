import XCTest
import Foundation

/// `bench prepare` as a user runs it: missing downloads are named, a tree failing verify-data is not put in
/// place (exit 1), `--accept-problems` puts it in place with a prepared.json, a re-run only verifies.
final class PrepareCLITests: XCTestCase {
    let cli = BenchCLI()

    func run(_ args: [String]) throws -> (Int32, String) {
        let r = try cli.capture(args, mergeStderr: true)
        return (r.status, r.out)
    }

    func testPrepareSVHNFromTheCommandLine() throws {
        let tmp = NSTemporaryDirectory() + "/vpt-prepare-cli-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let dl = tmp + "/dl", data = tmp + "/data"
        try FileManager.default.createDirectory(atPath: dl, withIntermediateDirectories: true)
        let args = ["prepare", "--dataset", "hta/svhn", "--downloads", dl, "--out", data]

        var (rc, text) = try run(args)
        XCTAssertEqual(rc, 1)
        XCTAssertTrue(text.contains(dl + "/train_32x32.mat") && text.contains(dl + "/test_32x32.mat"), text)

        let fixture = cli.root.path + "/Tests/Fixtures/data/hta/torchvision_dataset/"
        for f in ["train_32x32.mat", "test_32x32.mat"] { try FileManager.default.copyItem(atPath: fixture + f, toPath: dl + "/" + f) }
        (rc, text) = try run(args) // the fixture's 5 + 2 images are not SVHN's 73,257 + 26,032
        XCTAssertEqual(rc, 1)
        XCTAssertTrue(text.contains("not put in place") && text.contains("expected 26032"), text)
        XCTAssertFalse(FileManager.default.fileExists(atPath: data + "/torchvision_dataset/train_32x32.mat"))

        (rc, text) = try run(args + ["--accept-problems"])
        XCTAssertEqual(rc, 0, text)
        XCTAssertTrue(FileManager.default.fileExists(atPath: data + "/torchvision_dataset/svhn.prepared.json"))
        (rc, text) = try run(args)
        XCTAssertEqual(rc, 1) // verified again, the problems reported again
        XCTAssertTrue(text.contains("already prepared"), text)
    }
}

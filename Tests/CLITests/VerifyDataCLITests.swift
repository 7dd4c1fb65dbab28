import XCTest
import Foundation

/// `bench verify-data --dataset` takes the VTAB-1k ids as cell ids spell them (`vtab1k/<task>`); the old `vtab/<task>`
/// still works and says, on stderr, which id to use.
final class VerifyDataCLITests: XCTestCase {
    let cli = BenchCLI()

    func run(_ args: [String]) throws -> (Int32, String, String) {
        let r = try cli.capture(args)
        return (r.status, r.out, r.err)
    }

    func testOldAndNewVTABIds() throws {
        // The fixture tree holds 3 images per split, not VTAB's 800/200/…: exit 1 with count problems, both spellings alike.
        let root = cli.root.appendingPathComponent("Tests/Fixtures/data/vtab").path
        let (newStatus, newOut, newErr) = try run(["verify-data", "--root", root, "--dataset", "vtab1k/dtd", "--no-decode"])
        XCTAssertTrue(newOut.contains("verify-data vtab1k/dtd"), newOut)
        XCTAssertFalse(newErr.contains("old spelling"), newErr)
        let (oldStatus, oldOut, oldErr) = try run(["verify-data", "--root", root, "--dataset", "vtab/dtd", "--no-decode"])
        XCTAssertEqual(oldStatus, newStatus)
        XCTAssertEqual(oldOut, newOut, "the old spelling checks the same dataset under its new id")
        XCTAssertTrue(oldErr.contains("vtab/dtd is the old spelling; use vtab1k/dtd"), oldErr)
        let (unknown, _, _) = try run(["verify-data", "--root", root, "--dataset", "vtab/nope", "--no-decode"])
        XCTAssertNotEqual(unknown, 0)
    }
}

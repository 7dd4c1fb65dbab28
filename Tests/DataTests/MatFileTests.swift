import XCTest
@testable import Data

final class MatFileTests: XCTestCase {
    func testSVHNLikeArraysPlainAndCompressed() throws {
        let want = try Fixtures.json("mat/expected.json") as! [String: [Int]]
        for f in ["mat/svhn_like.mat", "mat/svhn_like_z.mat"] {
            let m = try readMatFile(Fixtures.path(f))
            XCTAssertEqual(m["X"]?.dims, want["shape"], f)
            XCTAssertEqual(m["X"]?.type, 2, f)
            XCTAssertEqual(m["X"]?.ints(), want["X"], f)
            XCTAssertEqual(m["y"]?.ints(), want["y"], f)
        }
        let labels = try readMatFile(Fixtures.path("mat/imagelabels.mat"))
        XCTAssertEqual(labels["labels"]?.ints(), [1, 2, 2, 102, 5])
        let setid = try readMatFile(Fixtures.path("mat/setid.mat"))
        XCTAssertEqual(setid["tstid"]?.ints(), [4, 5])
        XCTAssertEqual(setid["valid"]?.ints(), [2])
        XCTAssertThrowsError(try readMatFile(Fixtures.path("decode/rgb8.png")))
    }
}

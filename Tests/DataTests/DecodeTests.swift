import XCTest
@testable import Data

/// Decoded pixels must equal PIL's `Image.open(f).convert("RGB")` exactly.
final class DecodeTests: XCTestCase {
    func testGoldenDecodeMatchesPIL() throws {
        let manifest = try Fixtures.json("decode/manifest.json") as! [String: [Int]]
        XCTAssertGreaterThanOrEqual(manifest.count, 14)
        for (name, wh) in manifest.sorted(by: { $0.key < $1.key }) {
            let img = try ImageDecoder.decode(contentsOf: Fixtures.path("decode/" + name))
            XCTAssertEqual(img.width, wh[0], name)
            XCTAssertEqual(img.height, wh[1], name)
            let want = try Fixtures.bytes("decode/" + name + ".rgb")
            let diff = zip(img.pixels, want).filter { $0 != $1 }.count
            XCTAssertEqual(img.pixels.count, want.count, name)
            XCTAssertEqual(diff, 0, "\(name): \(diff) bytes differ from PIL")
        }
    }

    func testCorruptFilesThrowNamingTheFile() throws {
        for name in ["truncated.jpg.bad", "truncated.png.bad", "garbage.jpg.bad"] {
            let p = Fixtures.path("decode/" + name)
            XCTAssertThrowsError(try ImageDecoder.decode(contentsOf: p), name) { e in
                guard case DataError.decode = e else { return XCTFail("\(name): \(e)") }
                XCTAssertTrue("\(e)".contains(name), "\(e)")
            }
        }
        XCTAssertThrowsError(try ImageDecoder.decode([1, 2, 3, 4], path: "x.bin"))
        XCTAssertThrowsError(try ImageDecoder.decode(Array("P6 4 4 255\n".utf8) + [1, 2, 3], path: "short.ppm"))
    }
}

import XCTest
@testable import Data

/// PIL resize must be bit-exact; tf.image.resize within float rounding.
final class ResizeTests: XCTestCase {
    func testPILResizeMatchesPillowExactly() throws {
        let src = try ImageDecoder.decode(contentsOf: Fixtures.path("resize/src.png"))
        let manifest = try Fixtures.json("resize/manifest.json") as! [String: [Int]]
        var checked = 0
        for (name, wh) in manifest where name.hasPrefix("pil_") {
            let filter: PILFilter = name.contains("bicubic") ? .bicubic : .bilinear
            let out = pilResize(src, width: wh[0], height: wh[1], filter: filter)
            let want = try Fixtures.bytes("resize/" + name)
            XCTAssertEqual(out.pixels.count, want.count, name)
            let diff = zip(out.pixels, want).filter { $0 != $1 }.count
            XCTAssertEqual(diff, 0, "\(name): \(diff) bytes differ from Pillow")
            checked += 1
        }
        XCTAssertEqual(checked, 14)
    }

    func testTFResizeMatchesTensorFlow() throws {
        let src = try ImageDecoder.decode(contentsOf: Fixtures.path("resize/src.png"))
        let manifest = try Fixtures.json("resize/manifest.json") as! [String: [Int]]
        var checked = 0
        for (name, wh) in manifest where name.hasPrefix("tf_") {
            let out = tfResizeBilinear(src, outHeight: wh[1], outWidth: wh[0])
            let want = try Fixtures.floats("resize/" + name)
            XCTAssertEqual(out.count, want.count, name)
            var maxErr: Float = 0
            for (a, b) in zip(out, want) { maxErr = max(maxErr, abs(a - b)) }
            XCTAssertEqual(maxErr, 0, name)  // bit-exact: same float32 op order as TF's kernel
            checked += 1
        }
        XCTAssertEqual(checked, 5)
    }

    func testShorterSideSizeTruncatesLikeTorchvision() {
        XCTAssertEqual(shorterSideSize(width: 500, height: 375, size: 256).width, 341)
        XCTAssertEqual(shorterSideSize(width: 500, height: 375, size: 256).height, 256)
        XCTAssertEqual(shorterSideSize(width: 300, height: 451, size: 224).height, 336)
    }
}

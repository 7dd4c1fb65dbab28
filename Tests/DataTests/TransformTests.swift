import XCTest
import Random
@testable import Data

final class TransformTests: XCTestCase {
    func testCenterCropUsesPythonRounding() {
        // torchvision: int(round((h - th) / 2.0)); round(0.5) = 0, round(1.5) = 2, round(2.5) = 2.
        XCTAssertEqual(centerCropBox(height: 5, width: 4, cropHeight: 4, cropWidth: 4).top, 0)
        XCTAssertEqual(centerCropBox(height: 7, width: 4, cropHeight: 4, cropWidth: 4).top, 2)
        XCTAssertEqual(centerCropBox(height: 9, width: 4, cropHeight: 4, cropWidth: 4).top, 2)
        XCTAssertEqual(centerCropBox(height: 256, width: 341, cropHeight: 224, cropWidth: 224).left, 58)
        // Crop larger than the image: zero padding of (th - h) // 2 on top.
        XCTAssertEqual(centerCropBox(height: 3, width: 4, cropHeight: 6, cropWidth: 4).top, -1)
    }

    func testCropFlipAndNormalize() {
        let img = Image(width: 3, height: 2, channels: 1, pixels: [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(horizontalFlip(img).pixels, [3, 2, 1, 6, 5, 4])
        XCTAssertEqual(crop(img, CropBox(top: 1, left: 1, height: 2, width: 3)).pixels, [5, 6, 0, 0, 0, 0])
        var f = toFloatCHW(Image(width: 1, height: 1, channels: 3, pixels: [255, 0, 51]))
        XCTAssertEqual(f.values, [1, 0, 0.2])
        normalize(&f, .half)
        XCTAssertEqual(f.values[0], 1, accuracy: 1e-7)
        XCTAssertEqual(f.values[1], -1, accuracy: 1e-7)
    }

    func testRandomCropsStayInsideAndAreSeeded() {
        var a = RandomStream(1, 2, 3), b = RandomStream(1, 2, 3)
        for _ in 0..<200 {
            let box = randomResizedCropBox(height: 40, width: 70, rng: &a)
            XCTAssertEqual(box, randomResizedCropBox(height: 40, width: 70, rng: &b))
            XCTAssertTrue(box.top >= 0 && box.left >= 0 && box.top + box.height <= 40 && box.left + box.width <= 70)
            let r = randomCropBox(height: 40, width: 70, cropHeight: 32, cropWidth: 32, rng: &a)
            _ = randomCropBox(height: 40, width: 70, cropHeight: 32, cropWidth: 32, rng: &b)
            XCTAssertTrue(r.top <= 8 && r.left <= 38)
        }
        // Impossible ratio range forces the fallback: whole image clamped to the ratio.
        var c = RandomStream(5)
        let fb = randomResizedCropBox(height: 10, width: 100, scale: (0.99, 1.0), ratio: (1, 1), rng: &c)
        XCTAssertEqual(fb, CropBox(top: 0, left: 45, height: 10, width: 10))
    }

    func testNamedPipelinesProduceSizedOutput() throws {
        let img = try ImageDecoder.decode(contentsOf: Fixtures.path("resize/src.png"))
        for name in Pipeline.named.keys.sorted() {
            let p = try Pipeline.make(name, size: 32)
            for train in [true, false] {
                var rng = RandomStream(7, 0, 1)
                let out = p.apply(img, train: train, rng: &rng)
                XCTAssertEqual([out.channels, out.height, out.width], [3, 32, 32], name)
                XCTAssertTrue(out.values.allSatisfy { $0.isFinite && abs($0) < 3 }, name)
                // Cached prefix + rest equals the full chain.
                let k = p.cacheablePrefix(train: train)
                var rng2 = RandomStream(7, 0, 1)
                let split = p.apply(p.applyPrefix(img, train: train, count: k), train: train, from: k, rng: &rng2)
                XCTAssertEqual(split, out, name)
            }
        }
        // vpt-vtab at full size equals tf resize / 255, ImageNet-normalised.
        let p = try Pipeline.make("vpt-vtab", size: 16)
        var rng = RandomStream(0)
        let out = p.apply(img, train: false, rng: &rng)
        let want = try Fixtures.floats("resize/tf_bilinear_16x12.f32") // 12 rows: only check the shape path
        XCTAssertEqual(want.count, 12 * 16 * 3)
        let tf = tfResizeBilinear(img, outHeight: 16, outWidth: 16)
        XCTAssertEqual(out.values[0], (tf[0] / 255 - 0.485) / 0.229, accuracy: 1e-6)
        XCTAssertThrowsError(try Pipeline.make("nope"))
    }
}

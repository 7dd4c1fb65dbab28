import XCTest
import Engine
import Random
@testable import Bench

/// Mixup/CutMix against timm's `Mixup` (mode='batch') given the same λ and box
/// (fixture: Tests/Fixtures/bench/mixup/make_mixup_golden.py).
final class MixupTests: XCTestCase {
    static let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/bench/mixup/mixup_golden.json")

    func testMatchesTimmForFixedLambdaAndBox() throws {
        let g = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.file)) as! [String: Any]
        let shape = (g["shape"] as! [NSNumber]).map(\.intValue)
        let x = (g["x"] as! [NSNumber]).map(\.floatValue)
        let labels = (g["labels"] as! [NSNumber]).map(\.intValue)
        let classes = (g["classes"] as! NSNumber).intValue
        for c in g["cases"] as! [[String: Any]] {
            let name = c["name"] as! String
            let box = (c["box"] as? [NSNumber])?.map(\.intValue)
            let draw = MixDraw(lambda: (c["lam"] as! NSNumber).doubleValue, box: box.map { (yl: $0[0], yh: $0[1], xl: $0[2], xh: $0[3]) })
            let r = Mixup.apply(images: x, shape: shape, labels: labels, classes: classes, smoothing: 0.1, draw: draw)
            let ei = (c["images"] as! [NSNumber]).map(\.floatValue), et = (c["targets"] as! [NSNumber]).map(\.floatValue)
            var worst: Float = 0
            for (a, e) in zip(r.images, ei) { worst = max(worst, abs(a - e)) }
            XCTAssertLessThan(worst, 1e-6, "\(name) images")
            var tw: Float = 0
            for (a, e) in zip(r.targets, et) { tw = max(tw, abs(a - e)) }
            XCTAssertLessThan(tw, 1e-6, "\(name) targets")
            for i in 0..<labels.count { XCTAssertEqual(r.targets[(i * classes)..<((i + 1) * classes)].reduce(0, +), 1, accuracy: 1e-6) }
        }
    }

    func testDrawFollowsProbabilitiesAndIsSeeded() {
        let c = MixupConfig(mixupAlpha: 0.8, cutmixAlpha: 1.0, mixProb: 0.5, switchProb: 0.5, labelSmoothing: 0.1)
        var rng = RandomStream(7)
        var none = 0, cut = 0, lamSum = 0.0
        let n = 4000
        for _ in 0..<n {
            let d = Mixup.draw(c, height: 32, width: 32, rng: &rng)
            if d.lambda == 1 && d.box == nil { none += 1 }
            if let b = d.box { cut += 1; XCTAssertTrue(b.yl >= 0 && b.yh <= 32 && b.yl <= b.yh && b.xl <= b.xh) }
            else if d.lambda != 1 { lamSum += d.lambda }
        }
        XCTAssertEqual(Double(none) / Double(n), 0.5, accuracy: 0.03)
        XCTAssertEqual(Double(cut) / Double(n), 0.25, accuracy: 0.03)
        XCTAssertEqual(lamSum / Double(n - none - cut), 0.5, accuracy: 0.03, "Beta(0.8, 0.8) has mean 0.5")
        var a = RandomStream(3), b = RandomStream(3)
        XCTAssertEqual(Mixup.draw(c, height: 32, width: 32, rng: &a), Mixup.draw(c, height: 32, width: 32, rng: &b))
    }
}

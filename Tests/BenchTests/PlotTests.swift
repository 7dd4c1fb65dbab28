import Foundation
import XCTest
@testable import Bench

final class PlotTests: XCTestCase {
    func curve(_ base: Double, epochs: Int = 4) -> [EpochMetrics] {
        (0..<epochs).map { e in
            EpochMetrics(epoch: e, lr: 0.1, trainLoss: 2.0 / Double(e + 1) + base / 100, testAccuracy: base + Double(e) * 5,
                         wallSeconds: 1, imagesPerSecond: 10)
        }
    }

    func count(_ s: String, _ needle: String) -> Int { s.components(separatedBy: needle).count - 1 }

    func testOneLinePerMethodMeanOverSeeds() throws {
        let set = try RunSet()
        for seed in 0..<2 { try set.add(dataset: "a", method: "m1", seed: seed, official: 80, metrics: curve(60 + Double(seed))) }
        try set.add(dataset: "a", method: "m2", seed: 0, official: 70, metrics: curve(50))
        try set.add(dataset: "b", method: "m1", seed: 0, official: 70, metrics: curve(40))
        let charts = try LearningCurves.charts(runs: set.runs, summaries: try set.summaries())
        XCTAssertEqual(charts.map { $0.name }, ["curves_toy_a", "curves_toy_b"])
        let a = charts[0].chart
        XCTAssertEqual(a.panels.map { $0.title }, ["train loss", "test accuracy (%)"])
        XCTAssertEqual(a.panels[1].series.map { $0.name }, ["m1 (mean of 2 seeds)", "m2"])
        XCTAssertEqual(a.panels[1].series[0].points.map { $0.y }, [60.5, 65.5, 70.5, 75.5])  // mean of seeds 60 and 61
        let svg = SVGPlot.svg(a)
        XCTAssertEqual(count(svg, "<polyline"), 4)  // 2 series × 2 panels
        XCTAssertTrue(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        XCTAssertTrue(svg.contains(">m2</text>"))  // legend
        // One method → one line per seed.
        let b = charts[1].chart
        XCTAssertEqual(b.panels[0].series.map { $0.name }, ["m1 seed 0"])
        XCTAssertEqual(count(SVGPlot.svg(b), "<polyline"), 2)
    }

    func testOutputIsDeterministic() throws {
        let set = try RunSet()
        for seed in [2, 0, 1] { try set.add(dataset: "a", method: "m1", seed: seed, official: 80, metrics: curve(60 + Double(seed))) }
        let out1 = set.root.appendingPathComponent("p1"), out2 = set.root.appendingPathComponent("p2")
        let f1 = try LearningCurves.write(runs: set.runs, out: out1)
        let f2 = try LearningCurves.write(runs: set.runs, out: out2)
        XCTAssertEqual(f1.map { $0.lastPathComponent }, ["curves_toy_a.svg"])
        let t1 = try String(contentsOf: f1[0], encoding: .utf8), t2 = try String(contentsOf: f2[0], encoding: .utf8)
        XCTAssertEqual(t1, t2)
        XCTAssertEqual(count(t1, "<polyline"), 6)  // 3 seeds × 2 panels
        // Snapshot of seed 0's test accuracy (60, 65, 70, 75) in the right panel (x from 430, 300 wide, epochs 0…3;
        // y from 250 up, 210 high, axis 60…80 since seed 2 reaches 77): x = 430 + 100·epoch, y = 250 − 10.5·(acc − 60).
        XCTAssertTrue(t1.contains("points=\"430.00,250.00 530.00,197.50 630.00,145.00 730.00,92.50\""), t1)
    }

    func testNiceTicks() {
        XCTAssertEqual(SVGPlot.ticks(0, 3).values, [0, 0.5, 1, 1.5, 2, 2.5, 3])
        XCTAssertEqual(SVGPlot.ticks(60, 75).values, [60, 65, 70, 75])
        XCTAssertEqual(SVGPlot.ticks(0, 3, minStep: 1).values, [0, 1, 2, 3])  // epochs stay whole
        XCTAssertEqual(SVGPlot.ticks(0, 100).values, [0, 20, 40, 60, 80, 100])
    }
}

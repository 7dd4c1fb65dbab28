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
        // Snapshot of seed 0's test accuracy (60, 65, 70, 75) in the lower panel (x from 60, 360 wide, epochs 0…3;
        // y from 590 up, 240 high, axis 60…80 since seed 2 reaches 77): x = 60 + 120·epoch, y = 590 − 12·(acc − 60).
        XCTAssertTrue(t1.contains("points=\"60.00,590.00 180.00,530.00 300.00,470.00 420.00,410.00\""), t1)
    }

    /// Per panel of an SVG: (names of the drawn series, names in its legend, (stroke, dash) of each drawn line).
    func panels(_ svg: String) -> [(drawn: [String], legend: [String], styles: [String])] {
        func all(_ pattern: String, in s: String) -> [String] {
            let re = try! NSRegularExpression(pattern: pattern)
            return re.matches(in: s, range: NSRange(s.startIndex..., in: s)).map { String(s[Range($0.range(at: 1), in: s)!]) }
        }
        return svg.components(separatedBy: "<g class=\"panel\"").dropFirst().map { p in
            let drawn = all("class=\"series\"[^>]*><title>([^<]*)</title>", in: p)
            let legend = all("<g class=\"legend\">\\n(?:<[^\\n]*\\n)*?<text[^>]*>([^<]*)</text>", in: p)
            let styles = all("class=\"series\"([^>]*)(?:points|><title)", in: p).map { attrs in
                all("(stroke=\"[^\"]*\"|stroke-dasharray=\"[^\"]*\"|fill=\"#[^\"]*\"|data-marker=\"[^\"]*\")", in: attrs).joined(separator: " ")
            }
            return (drawn, legend, styles)
        }
    }

    /// The mini table's methods (15 and growing) and 60 names: no two series share a (colour, dash) pair, and a
    /// name's style depends on name order only, not on the order the series come in.
    func testEverySeriesHasItsOwnColourAndDash() throws {
        let mini = Array(Set(CellCatalog.miniCells(root: repoRoot).map(\.key.method))).sorted()
        XCTAssertGreaterThanOrEqual(mini.count, 15)
        XCTAssertEqual(SVGPlot.distinctStyles, 60)
        let all = (0..<SVGPlot.distinctStyles).map { "method-\($0 < 10 ? "0" : "")\($0)" }
        for names in [mini, all] {
            let styles = SVGPlot.styles(names)
            XCTAssertEqual(Set(styles.values).count, names.count, "\(styles)")
            XCTAssertEqual(SVGPlot.styles(names.reversed()), styles)
            XCTAssertEqual(Set(styles.values.map { "\($0.color) \($0.marker)" }).count, names.count, "two markers share colour and shape")
            // The same in the drawn SVG: one chart, one series per name, every line's stroke attributes unique, and
            // every marker's (fill, shape) when each series has a single point.
            for epochs in [3, 1] {
                let series = names.reversed().enumerated().map { i, n in
                    CurveSeries(name: n, points: (0..<epochs).map { CurveSeries.Point(x: Double($0), y: Double(i + $0)) })
                }
                let svg = SVGPlot.svg(CurveChart(title: "t", panels: [CurvePanel(title: "p", series: series)]))
                let p = panels(svg)[0]
                XCTAssertEqual(p.styles.count, names.count)
                XCTAssertEqual(Set(p.styles).count, names.count, "two series share a colour and dash (or marker): \(p.styles)")
                XCTAssertEqual(p.legend, p.drawn)
            }
        }
        // The pairs the old 10-colour cycle repeated in the mini table.
        let styles = SVGPlot.styles(mini)
        for (a, b) in [("dam-vp", "vpt-deep"), ("adapter", "partial-1")] where styles[a] != nil && styles[b] != nil {
            XCTAssertNotEqual(styles[a], styles[b], "\(a) and \(b)")
        }
    }

    /// Each panel's legend lists exactly the series drawn in it: a method that logs test accuracy only at the end is
    /// drawn as a dot (and listed), one that never logs it is neither drawn nor listed in that panel.
    func testLegendMatchesWhatEachPanelDraws() throws {
        let set = try RunSet()
        try set.add(dataset: "a", method: "every-epoch", seed: 0, official: 75, metrics: curve(60))
        try set.add(dataset: "a", method: "last-epoch", seed: 0, official: 70, metrics: curve(50).map { m in
            var m = m; if m.epoch < 3 { m.testAccuracy = nil }; return m
        })
        try set.add(dataset: "a", method: "never", seed: 0, official: 70, metrics: curve(40).map { m in var m = m; m.testAccuracy = nil; return m })
        let chart = try LearningCurves.charts(runs: set.runs, summaries: try set.summaries())[0].chart
        let svg = SVGPlot.svg(chart)
        let p = panels(svg)
        XCTAssertEqual(p.count, 2)
        XCTAssertEqual(p[0].drawn, ["every-epoch", "last-epoch", "never"])
        XCTAssertEqual(p[0].legend, p[0].drawn)
        XCTAssertEqual(p[1].drawn, ["every-epoch", "last-epoch"])
        XCTAssertEqual(p[1].legend, p[1].drawn)
        XCTAssertEqual(count(svg, "<circle class=\"series\""), 1)  // last-epoch's single test point (2nd name: circle)
        for panel in chart.panels { XCTAssertEqual(SVGPlot.drawn(panel).map(\.name), panels(SVGPlot.svg(CurveChart(title: "", panels: [panel])))[0].legend) }
    }

    func testNiceTicks() {
        XCTAssertEqual(SVGPlot.ticks(0, 3).values, [0, 0.5, 1, 1.5, 2, 2.5, 3])
        XCTAssertEqual(SVGPlot.ticks(60, 75).values, [60, 65, 70, 75])
        XCTAssertEqual(SVGPlot.ticks(0, 3, minStep: 1).values, [0, 1, 2, 3])  // epochs stay whole
        XCTAssertEqual(SVGPlot.ticks(0, 100).values, [0, 20, 40, 60, 80, 100])
    }
}

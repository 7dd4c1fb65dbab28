// `bench plot`: learning curves as hand-written SVG (libraries.md: diffable, snapshot-testable, no dependency).
// One chart per (benchmark, dataset) with two panels, train loss and test accuracy per epoch; one line per method
// (mean over seeds at each epoch) or, when the chart has a single method, one line per seed.
import Foundation

/// One line of a panel.
public struct CurveSeries: Sendable, Equatable {
    public var name: String
    /// (epoch, value) in increasing epoch order.
    public var points: [Point]
    public struct Point: Sendable, Equatable { public var x: Double; public var y: Double }
    public init(name: String, points: [Point]) { self.name = name; self.points = points }
}

/// One panel: a y quantity over epochs.
public struct CurvePanel: Sendable, Equatable {
    public var title: String
    public var series: [CurveSeries]
}

/// A chart: a title and side-by-side panels sharing a legend.
public struct CurveChart: Sendable, Equatable {
    public var title: String
    public var panels: [CurvePanel]
}

/// Renders charts to SVG text. Every coordinate is printed with two decimals so output is byte-stable.
public enum SVGPlot {
    static let palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
    static let panelW = 300.0, panelH = 210.0, top = 40.0, left = 60.0, gap = 70.0, legendW = 190.0

    /// "Nice" tick values (steps of 1, 2 or 5 × 10^k) covering [lo, hi].
    /// `minStep` keeps epoch axes on whole epochs.
    public static func ticks(_ lo: Double, _ hi: Double, target: Int = 5, minStep: Double = 0) -> (values: [Double], step: Double) {
        let raw = max((hi - lo) / Double(target), minStep, 1e-12)
        let mag = pow(10, floor(log10(raw)))
        let norm = raw / mag
        let step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag
        var v: [Double] = []
        var t = (lo / step).rounded(.up) * step
        while t <= hi + step * 1e-9 { v.append(t); t += step }
        return (v, step)
    }

    /// Axis range of values, widened to whole ticks; a single value gets ±1 so the axis is not empty.
    static func range(_ xs: [Double], minStep: Double = 0) -> (Double, Double) {
        guard var lo = xs.min(), var hi = xs.max() else { return (0, 1) }
        if lo == hi { lo -= 1; hi += 1 }
        let step = ticks(lo, hi, minStep: minStep).step
        return ((lo / step).rounded(.down) * step, (hi / step).rounded(.up) * step)
    }

    static func f(_ v: Double) -> String { Format.fixed(v, 2) }
    static func esc(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    public static func svg(_ chart: CurveChart) -> String {
        let n = Double(chart.panels.count)
        let width = left + n * panelW + (n - 1) * gap + 30 + legendW, height = top + panelH + 60
        var o: [String] = []
        o.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(width))\" height=\"\(f(height))\" viewBox=\"0 0 \(f(width)) \(f(height))\" font-family=\"sans-serif\" font-size=\"11\">")
        o.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>")
        o.append("<text x=\"\(f(left))\" y=\"20\" font-size=\"14\">\(esc(chart.title))</text>")
        // Series names in first-appearance order across panels give each its colour.
        var names: [String] = []
        for p in chart.panels { for s in p.series where !names.contains(s.name) { names.append(s.name) } }
        func color(_ name: String) -> String { palette[(names.firstIndex(of: name) ?? 0) % palette.count] }
        for (i, panel) in chart.panels.enumerated() {
            let x0 = left + Double(i) * (panelW + gap), y0 = top, y1 = top + panelH
            let pts = panel.series.flatMap { $0.points }
            let (xl, xh) = range(pts.map { $0.x }, minStep: 1), (yl, yh) = range(pts.map { $0.y })
            func px(_ x: Double) -> Double { x0 + (x - xl) / (xh - xl) * panelW }
            func py(_ y: Double) -> Double { y1 - (y - yl) / (yh - yl) * panelH }
            o.append("<g>")
            o.append("<text x=\"\(f(x0))\" y=\"\(f(y0 - 6))\">\(esc(panel.title))</text>")
            o.append("<rect x=\"\(f(x0))\" y=\"\(f(y0))\" width=\"\(f(panelW))\" height=\"\(f(panelH))\" fill=\"none\" stroke=\"black\"/>")
            let xt = ticks(xl, xh, minStep: 1), yt = ticks(yl, yh)
            let xd = max(0, Int(-floor(log10(xt.step)))), yd = max(0, Int(-floor(log10(yt.step))))
            for t in xt.values {
                o.append("<line x1=\"\(f(px(t)))\" y1=\"\(f(y1))\" x2=\"\(f(px(t)))\" y2=\"\(f(y1 + 4))\" stroke=\"black\"/>")
                o.append("<text x=\"\(f(px(t)))\" y=\"\(f(y1 + 16))\" text-anchor=\"middle\">\(Format.fixed(t, xd))</text>")
            }
            for t in yt.values {
                o.append("<line x1=\"\(f(x0 - 4))\" y1=\"\(f(py(t)))\" x2=\"\(f(x0))\" y2=\"\(f(py(t)))\" stroke=\"black\"/>")
                o.append("<text x=\"\(f(x0 - 6))\" y=\"\(f(py(t) + 4))\" text-anchor=\"end\">\(Format.fixed(t, yd))</text>")
            }
            o.append("<text x=\"\(f(x0 + panelW / 2))\" y=\"\(f(y1 + 34))\" text-anchor=\"middle\">epoch</text>")
            for s in panel.series where !s.points.isEmpty {
                let coords = s.points.map { "\(f(px($0.x))),\(f(py($0.y)))" }.joined(separator: " ")
                o.append("<polyline fill=\"none\" stroke=\"\(color(s.name))\" stroke-width=\"1.5\" points=\"\(coords)\"><title>\(esc(s.name))</title></polyline>")
            }
            o.append("</g>")
        }
        // Legend: a short line and the name per series.
        let lx = left + n * panelW + (n - 1) * gap + 30
        for (i, name) in names.enumerated() {
            let y = top + 10 + Double(i) * 18
            o.append("<line x1=\"\(f(lx))\" y1=\"\(f(y))\" x2=\"\(f(lx + 20))\" y2=\"\(f(y))\" stroke=\"\(color(name))\" stroke-width=\"2\"/>")
            o.append("<text x=\"\(f(lx + 26))\" y=\"\(f(y + 4))\">\(esc(name))</text>")
        }
        o.append("</svg>")
        return o.joined(separator: "\n") + "\n"
    }
}

/// Learning-curve charts from run folders (metrics.jsonl next to each summary.json).
public enum LearningCurves {
    /// One chart per (benchmark, dataset), named `curves_<benchmark>_<dataset>`, sorted by name.
    public static func charts(runs: URL, summaries: [RunSummary]) throws -> [(name: String, chart: CurveChart)] {
        var byChart: [String: [RunSummary]] = [:]
        for s in summaries { byChart["\(s.benchmark)|\(s.dataset)", default: []].append(s) }
        var out: [(String, CurveChart)] = []
        for key in byChart.keys.sorted() {
            let runsOf = byChart[key]!.sorted { ($0.method, $0.backbone, $0.seed) < ($1.method, $1.backbone, $1.seed) }
            let (benchmark, dataset) = (runsOf[0].benchmark, runsOf[0].dataset)
            let lines = Array(Set(runsOf.map { "\($0.method)|\($0.backbone)" })).sorted()
            let manyBackbones = Set(runsOf.map { $0.backbone }).count > 1
            // Series name → per-run metrics; one method → one series per seed, else runs of a method pooled.
            var groups: [(String, [[EpochMetrics]])] = []
            for l in lines {
                let rs = runsOf.filter { "\($0.method)|\($0.backbone)" == l }
                let ms = try rs.map { try RunStore.metrics(in: RunStore.folder(runs: runs, cell: $0.cell, seed: $0.seed)) }
                let base = manyBackbones ? "\(rs[0].method) [\(rs[0].backbone)]" : rs[0].method
                if lines.count == 1 {
                    for (r, m) in zip(rs, ms) { groups.append(("\(base) seed \(r.seed)", [m])) }
                } else {
                    groups.append((rs.count > 1 ? "\(base) (mean of \(rs.count) seeds)" : base, ms))
                }
            }
            func series(_ value: (EpochMetrics) -> Double?) -> [CurveSeries] {
                groups.map { name, runs in
                    var sums: [Int: (Double, Int)] = [:]
                    for m in runs { for e in m { if let v = value(e) { let p = sums[e.epoch] ?? (0, 0); sums[e.epoch] = (p.0 + v, p.1 + 1) } } }
                    // Mean over the seeds that logged the epoch.
                    return CurveSeries(name: name, points: sums.keys.sorted().map { CurveSeries.Point(x: Double($0), y: sums[$0]!.0 / Double(sums[$0]!.1)) })
                }
            }
            let chart = CurveChart(title: "\(benchmark) / \(dataset)", panels: [
                CurvePanel(title: "train loss", series: series { $0.trainLoss }),
                CurvePanel(title: "test accuracy (%)", series: series { $0.testAccuracy }),
            ])
            out.append(("curves_\(benchmark)_\(dataset)", chart))
        }
        return out
    }

    /// Writes `<out>/curves_<benchmark>_<dataset>.svg` for every chart; returns the files.
    @discardableResult
    public static func write(runs: URL, out: URL) throws -> [URL] {
        let summaries = try RunStore.summaries(in: runs)
        return try charts(runs: runs, summaries: summaries).map { name, chart in
            let url = out.appendingPathComponent(name + ".svg")
            try RunStore.writeAtomically(Data(SVGPlot.svg(chart).utf8), to: url)
            return url
        }
    }
}

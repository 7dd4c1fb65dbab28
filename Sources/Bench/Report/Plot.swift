// `bench plot`: learning curves as hand-written SVG (libraries.md: diffable, snapshot-testable, no dependency).
// One chart per (benchmark, dataset) with two panels, train loss and test accuracy per epoch; one line per method
// (mean over seeds at each epoch) or, when the chart has a single method, one line per seed. Each series has its own
// (colour, dash) pair and each panel's legend lists what that panel draws.
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

/// A chart: a title and panels stacked vertically, each with its own legend.
public struct CurveChart: Sendable, Equatable {
    public var title: String
    public var panels: [CurvePanel]
}

/// How one series is drawn: a colour and a dash pattern (SVG `stroke-dasharray`, "" = solid); a series of one point
/// (no line to dash) is a marker whose shape stands for the dash pattern.
public struct SeriesStyle: Sendable, Equatable, Hashable {
    public var color: String
    public var dash: String
    public var marker: Marker
    public enum Marker: String, Sendable, CaseIterable { case circle, square, triangle, diamond, triangleDown, plus }
}

/// Renders charts to SVG text. Every coordinate is printed with two decimals so output is byte-stable.
///
/// Panels are stacked vertically, each with its own legend on its right listing exactly the series drawn in it (a
/// method that evaluates the test split only at the end has no line to draw in every-epoch panels: it is drawn as a
/// marker at the epoch it logged, and its legend entry shows the marker). Every series of a chart gets its own
/// (colour, dash) pair: colour = Tableau-10 index, dash = one of 6 patterns, assigned in the sorted order of the
/// chart's series names, so 60 series stay distinguishable (beyond 60 the pairs repeat) and a method keeps its style when others are added
/// after it in name order.
public enum SVGPlot {
    /// Tableau 10 (matplotlib's default qualitative cycle).
    static let palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
    /// Solid, dashed, dotted, dash-dot, dash-dot-dot, long dash; a one-point series shows the same group as a circle,
    /// square, triangle, diamond, downward triangle, plus.
    static let dashes = ["", "7,3", "2,2.5", "9,3,2,3", "9,2.5,2,2.5,2,2.5", "16,4"]
    static let markers: [SeriesStyle.Marker] = [.circle, .square, .triangle, .diamond, .triangleDown, .plus]
    static let panelW = 360.0, panelH = 240.0, top = 40.0, left = 60.0, rowGap = 70.0
    static let legendGap = 24.0, legendRowH = 16.0, legendColW = 200.0

    /// Distinct styles available before one repeats.
    public static var distinctStyles: Int { palette.count * dashes.count }

    /// Style of each series name: the i-th name in sorted order gets colour i mod 10 and dash (and marker) ⌊i / 10⌋ mod 6.
    public static func styles(_ names: [String]) -> [String: SeriesStyle] {
        var out: [String: SeriesStyle] = [:]
        for (i, name) in Array(Set(names)).sorted().enumerated() {
            let group = (i / palette.count) % dashes.count
            out[name] = SeriesStyle(color: palette[i % palette.count], dash: dashes[group], marker: markers[group])
        }
        return out
    }

    /// A filled marker centred on (x, y), about 7 px across; `extra` goes into the element's attributes.
    static func marker(_ st: SeriesStyle, x: Double, y: Double, extra: String = "", title: String? = nil) -> String {
        let r = 3.5
        let shape: String
        switch st.marker {
        case .circle: shape = "<circle\(extra) cx=\"\(f(x))\" cy=\"\(f(y))\" r=\"\(f(r))\""
        case .square: shape = "<rect\(extra) x=\"\(f(x - r))\" y=\"\(f(y - r))\" width=\"\(f(2 * r))\" height=\"\(f(2 * r))\""
        case .triangle: shape = "<polygon\(extra) points=\"\(f(x)),\(f(y - r - 0.8)) \(f(x + r + 0.5)),\(f(y + r)) \(f(x - r - 0.5)),\(f(y + r))\""
        case .diamond: shape = "<polygon\(extra) points=\"\(f(x)),\(f(y - r - 1)) \(f(x + r + 1)),\(f(y)) \(f(x)),\(f(y + r + 1)) \(f(x - r - 1)),\(f(y))\""
        case .triangleDown: shape = "<polygon\(extra) points=\"\(f(x)),\(f(y + r + 0.8)) \(f(x + r + 0.5)),\(f(y - r)) \(f(x - r - 0.5)),\(f(y - r))\""
        case .plus:
            let a = r + 0.5, b = 1.3  // arm half-length, half-width
            let pts = [(-b, -a), (b, -a), (b, -b), (a, -b), (a, b), (b, b), (b, a), (-b, a), (-b, b), (-a, b), (-a, -b), (-b, -b)]
            shape = "<polygon\(extra) points=\"" + pts.map { "\(f(x + $0.0)),\(f(y + $0.1))" }.joined(separator: " ") + "\""
        }
        let tag = String(shape.dropFirst().prefix { $0 != " " })
        let body = " data-marker=\"\(st.marker.rawValue)\" fill=\"\(st.color)\""
        return title.map { shape + body + "><title>\(esc($0))</title></\(tag)>" } ?? shape + body + "/>"
    }

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

    /// The series a panel draws (those with at least one point), in the panel's order.
    public static func drawn(_ panel: CurvePanel) -> [CurveSeries] { panel.series.filter { !$0.points.isEmpty } }

    /// Legend rows per column: as many as fit beside the panel.
    static var legendRows: Int { max(1, Int(panelH / legendRowH)) }

    public static func svg(_ chart: CurveChart) -> String {
        let n = Double(max(chart.panels.count, 1))
        let columns = chart.panels.map { max(1, (drawn($0).count + legendRows - 1) / legendRows) }.max() ?? 1
        let lx0 = left + panelW + legendGap
        let width = lx0 + Double(columns) * legendColW, height = top + n * panelH + (n - 1) * rowGap + 50
        var o: [String] = []
        o.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(width))\" height=\"\(f(height))\" viewBox=\"0 0 \(f(width)) \(f(height))\" font-family=\"sans-serif\" font-size=\"11\">")
        o.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>")
        o.append("<text x=\"\(f(left))\" y=\"20\" font-size=\"14\">\(esc(chart.title))</text>")
        let style = styles(chart.panels.flatMap { $0.series.map(\.name) })
        func strokeAttributes(_ name: String, width: Double) -> String {
            let st = style[name]!
            return "stroke=\"\(st.color)\" stroke-width=\"\(f(width))\"" + (st.dash.isEmpty ? "" : " stroke-dasharray=\"\(st.dash)\"")
        }
        for (i, panel) in chart.panels.enumerated() {
            let x0 = left, y0 = top + Double(i) * (panelH + rowGap), y1 = y0 + panelH
            let series = drawn(panel)
            let pts = series.flatMap { $0.points }
            let (xl, xh) = range(pts.map { $0.x }, minStep: 1), (yl, yh) = range(pts.map { $0.y })
            func px(_ x: Double) -> Double { x0 + (x - xl) / (xh - xl) * panelW }
            func py(_ y: Double) -> Double { y1 - (y - yl) / (yh - yl) * panelH }
            o.append("<g class=\"panel\" id=\"panel-\(i)\">")
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
            if series.isEmpty {
                o.append("<text x=\"\(f(x0 + panelW / 2))\" y=\"\(f(y0 + panelH / 2))\" text-anchor=\"middle\" fill=\"#7f7f7f\">no run logged this</text>")
            }
            // A series with one point has no line to draw: a marker (its dash group's shape) shows it, here and in its legend entry.
            for s in series {
                if s.points.count == 1 {
                    o.append(marker(style[s.name]!, x: px(s.points[0].x), y: py(s.points[0].y), extra: " class=\"series\"", title: s.name))
                } else {
                    let coords = s.points.map { "\(f(px($0.x))),\(f(py($0.y)))" }.joined(separator: " ")
                    o.append("<polyline class=\"series\" fill=\"none\" \(strokeAttributes(s.name, width: 1.5)) points=\"\(coords)\"><title>\(esc(s.name))</title></polyline>")
                }
            }
            // This panel's legend: exactly the series drawn above, in the panel's order, in columns beside it.
            for (k, s) in series.enumerated() {
                let lx = lx0 + Double(k / legendRows) * legendColW, y = y0 + 8 + Double(k % legendRows) * legendRowH
                o.append("<g class=\"legend\">")
                o.append("<line x1=\"\(f(lx))\" y1=\"\(f(y))\" x2=\"\(f(lx + 28))\" y2=\"\(f(y))\" \(strokeAttributes(s.name, width: 2))/>")
                if s.points.count == 1 {
                    o.append(marker(style[s.name]!, x: lx + 14, y: y))
                }
                o.append("<text x=\"\(f(lx + 34))\" y=\"\(f(y + 4))\">\(esc(s.name))</text>")
                o.append("</g>")
            }
            o.append("</g>")
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

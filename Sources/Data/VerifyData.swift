// verifyData: checks a dataset on disk against its registry row (split files, counts, class counts,
// every image decodes) and collects every problem instead of stopping at the first. Works for every
// registered layout (lists, json, pickles, .mat, CSV, CoOp, TFDS) through `openDataset`.

import Foundation

/// One split's findings.
public struct SplitCheck: Sendable, Equatable {
    public var expected: Int?
    public var found: Int
    public var classesFound: Int
    public var undecodable: Int
    public var source: String
}

/// Result of `verifyData`: per-split counts and the list of problems; `description` prints a text report,
/// `markdown` a table (split, expected vs found samples, classes, undecodable images).
public struct DataReport: CustomStringConvertible, Sendable {
    public var dataset: String
    public var root: String
    public var expectedClasses: Int = 0
    /// Split → (samples, distinct classes).
    public var counts: [String: (samples: Int, classes: Int)] = [:]
    /// Split → full findings (also for splits that failed to open: absent).
    public var splits: [String: SplitCheck] = [:]
    public var problems: [String] = []
    public var ok: Bool { problems.isEmpty }

    public var description: String {
        var s = "verify-data \(dataset) at \(root): \(ok ? "OK" : "\(problems.count) problem(s)")\n"
        for k in counts.keys.sorted() {
            let c = splits[k]
            let exp = c?.expected.map { " (expected \($0))" } ?? " (expected: unknown)"
            s += "  \(k): \(counts[k]!.samples) samples\(exp), \(counts[k]!.classes)/\(expectedClasses) classes"
            if let c = c, c.undecodable > 0 { s += ", \(c.undecodable) undecodable" }
            s += "\n"
        }
        for p in problems { s += "  problem: \(p)\n" }
        return s
    }

    public var markdown: String {
        var s = "### \(dataset) — \(ok ? "OK" : "\(problems.count) problem(s)")\n\nRoot: `\(root)`\n\n"
        s += "| split | expected | found | classes (found / expected) | undecodable |\n|---|---:|---:|---:|---:|\n"
        for k in splits.keys.sorted() {
            let c = splits[k]!
            let exp = c.expected.map(String.init) ?? "—"
            let mark = c.expected.map { $0 == c.found ? "" : " ✗" } ?? ""
            s += "| \(k) | \(exp) | \(c.found)\(mark) | \(c.classesFound) / \(expectedClasses) | \(c.undecodable) |\n"
        }
        if !problems.isEmpty {
            s += "\nProblems:\n\n" + problems.map { "- \($0)" }.joined(separator: "\n") + "\n"
        }
        return s
    }
}

/// Verifies dataset `dataset` under `root`; with `decodeImages` every image is decoded.
/// An old id spelling (`vtab/<task>`) is checked as its new one, which the report names.
public func verifyData(root: String, dataset: String, decodeImages: Bool = true) -> DataReport {
    let dataset = resolveDatasetId(dataset).id
    var report = DataReport(dataset: dataset, root: root)
    guard let spec = datasetRegistry[dataset] else {
        report.problems.append(DataError.unknownDataset(id: dataset).description); return report
    }
    report.expectedClasses = spec.expected.classes
    guard FileManager.default.fileExists(atPath: root) else {
        report.problems.append(DataError.missingRoot(path: root).description); return report
    }
    for split in spec.expected.splits.keys.sorted() {
        do {
            let d = try openDataset(root: root, id: dataset, split: split)
            let source = (d as? NamedSource)?.sourceDescription ?? "\(dataset) \(split)"
            let classes = Set((0..<d.count).map(d.label)).count
            report.counts[split] = (d.count, classes)
            let want = spec.expected.splits[split] ?? nil
            if let want = want, want != d.count {
                report.problems.append("\(source): \(d.count) samples, expected \(want)")
            }
            if classes > spec.expected.classes {
                report.problems.append("\(source): \(classes) classes, expected at most \(spec.expected.classes)")
            }
            var bad = 0
            if decodeImages {
                for i in 0..<d.count {
                    do { _ = try d.image(i) } catch { bad += 1; report.problems.append("\(error)") }
                }
            }
            report.splits[split] = SplitCheck(expected: want, found: d.count, classesFound: classes, undecodable: bad, source: source)
        } catch {
            report.problems.append("\(error)")
        }
    }
    return report
}

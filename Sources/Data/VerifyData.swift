// verifyData: checks a dataset on disk against its registry row (split files, counts, class counts,
// every image decodes) and collects every problem instead of stopping at the first.

import Foundation

/// Result of `verifyData`: per-split counts and the list of problems; `description` prints a report.
public struct DataReport: CustomStringConvertible, Sendable {
    public var dataset: String
    public var root: String
    /// Split → (samples, distinct classes).
    public var counts: [String: (samples: Int, classes: Int)] = [:]
    public var problems: [String] = []
    public var ok: Bool { problems.isEmpty }

    public var description: String {
        var s = "verify-data \(dataset) at \(root): \(ok ? "OK" : "\(problems.count) problem(s)")\n"
        for k in counts.keys.sorted() { s += "  \(k): \(counts[k]!.samples) samples, \(counts[k]!.classes) classes\n" }
        for p in problems { s += "  problem: \(p)\n" }
        return s
    }
}

/// Verifies dataset `dataset` under `root`; with `decodeImages` every image is decoded.
public func verifyData(root: String, dataset: String, decodeImages: Bool = true) -> DataReport {
    var report = DataReport(dataset: dataset, root: root)
    guard let spec = datasetRegistry[dataset] else {
        report.problems.append(DataError.unknownDataset(id: dataset).description); return report
    }
    guard FileManager.default.fileExists(atPath: root) else {
        report.problems.append(DataError.missingRoot(path: root).description); return report
    }
    for split in spec.expected.splits.keys.sorted() {
        do {
            let d = try openDataset(root: root, id: dataset, split: split)
            let classes = Set(d.labels).count
            report.counts[split] = (d.count, classes)
            if let want = spec.expected.splits[split] ?? nil, want != d.count {
                report.problems.append("\(d.listFile): \(d.count) samples, expected \(want)")
            }
            if decodeImages {
                for i in 0..<d.count {
                    do { _ = try d.image(i) } catch { report.problems.append("\(error)") }
                }
            }
        } catch {
            report.problems.append("\(error)")
        }
    }
    return report
}

// verifyData: checks a dataset on disk against its registry row in one pass and collects every problem
// instead of stopping at the first: every missing image, bad or out-of-range label, repeated entry and
// undecodable image (each naming its split file and line), per-split counts against the expected counts,
// classes without an example, and which split each split file is (published or not, SplitIdentity.swift).
// Works for every registered layout through `scanDataset`. Printing: VerifyDataReport.swift.

import Foundation

/// One split's findings.
public struct SplitCheck: Codable, Sendable, Equatable {
    public var expected: Int?
    /// Entries listed in the split file (good and bad); samples read for layouts without a split file.
    public var found: Int
    public var classesFound: Int
    /// Labels 0..<C without an example in this split.
    public var missingClasses: [Int] = []
    public var undecodable: Int
    /// The split file (or the reader's source description).
    public var source: String
    public var errors: Int = 0
    public var warnings: Int = 0

    enum CodingKeys: String, CodingKey { case expected, found, classesFound, missingClasses, undecodable, source, errors, warnings }
    /// `expected` is written as null when unknown (stable `--json` fields).
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(expected, forKey: .expected); try c.encode(found, forKey: .found)
        try c.encode(classesFound, forKey: .classesFound); try c.encode(missingClasses, forKey: .missingClasses)
        try c.encode(undecodable, forKey: .undecodable); try c.encode(source, forKey: .source)
        try c.encode(errors, forKey: .errors); try c.encode(warnings, forKey: .warnings)
    }
}

/// Result of `verifyData`. `ok` is false when any error exists (warnings alone keep it true);
/// `description` prints one line per problem and a summary per split, `markdown` a table, `json` the
/// `vpt-bench/verify-data/1` document.
public struct DataReport: CustomStringConvertible, Sendable {
    public var dataset: String
    public var root: String
    public var expectedClasses: Int = 0
    public var labelMapping: FGVCLabelMapping = .official
    public var dataSource: String = ""
    /// Split → (samples read, distinct classes).
    public var counts: [String: (samples: Int, classes: Int)] = [:]
    /// Split → full findings (absent for splits whose file could not be read at all).
    public var splits: [String: SplitCheck] = [:]
    /// Every finding, errors and warnings, in the order found.
    public var issues: [DataProblem] = []
    /// Identity of each split file against the published splits.
    public var identities: [SplitIdentity] = []
    /// The splits as read (good samples only), for a run that checks its tree first (no second read).
    public var opened: [String: any ImageDataset] = [:]

    public var errors: [DataProblem] { issues.filter { $0.severity == .error } }
    public var warnings: [DataProblem] { issues.filter { $0.severity == .warning } }
    /// One line per error. Setting it keeps only the errors whose line is in the new list (callers drop
    /// problems they expect, e.g. `bench prepare`'s tests drop count mismatches of tiny trees); `ok` follows.
    public var problems: [String] {
        get { errors.map(\.description) }
        set {
            let keep = Set(newValue)
            issues.removeAll { $0.severity == .error && !keep.contains($0.description) }
        }
    }
    public var ok: Bool { errors.isEmpty }
}

/// Verifies dataset `dataset` under `root`; with `decodeImages` every image is decoded. `splits` limits the
/// check to some splits (default: every split of the registry row). An old id spelling (`vtab/<task>`) is checked as
/// its new one, which the report names.
public func verifyData(root: String, dataset: String, decodeImages: Bool = true,
                       labelMapping: FGVCLabelMapping = .official, splits: [String]? = nil) -> DataReport {
    let dataset = resolveDatasetId(dataset).id
    var report = DataReport(dataset: dataset, root: root, labelMapping: labelMapping, dataSource: dataSource(id: dataset))
    guard let spec = datasetRegistry[dataset] else {
        report.issues.append(DataProblem(.unreadable, file: root, DataError.unknownDataset(id: dataset).description)); return report
    }
    report.expectedClasses = spec.expected.classes
    guard FileManager.default.fileExists(atPath: root) else {
        report.issues.append(DataProblem(.unreadable, file: root, "data root does not exist")); return report
    }
    let names = splits ?? spec.expected.splits.keys.sorted()
    report.identities = splitIdentities(root: root, id: dataset, splits: names)
    for split in names {
        let splitFile = splitFiles(root: root, id: dataset, split: split).first?.file
        do {
            let (d, found) = try scanDataset(root: root, id: dataset, split: split, labelMapping: labelMapping)
            var issues = found
            let listed = d as? ListedDataset
            let source = (d as? NamedSource)?.sourceDescription ?? splitFile ?? "\(dataset) \(split)"
            let entries = report.identities.first { $0.split == split }?.entries ?? d.count
            let present = Set((0..<d.count).map(d.label))
            report.counts[split] = (d.count, present.count)
            report.opened[split] = d
            let want = spec.expected.splits[split] ?? nil
            if let want = want, want != entries {
                issues.append(DataProblem(.countMismatch, split: split, file: source, "\(entries) samples, expected \(want)"))
            }
            if present.count > spec.expected.classes {
                issues.append(DataProblem(.tooManyClasses, split: split, file: source,
                                          "\(present.count) classes, expected at most \(spec.expected.classes)"))
            }
            let missing = (0..<spec.expected.classes).filter { !present.contains($0) }
            if !missing.isEmpty {
                let shown = missing.prefix(20).map(String.init).joined(separator: ", ") + (missing.count > 20 ? ", …" : "")
                issues.append(DataProblem(.warning, .classWithoutExample, split: split, file: source,
                                          "\(missing.count) of \(spec.expected.classes) classes have no example: \(shown)"))
            }
            var bad = 0
            if decodeImages {
                for i in 0..<d.count {
                    do { _ = try d.image(i) } catch {
                        bad += 1
                        if let l = listed {
                            issues.append(DataProblem(.undecodable, split: split, file: l.listFile, line: l.lines.isEmpty ? nil : l.lines[i],
                                                      "image \(l.paths[i]) does not decode: \(reasonOf(error))"))
                        } else {
                            issues.append(DataProblem(.undecodable, split: split, file: source, "\(error)"))
                        }
                    }
                }
            }
            var check = SplitCheck(expected: want, found: entries, classesFound: present.count, missingClasses: missing,
                                   undecodable: bad, source: source)
            check.errors = issues.filter { $0.severity == .error }.count
            check.warnings = issues.count - check.errors
            report.splits[split] = check
            // Errors by line, then the split-wide findings, then warnings (stable: file order kept within a line).
            report.issues += issues.enumerated().sorted { a, b in
                let ka = (a.element.severity == .warning ? 1 : 0, a.element.line ?? Int.max, a.offset)
                let kb = (b.element.severity == .warning ? 1 : 0, b.element.line ?? Int.max, b.offset)
                return ka < kb
            }.map(\.element)
        } catch let DataError.problems(list) {
            report.issues += list
        } catch {
            report.issues.append(DataProblem(unreadable: error, split: split, fallbackFile: splitFile ?? root))
        }
    }
    for id in report.identities where id.isWarning {
        report.issues.append(DataProblem(.warning, .splitIdentity, split: id.split, file: id.file,
                                         "\(id.verdict.rawValue): \(id.entries) entries, published \(id.published?.entries ?? 0) "
                                         + "(\(id.published?.source ?? "?"))"))
    }
    return report
}

/// A decode error's reason without the path (the problem line names the path already).
private func reasonOf(_ error: Error) -> String {
    if case let DataError.decode(_, reason)? = error as? DataError { return reason }
    return "\(error)"
}

// How a `DataReport` prints: text (one line per problem, then a summary per split), markdown, and the
// `--json` document (schema `vpt-bench/verify-data/1`, documented in README "Checking a data tree").

import Foundation

extension DataReport {
    public var description: String {
        var s = "verify-data \(dataset) at \(root) (data source: \(dataSource)"
        if case .fgvcJSON? = datasetRegistry[dataset]?.layout { s += ", label mapping: \(labelMapping.rawValue)" }
        s += ")\n"
        for p in issues { s += "  \(p)\n" }
        s += "summary:\n"
        for k in splits.keys.sorted() {
            let c = splits[k]!
            let exp = c.expected.map { $0 == c.found ? " (expected \($0))" : " (expected \($0) ✗)" } ?? " (expected: unknown)"
            s += "  \(k): \(c.found) samples\(exp), \(c.classesFound)/\(expectedClasses) classes"
            if c.undecodable > 0 { s += ", \(c.undecodable) undecodable" }
            s += ", \(c.errors) problem(s), \(c.warnings) warning(s)\n"
        }
        for k in (datasetRegistry[dataset]?.expected.splits.keys.sorted() ?? []) where splits[k] == nil {
            s += "  \(k): not read, \(issues.filter { $0.split == k }.count) problem(s)\n"
        }
        for id in identities { s += "  split file \(id)\n" }
        s += "verify-data \(dataset): " + (ok ? "OK" : "\(errors.count) problem(s)") + ", \(warnings.count) warning(s)\n"
        return s
    }

    public var markdown: String {
        var s = "### \(dataset) — \(ok ? "OK" : "\(errors.count) problem(s)")\n\nRoot: `\(root)`; data source: \(dataSource)\n\n"
        s += "| split | expected | found | classes (found / expected) | undecodable |\n|---|---:|---:|---:|---:|\n"
        for k in splits.keys.sorted() {
            let c = splits[k]!
            let exp = c.expected.map(String.init) ?? "—"
            let mark = c.expected.map { $0 == c.found ? "" : " ✗" } ?? ""
            s += "| \(k) | \(exp) | \(c.found)\(mark) | \(c.classesFound) / \(expectedClasses) | \(c.undecodable) |\n"
        }
        if !identities.isEmpty {
            s += "\nSplit files:\n\n" + identities.map { "- `\($0.file)`: \($0.verdict.rawValue)" }.joined(separator: "\n") + "\n"
        }
        if !issues.isEmpty {
            s += "\nProblems:\n\n" + issues.map { "- \($0)" }.joined(separator: "\n") + "\n"
        }
        return s
    }

    /// The `verify-data --json` document.
    public var jsonDocument: VerifyDataDocument {
        VerifyDataDocument(dataset: dataset, root: root, ok: ok, errors: errors.count, warnings: warnings.count,
                           dataSource: dataSource, labelMapping: labelMapping.rawValue, expectedClasses: expectedClasses,
                           splits: splits, splitFiles: identities, problems: issues)
    }

    /// Pretty-printed JSON with sorted keys (stable output).
    public var json: String {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? enc.encode(jsonDocument)) ?? Foundation.Data("{}".utf8), as: UTF8.self)
    }
}

/// Schema `vpt-bench/verify-data/1` (README "Checking a data tree"). Fields are only ever added.
public struct VerifyDataDocument: Codable, Sendable {
    public var schema = "vpt-bench/verify-data/1"
    public var dataset: String
    public var root: String
    /// False when `errors` > 0.
    public var ok: Bool
    public var errors: Int
    public var warnings: Int
    public var dataSource: String
    public var labelMapping: String
    public var expectedClasses: Int
    public var splits: [String: SplitCheck]
    public var splitFiles: [SplitIdentity]
    /// Every finding in the order found; `severity` is `error` or `warning`.
    public var problems: [DataProblem]
}

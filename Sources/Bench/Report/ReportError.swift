// Errors of the report, check and plot commands; each names the file or lists what was expected.
import Foundation

/// A report/check/plot problem, worded for the command line.
public enum ReportError: Error, CustomStringConvertible, Equatable {
    /// No paper table or baseline has this id; `known` lists those that do.
    case unknownTable(String, known: [String], searched: [String] = [])
    /// Two summaries claim the same (method, dataset, backbone, seed), e.g. under two benchmarks.
    case ambiguousRuns(String)
    /// A baseline file that cannot be used.
    case badBaseline(file: String, line: Int, message: String)

    public var description: String {
        switch self {
        case let .unknownTable(id, known, searched):
            let whereText = searched.isEmpty ? "" : " (searched \(searched.joined(separator: " and ")))"
            return "unknown table '\(id)'\(whereText); known tables: \(known.isEmpty ? "none" : known.joined(separator: ", "))"
        case let .ambiguousRuns(m): return m
        case let .badBaseline(file, line, message): return line > 0 ? "\(file):\(line): \(message)" : "\(file): \(message)"
        }
    }
}

/// Which of the two accuracies every run records a report shows (architecture.md, "Protocol honesty").
public enum Selection: String, CaseIterable, Sendable {
    /// The number the official code reports (some pick the best test epoch).
    case official
    /// A number chosen without test labels (last epoch or best validation epoch).
    case clean

    public func accuracy(_ s: RunSummary) -> SelectedAccuracy { self == .official ? s.official : s.clean }
}

/// Number formatting shared by the writers; fixed decimals and no locale so outputs are byte-stable.
enum Format {
    static func fixed(_ v: Double, _ decimals: Int) -> String {
        let s = String(format: "%.\(decimals)f", v)
        // "-0.0" would make golden files depend on the sign of a rounded zero.
        if s.hasPrefix("-"), Double(s) == 0 { return String(s.dropFirst()) }
        return s
    }
}

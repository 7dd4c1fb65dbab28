// Best / second-best marks per column, as the papers print them: the best value bold, the second-best distinct
// value underlined, ties sharing a mark (the same rule PaperTables' TableChecker verifies on printed tables).

/// A cell's mark in a Markdown table.
public enum Mark: String, Sendable, Equatable {
    case none, best, second

    /// Wraps displayed text: `**x**` (best), `<u>x</u>` (second best).
    public func apply(_ text: String) -> String {
        switch self {
        case .none: return text
        case .best: return "**\(text)**"
        case .second: return "<u>\(text)</u>"
        }
    }
}

/// Ranks displayed numbers of one column.
public enum Marker {
    /// Marks for `values` (nil = no number, never marked). Values are compared as displayed (callers pass numbers
    /// rounded to their printed decimals), so two cells that print the same share a mark.
    public static func marks(_ values: [Double?]) -> [Mark] {
        let distinct = Array(Set(values.compactMap { $0 })).sorted(by: >)
        return values.map { v in
            guard let v = v else { return .none }
            if v == distinct.first { return .best }
            if distinct.count > 1 && v == distinct[1] { return .second }
            return .none
        }
    }

    /// `v` rounded to `decimals` places the way `Format.fixed` prints it.
    public static func displayed(_ v: Double, decimals: Int) -> Double { Double(Format.fixed(v, decimals)) ?? v }
}

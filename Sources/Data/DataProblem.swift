// DataProblem: one finding about a dataset tree, naming the split file and its line (or JSON key). Readers
// collect every problem of a split file instead of stopping at the first, so `bench verify-data` and a
// refused `bench run` name all of them in one pass.

/// One problem (an error) or remark (a warning) about a dataset tree.
public struct DataProblem: Codable, Sendable, Equatable, CustomStringConvertible {
    public enum Severity: String, Codable, Sendable { case error, warning }
    /// Stable identifiers (part of the `verify-data --json` schema, README "Checking a data tree").
    public enum Kind: String, Codable, Sendable {
        case missingImage = "missing-image"
        case malformedLine = "malformed-line"
        case badLabel = "bad-label"
        case labelOutOfRange = "label-out-of-range"
        case duplicate
        case undecodable
        case countMismatch = "count-mismatch"
        case tooManyClasses = "too-many-classes"
        case classWithoutExample = "class-without-example"
        case emptySplit = "empty-split"
        case unreadable
        case splitIdentity = "split-identity"
    }
    public var severity: Severity
    public var kind: Kind
    /// The split this concerns (`train800`, `val`, …), when known.
    public var split: String?
    /// The split file (or image, when no split file names it).
    public var file: String
    /// 1-based line in `file`.
    public var line: Int?
    /// JSON key of the entry (FGVC split files).
    public var key: String?
    public var message: String

    public init(_ severity: Severity, _ kind: Kind, split: String? = nil, file: String, line: Int? = nil,
                key: String? = nil, _ message: String) {
        self.severity = severity; self.kind = kind; self.split = split; self.file = file; self.line = line
        self.key = key; self.message = message
    }
    /// An error.
    public init(_ kind: Kind, split: String? = nil, file: String, line: Int? = nil, key: String? = nil, _ message: String) {
        self.init(.error, kind, split: split, file: file, line: line, key: key, message)
    }

    enum CodingKeys: String, CodingKey { case severity, kind, split, file, line, key, message }
    /// Absent values are written as null, so every `--json` problem has every field.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(severity, forKey: .severity); try c.encode(kind, forKey: .kind); try c.encode(split, forKey: .split)
        try c.encode(file, forKey: .file); try c.encode(line, forKey: .line); try c.encode(key, forKey: .key)
        try c.encode(message, forKey: .message)
    }

    /// `file:line: message` (`warning: ` in front of warnings).
    public var description: String {
        let at = line.map { "\(file):\($0)" } ?? file
        let k = key.map { " \"\($0)\"" } ?? ""
        return (severity == .warning ? "warning: " : "") + "\(at):\(k) \(message)"
    }
}

extension DataProblem {
    /// A reader's thrown error as an `unreadable` problem, naming the file the error names.
    public init(unreadable error: Error, split: String?, fallbackFile: String) {
        switch error as? DataError {
        case let .missingFile(p)?: self.init(.unreadable, split: split, file: p, "expected file not found")
        case let .missingRoot(p)?: self.init(.unreadable, split: split, file: p, "folder does not exist")
        case let .format(f, reason)?: self.init(.unreadable, split: split, file: f, reason)
        case let .emptySplit(f)?: self.init(.emptySplit, split: split, file: f, "split is empty")
        default: self.init(.unreadable, split: split, file: fallbackFile, "\(error)")
        }
    }
}

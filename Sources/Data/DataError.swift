// DataError: every bad-input failure of the data layer, each naming the file (and line) at fault.

/// A data-layer failure; `description` is one line naming the file, what was expected and what was found.
public enum DataError: Error, CustomStringConvertible, Equatable {
    case missingRoot(path: String)
    case missingFile(path: String)
    case missingImage(path: String, listedIn: String, line: Int)
    case malformedLine(file: String, line: Int, text: String, expected: String)
    case labelOutOfRange(file: String, line: Int, label: Int, classes: Int)
    case emptySplit(file: String)
    case decode(path: String, reason: String)
    case format(file: String, reason: String)
    case unknownDataset(id: String)
    case badSplit(spec: String, reason: String)
    /// Every problem of a split file (readers collect them all before refusing it).
    case problems([DataProblem])

    public var description: String {
        switch self {
        case let .missingRoot(p): return "\(p): data root does not exist"
        case let .missingFile(p): return "\(p): expected file not found"
        case let .missingImage(p, list, line): return "\(list):\(line): image \(p) does not exist"
        case let .malformedLine(f, line, text, expected):
            return "\(f):\(line): malformed line \"\(text.prefix(80))\", expected \(expected)"
        case let .labelOutOfRange(f, line, label, classes):
            return "\(f):\(line): label \(label) outside 0..<\(classes)"
        case let .emptySplit(f): return "\(f): split is empty"
        case let .decode(p, reason): return "\(p): cannot decode image: \(reason)"
        case let .format(f, reason): return "\(f): \(reason)"
        case let .unknownDataset(id): return "unknown dataset id \"\(id)\""
        case let .badSplit(spec, reason): return "split \"\(spec)\": \(reason)"
        case let .problems(list):
            if list.count == 1 { return list[0].description }
            return "\(list.count) problems:\n" + list.map { "  \($0)" }.joined(separator: "\n")
        }
    }
}

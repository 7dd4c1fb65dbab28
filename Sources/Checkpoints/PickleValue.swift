import Foundation

/// A torch storage named by a pickle persistent id; its bytes live elsewhere in the container.
public struct TorchStorageRef: Sendable, Equatable {
    public var dtype: DType
    /// Archive member name (`data/<key>`) or legacy storage key.
    public var key: String
    public var location: String
    public var elementCount: Int
}

/// A decoded pickle value. Unknown classes and functions appear as `.global` / `.object` placeholders:
/// the reader never imports or calls anything, it only records what the pickle *asked* for.
public indirect enum PickleValue: Sendable {
    case none
    case bool(Bool)
    case int(Int64)
    /// An integer beyond Int64 (LONG1/LONG4), as little-endian two's-complement bytes.
    case bigInt([UInt8])
    case float(Double)
    case string(String)
    case bytes(Data)
    case list([PickleValue])
    case tuple([PickleValue])
    /// Insertion-ordered, like Python dicts and OrderedDict.
    case dict([(key: PickleValue, value: PickleValue)])
    /// A torch tensor rebuilt from its storage (always C-contiguous here).
    case tensor(StoredTensor)
    /// A numpy array or numpy scalar (shape []).
    case ndarray(StoredTensor)
    /// A storage reference that was not turned into a tensor.
    case storage(TorchStorageRef)
    /// A reference to a class or function that was never called.
    case global(module: String, name: String)
    /// An object the pickle wanted built by calling `module.name(*args)` then applying `state`; never executed.
    case object(module: String, name: String, args: [PickleValue], state: PickleValue?)

    /// Dict lookup by string key; also matches `bytes` keys (Python 2 pickles such as CIFAR's use them).
    public subscript(key: String) -> PickleValue? {
        guard case let .dict(items) = self else { return nil }
        for (k, v) in items {
            if case let .string(s) = k, s == key { return v }
            if case let .bytes(b) = k, b.elementsEqual(key.utf8) { return v }
        }
        return nil
    }

    public var intValue: Int64? {
        switch self {
        case let .int(v): return v
        case let .bool(b): return b ? 1 : 0
        default: return nil
        }
    }

    public var doubleValue: Double? {
        switch self {
        case let .float(v): return v
        case let .int(v): return Double(v)
        default: return nil
        }
    }

    public var stringValue: String? {
        switch self {
        case let .string(s): return s
        case let .bytes(b): return String(decoding: b, as: UTF8.self)
        default: return nil
        }
    }

    /// Elements of a list or tuple.
    public var items: [PickleValue]? {
        switch self {
        case let .list(v), let .tuple(v): return v
        default: return nil
        }
    }

    /// The tensor carried by `.tensor` or `.ndarray`.
    public var storedTensor: StoredTensor? {
        switch self {
        case let .tensor(t), let .ndarray(t): return t
        default: return nil
        }
    }

    /// `module.name` of the first opaque object or global reachable from here, if any.
    public var firstOpaque: String? {
        switch self {
        case let .global(m, n), let .object(m, n, _, _): return "\(m).\(n)"
        case let .list(v), let .tuple(v): return v.lazy.compactMap(\.firstOpaque).first
        case let .dict(items): return items.lazy.compactMap { $0.key.firstOpaque ?? $0.value.firstOpaque }.first
        default: return nil
        }
    }

    /// A short human-readable rendering for metadata summaries and error messages.
    public var shortDescription: String {
        switch self {
        case .none: return "None"
        case let .bool(b): return b ? "True" : "False"
        case let .int(v): return String(v)
        case let .bigInt(b): return "<\(b.count * 8)-bit int>"
        case let .float(v): return String(v)
        case let .string(s): return s.count > 120 ? String(s.prefix(120)) + "…" : s
        case let .bytes(b): return "<\(b.count) bytes>"
        case let .list(v), let .tuple(v):
            if v.count <= 8 { return "[" + v.map(\.shortDescription).joined(separator: ", ") + "]" }
            return "<sequence of \(v.count)>"
        case let .dict(items): return "<dict of \(items.count)>"
        case let .tensor(t): return "tensor \(t.dtype.rawValue)\(t.shape)"
        case let .ndarray(t): return "ndarray \(t.dtype.rawValue)\(t.shape)"
        case let .storage(s): return "storage \(s.dtype.rawValue)[\(s.elementCount)]"
        case let .global(m, n): return "\(m).\(n)"
        case let .object(m, n, _, _): return "\(m).\(n)(…) (opaque, not executed)"
        }
    }
}

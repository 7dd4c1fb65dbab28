// A small JSON reader that keeps object key order and the line of every value. Needed where the
// official loaders depend on file order (Food-101 `meta/train.json`: `dict.items()` order decides the
// list that `random.shuffle` permutes) and to name the line of a bad entry in split files.
// Foundation's JSONSerialization loses both.

/// A parsed JSON value with the 1-based line it starts on.
public indirect enum JSONNode: Sendable {
    case object([(key: String, value: JSONNode)], line: Int)
    case array([JSONNode], line: Int)
    case string(String, line: Int)
    case number(Double, line: Int)
    case bool(Bool, line: Int)
    case null(line: Int)

    public var line: Int {
        switch self {
        case let .object(_, l), let .array(_, l), let .string(_, l), let .number(_, l), let .bool(_, l): return l
        case let .null(l): return l
        }
    }
    /// Value of `key` in an object (first match).
    public subscript(key: String) -> JSONNode? {
        guard case let .object(items, _) = self else { return nil }
        return items.first { $0.key == key }?.value
    }
    public var arrayValue: [JSONNode]? { if case let .array(a, _) = self { return a } else { return nil } }
    public var stringValue: String? { if case let .string(s, _) = self { return s } else { return nil } }
    /// An integral number as Int.
    public var intValue: Int? {
        guard case let .number(d, _) = self, d == d.rounded(), abs(d) < 1e15 else { return nil }
        return Int(d)
    }
}

/// Parses JSON text; errors are `DataError.format` naming `file` and the line.
public func parseOrderedJSON(_ bytes: [UInt8], file: String) throws -> JSONNode {
    var p = JSONParser(b: bytes, file: file)
    p.skipWS()
    let v = try p.value(depth: 0)
    p.skipWS()
    if p.pos != bytes.count { throw p.fail("unexpected text after the JSON value") }
    return v
}

private struct JSONParser {
    let b: [UInt8]
    let file: String
    var pos = 0
    var line = 1

    func fail(_ what: String) -> DataError { DataError.format(file: file, reason: "line \(line): invalid JSON: \(what)") }

    mutating func skipWS() {
        while pos < b.count, b[pos] == 32 || b[pos] == 9 || b[pos] == 10 || b[pos] == 13 {
            if b[pos] == 10 { line += 1 }
            pos += 1
        }
    }

    mutating func value(depth: Int) throws -> JSONNode {
        guard depth < 512 else { throw fail("nesting deeper than 512") }
        guard pos < b.count else { throw fail("unexpected end of file") }
        let l = line
        switch b[pos] {
        case UInt8(ascii: "{"):
            pos += 1; skipWS()
            var items: [(key: String, value: JSONNode)] = []
            if pos < b.count, b[pos] == UInt8(ascii: "}") { pos += 1; return .object(items, line: l) }
            while true {
                skipWS()
                guard pos < b.count, b[pos] == UInt8(ascii: "\"") else { throw fail("expected a string key") }
                let k = try string()
                skipWS()
                guard pos < b.count, b[pos] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                pos += 1; skipWS()
                items.append((k, try value(depth: depth + 1)))
                skipWS()
                guard pos < b.count else { throw fail("unexpected end of file in an object") }
                if b[pos] == UInt8(ascii: ",") { pos += 1; continue }
                if b[pos] == UInt8(ascii: "}") { pos += 1; return .object(items, line: l) }
                throw fail("expected ',' or '}'")
            }
        case UInt8(ascii: "["):
            pos += 1; skipWS()
            var items: [JSONNode] = []
            if pos < b.count, b[pos] == UInt8(ascii: "]") { pos += 1; return .array(items, line: l) }
            while true {
                skipWS()
                items.append(try value(depth: depth + 1))
                skipWS()
                guard pos < b.count else { throw fail("unexpected end of file in an array") }
                if b[pos] == UInt8(ascii: ",") { pos += 1; continue }
                if b[pos] == UInt8(ascii: "]") { pos += 1; return .array(items, line: l) }
                throw fail("expected ',' or ']'")
            }
        case UInt8(ascii: "\""):
            return .string(try string(), line: l)
        case UInt8(ascii: "t"): try literal("true"); return .bool(true, line: l)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false, line: l)
        case UInt8(ascii: "n"): try literal("null"); return .null(line: l)
        default:
            let start = pos
            while pos < b.count, let c = Optional(b[pos]), (c >= 48 && c <= 57) || c == 45 || c == 43 || c == 46 || c == 101 || c == 69 { pos += 1 }
            guard pos > start, let d = Double(String(decoding: b[start..<pos], as: UTF8.self)) else { throw fail("expected a value") }
            return .number(d, line: l)
        }
    }

    mutating func literal(_ s: String) throws {
        let u = Array(s.utf8)
        guard pos + u.count <= b.count, Array(b[pos..<(pos + u.count)]) == u else { throw fail("expected \(s)") }
        pos += u.count
    }

    mutating func string() throws -> String {
        pos += 1 // opening quote
        var out: [UInt8] = []
        while true {
            guard pos < b.count else { throw fail("unterminated string") }
            let c = b[pos]; pos += 1
            if c == UInt8(ascii: "\"") { break }
            if c == 10 { throw fail("newline inside a string") }
            if c != UInt8(ascii: "\\") { out.append(c); continue }
            guard pos < b.count else { throw fail("unterminated escape") }
            let e = b[pos]; pos += 1
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
            case UInt8(ascii: "b"): out.append(8)
            case UInt8(ascii: "f"): out.append(12)
            case UInt8(ascii: "n"): out.append(10)
            case UInt8(ascii: "r"): out.append(13)
            case UInt8(ascii: "t"): out.append(9)
            case UInt8(ascii: "u"):
                var cp = try hex4()
                if (0xD800..<0xDC00).contains(cp) {
                    guard pos + 2 <= b.count, b[pos] == UInt8(ascii: "\\"), b[pos + 1] == UInt8(ascii: "u") else { throw fail("lone surrogate") }
                    pos += 2
                    let lo = try hex4()
                    guard (0xDC00..<0xE000).contains(lo) else { throw fail("bad surrogate pair") }
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00)
                }
                guard let s = Unicode.Scalar(cp) else { throw fail("bad \\u escape") }
                out.append(contentsOf: Array(String(Character(s)).utf8))
            default: throw fail("bad escape \\\(Character(Unicode.Scalar(e)))")
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    mutating func hex4() throws -> UInt32 {
        guard pos + 4 <= b.count, let v = UInt32(String(decoding: b[pos..<(pos + 4)], as: UTF8.self), radix: 16) else { throw fail("bad \\u escape") }
        pos += 4
        return v
    }
}

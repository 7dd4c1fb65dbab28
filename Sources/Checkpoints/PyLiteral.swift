import Foundation

/// The tiny subset of Python literal syntax an `.npy` header uses: dicts, tuples, lists, quoted strings,
/// integers, True/False/None. Parsed by hand so a header is never evaluated, only read.
indirect enum PyLiteral: Equatable {
    case dict([(String, PyLiteral)])
    case tuple([PyLiteral])
    case string(String)
    case int(Int)
    case bool(Bool)
    case none

    static func == (a: PyLiteral, b: PyLiteral) -> Bool {
        switch (a, b) {
        case let (.tuple(x), .tuple(y)): return x == y
        case let (.string(x), .string(y)): return x == y
        case let (.int(x), .int(y)): return x == y
        case let (.bool(x), .bool(y)): return x == y
        case (.none, .none): return true
        case let (.dict(x), .dict(y)): return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    /// Parses `text` fully (trailing whitespace allowed); `file` is only for error messages.
    static func parse(_ text: [UInt8], file: String) throws -> PyLiteral {
        var p = Parser(s: text, i: 0, file: file)
        let v = try p.value(depth: 0)
        p.skipSpace()
        guard p.i == text.count else { throw p.fail("end of header") }
        return v
    }

    private struct Parser {
        let s: [UInt8]
        var i: Int
        let file: String

        func fail(_ expected: String) -> CheckpointError {
            let found = i < s.count ? String(decoding: s[i..<min(s.count, i + 20)], as: UTF8.self) : "end of header"
            return CheckpointError(.badHeader, file: file, "npy header: expected \(expected) at character \(i), found '\(found)'")
        }

        mutating func skipSpace() {
            while i < s.count, s[i] == 0x20 || s[i] == 0x0A || s[i] == 0x09 || s[i] == 0x0D { i += 1 }
        }

        mutating func eat(_ c: UInt8) -> Bool {
            skipSpace()
            if i < s.count, s[i] == c { i += 1; return true }
            return false
        }

        mutating func value(depth: Int) throws -> PyLiteral {
            guard depth < 32 else { throw fail("less deeply nested value") }
            skipSpace()
            guard i < s.count else { throw fail("a value") }
            let c = s[i]
            switch c {
            case UInt8(ascii: "{"):
                i += 1
                var items: [(String, PyLiteral)] = []
                while !eat(UInt8(ascii: "}")) {
                    guard case let .string(k) = try value(depth: depth + 1) else { throw fail("a string key") }
                    guard eat(UInt8(ascii: ":")) else { throw fail("':'") }
                    items.append((k, try value(depth: depth + 1)))
                    if eat(UInt8(ascii: "}")) { break }
                    guard eat(UInt8(ascii: ",")) else { throw fail("',' or '}'") }
                }
                return .dict(items)
            case UInt8(ascii: "("), UInt8(ascii: "["):
                let close = c == UInt8(ascii: "(") ? UInt8(ascii: ")") : UInt8(ascii: "]")
                i += 1
                var items: [PyLiteral] = []
                while !eat(close) {
                    items.append(try value(depth: depth + 1))
                    if eat(close) { break }
                    guard eat(UInt8(ascii: ",")) else { throw fail("',' or '\(Character(UnicodeScalar(close)))'") }
                }
                return .tuple(items)
            case UInt8(ascii: "'"), UInt8(ascii: "\""):
                i += 1
                let start = i
                while i < s.count, s[i] != c {
                    guard s[i] != UInt8(ascii: "\\") else { throw fail("a string without escapes") }
                    i += 1
                }
                guard i < s.count else { throw fail("closing quote") }
                let str = String(decoding: s[start..<i], as: UTF8.self)
                i += 1
                return .string(str)
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"):
                let start = i
                i += 1
                while i < s.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(s[i]) { i += 1 }
                // numpy may write Python 2 longs as `3L`.
                if i < s.count, s[i] == UInt8(ascii: "L") { i += 1 }
                let digits = String(decoding: s[start..<i], as: UTF8.self).replacingOccurrences(of: "L", with: "")
                guard let v = Int(digits) else { throw fail("an integer that fits in 64 bits") }
                return .int(v)
            default:
                for (word, v) in [("True", PyLiteral.bool(true)), ("False", .bool(false)), ("None", .none)] {
                    let w = Array(word.utf8)
                    if i + w.count <= s.count, Array(s[i..<(i + w.count)]) == w { i += w.count; return v }
                }
                throw fail("a Python literal")
            }
        }
    }
}

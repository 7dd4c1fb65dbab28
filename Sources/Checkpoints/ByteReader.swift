import Foundation

/// Bounds-checked little-endian cursor over file bytes. Every read checks the remaining length first, so
/// a truncated or hostile file yields a `CheckpointError(.truncated)` instead of a crash.
struct ByteReader {
    let data: Data
    let file: String
    /// Offset from the start of `data` (not `data.startIndex`, which differs for slices).
    var offset: Int = 0

    init(_ data: Data, file: String, offset: Int = 0) {
        self.data = data
        self.file = file
        self.offset = offset
    }

    var remaining: Int { data.count - offset }
    var atEnd: Bool { offset >= data.count }

    mutating func need(_ n: Int, _ what: @autoclosure () -> String) throws {
        guard n >= 0, n <= remaining else {
            throw CheckpointError(.truncated, file: file,
                                  "expected \(n) bytes of \(what()) at byte offset \(offset), found \(max(remaining, 0)) (file truncated?)")
        }
    }

    mutating func u8(_ what: @autoclosure () -> String = "data") throws -> UInt8 {
        try need(1, what())
        defer { offset += 1 }
        return data[data.startIndex + offset]
    }

    /// Reads `n` bytes as a Data slice (no copy).
    mutating func bytes(_ n: Int, _ what: @autoclosure () -> String = "data") throws -> Data {
        try need(n, what())
        let start = data.startIndex + offset
        offset += n
        return data[start..<(start + n)]
    }

    mutating func uintLE(_ size: Int, _ what: @autoclosure () -> String = "integer") throws -> UInt64 {
        try need(size, what())
        var v: UInt64 = 0
        let base = data.startIndex + offset
        for i in 0..<size { v |= UInt64(data[base + i]) << (8 * UInt64(i)) }
        offset += size
        return v
    }

    mutating func u16(_ what: @autoclosure () -> String = "u16") throws -> UInt16 { UInt16(try uintLE(2, what())) }
    mutating func u32(_ what: @autoclosure () -> String = "u32") throws -> UInt32 { UInt32(try uintLE(4, what())) }
    mutating func u64(_ what: @autoclosure () -> String = "u64") throws -> UInt64 { try uintLE(8, what()) }
    mutating func i32(_ what: @autoclosure () -> String = "i32") throws -> Int32 { Int32(bitPattern: try u32(what())) }

    /// Big-endian double (pickle's BINFLOAT).
    mutating func f64BE(_ what: @autoclosure () -> String = "float") throws -> Double {
        try need(8, what())
        var v: UInt64 = 0
        let base = data.startIndex + offset
        for i in 0..<8 { v = v << 8 | UInt64(data[base + i]) }
        offset += 8
        return Double(bitPattern: v)
    }

    /// Bytes up to (not including) the next newline, consuming the newline (pickle GLOBAL operands).
    mutating func line(_ what: @autoclosure () -> String, limit: Int = 4096) throws -> Data {
        let start = offset
        while true {
            let b = try u8(what())
            if b == 0x0A { return data[(data.startIndex + start)..<(data.startIndex + offset - 1)] }
            guard offset - start < limit else {
                throw CheckpointError(.malformed, file: file, "expected a newline-terminated \(what()) within \(limit) bytes at offset \(start)")
            }
        }
    }
}

extension Data {
    /// The first `n` bytes as lowercase hex, for "found ..." in error messages.
    func hexPrefix(_ n: Int) -> String {
        prefix(n).map { String(format: "%02x", $0) }.joined(separator: " ")
    }
}

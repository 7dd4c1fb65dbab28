// CSV reading and writing over libcsv (RFC 4180 quoting). This is the project's only CSV code:
// other layers read and write CSV through `CSVReader` / `CSVWriter`.
import CCSV
import Foundation

/// A CSV problem, naming the file and the 1-based line where it was found.
public struct CSVError: Error, CustomStringConvertible, Equatable {
    public let file: String
    public let line: Int
    public let message: String
    public init(file: String, line: Int, message: String) {
        self.file = file; self.line = line; self.message = message
    }
    public var description: String { "\(file):\(line): \(message)" }
}

/// One parsed record: its fields and the physical lines it spans (a quoted field may hold newlines).
public struct CSVRecord: Equatable {
    public var fields: [String]
    public var line: Int
    public var endLine: Int
}

/// Parser state shared with libcsv's C callbacks through the opaque `data` pointer.
private final class ParseContext {
    var field: [UInt8] = []
    var current: [String] = []
    var records: [CSVRecord] = []
    var recordStartLine = 1
    var currentLine = 1
}

private let fieldCallback: @convention(c) (UnsafeMutableRawPointer?, Int, UnsafeMutableRawPointer?) -> Void = { ptr, len, data in
    let ctx = Unmanaged<ParseContext>.fromOpaque(data!).takeUnretainedValue()
    if let ptr = ptr, len > 0 {
        let buf = UnsafeBufferPointer(start: ptr.assumingMemoryBound(to: UInt8.self), count: len)
        ctx.current.append(String(decoding: buf, as: UTF8.self))
    } else {
        ctx.current.append("")
    }
}

private let recordCallback: @convention(c) (Int32, UnsafeMutableRawPointer?) -> Void = { _, data in
    let ctx = Unmanaged<ParseContext>.fromOpaque(data!).takeUnretainedValue()
    ctx.records.append(CSVRecord(fields: ctx.current, line: ctx.recordStartLine, endLine: ctx.currentLine))
    ctx.current = []
}

/// Reads CSV text into records with libcsv in strict mode.
///
/// Input is fed to libcsv one physical line at a time so that every record knows the line it
/// starts on; a line fed while the parser is between records starts the next record.
/// With `expectedFieldCount` (or `header: true`, which takes the first record's width) every
/// record must have that many fields, otherwise the error names the record's line.
public enum CSVReader {
    /// `delimiter` is the field separator byte (`;` for GTSRB's `GT-final_test.csv`).
    public static func parse(_ text: String, file: String = "<string>", delimiter: UInt8 = UInt8(ascii: ",")) throws -> [CSVRecord] {
        var p = csv_parser()
        guard csv_init(&p, UInt8(CSV_STRICT | CSV_STRICT_FINI)) == 0 else {
            throw CSVError(file: file, line: 0, message: "libcsv could not initialise")
        }
        defer { csv_free(&p) }
        csv_set_delim(&p, delimiter)
        let ctx = ParseContext()
        let data = Unmanaged.passUnretained(ctx).toOpaque()
        let bytes = Array(text.utf8)
        var start = 0
        var line = 1
        while start < bytes.count {
            var end = start
            while end < bytes.count && bytes[end] != 0x0A { end += 1 }
            if end < bytes.count { end += 1 }  // include the newline
            ctx.currentLine = line
            if p.pstate == 0 { ctx.recordStartLine = line }  // ROW_NOT_BEGUN
            let n = bytes[start..<end].withUnsafeBufferPointer { buf in
                csv_parse(&p, buf.baseAddress, buf.count, fieldCallback, recordCallback, data)
            }
            if n != end - start {
                let reason = String(cString: csv_strerror(csv_error(&p)))
                throw CSVError(file: file, line: line, message: "malformed CSV (\(reason)): a quote inside an unquoted field or text after a closing quote")
            }
            start = end
            line += 1
        }
        ctx.currentLine = max(1, line - (bytes.last == 0x0A ? 1 : 0))
        if csv_fini(&p, fieldCallback, recordCallback, data) != 0 {
            throw CSVError(file: file, line: ctx.recordStartLine, message: "malformed CSV: a quoted field is not closed before the end of the file")
        }
        return ctx.records
    }

    /// Parses and checks that every record has `expectedFieldCount` fields.
    public static func parse(_ text: String, file: String, expectedFieldCount: Int) throws -> [CSVRecord] {
        let records = try parse(text, file: file)
        for r in records where r.fields.count != expectedFieldCount {
            throw CSVError(file: file, line: r.line, message: "expected \(expectedFieldCount) fields, found \(r.fields.count)")
        }
        return records
    }

    /// Reads a file with a header row; returns the header and the data records (all of header width).
    public static func read(file path: String, delimiter: UInt8 = UInt8(ascii: ",")) throws -> (header: [String], records: [CSVRecord]) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CSVError(file: path, line: 0, message: "cannot read file")
        }
        let text = String(decoding: data, as: UTF8.self)
        let all = try parse(text, file: path, delimiter: delimiter)
        guard let first = all.first else { throw CSVError(file: path, line: 1, message: "expected a header row, found an empty file") }
        for r in all.dropFirst() where r.fields.count != first.fields.count {
            throw CSVError(file: path, line: r.line, message: "expected \(first.fields.count) fields, found \(r.fields.count)")
        }
        return (first.fields, Array(all.dropFirst()))
    }
}

/// Writes CSV text; fields are quoted (by libcsv's `csv_write`) only when they need it.
public enum CSVWriter {
    public static func quote(_ field: String) -> String {
        let needs = field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
            || field.first == " " || field.last == " "
        guard needs else { return field }
        let src = Array(field.utf8)
        let size = csv_write(nil, 0, src, src.count)  // size needed, quotes included
        var dest = [UInt8](repeating: 0, count: size)
        _ = csv_write(&dest, size, src, src.count)
        return String(decoding: dest, as: UTF8.self)
    }

    public static func line(_ fields: [String]) -> String {
        fields.map(quote).joined(separator: ",")
    }

    public static func text(header: [String]?, rows: [[String]]) -> String {
        var out = ""
        if let h = header { out += line(h) + "\n" }
        for r in rows { out += line(r) + "\n" }
        return out
    }

    public static func write(header: [String]?, rows: [[String]], to path: String) throws {
        try text(header: header, rows: rows).write(toFile: path, atomically: true, encoding: .utf8)
    }
}

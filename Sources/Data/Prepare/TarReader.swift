// A streaming reader for the tar archives the datasets' sites distribute (.tar, .tar.gz / .tgz):
// ustar (name + prefix), GNU long names ('L'), pax extended headers ('x' path/size). Our own reader
// rather than the system `tar`, so every error names the archive and the member at fault.
// gzip is read through zlib's gzread (CCodecs), which passes plain .tar files through unchanged.

import CCodecs
import Foundation

/// One member of a tar archive, as its header describes it.
public struct TarMember: Sendable {
    public enum Kind: Sendable { case file, directory, link, other }
    public var name: String
    public var size: Int
    public var kind: Kind
}

/// Buffered reads from a (possibly gzip-compressed) file.
final class GzipStream {
    let path: String
    private let handle: UnsafeMutableRawPointer
    private var buf = [UInt8](repeating: 0, count: 1 << 20)
    private var start = 0, end = 0
    /// Bytes of uncompressed data consumed so far (named in errors).
    private(set) var offset = 0

    init(path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else { throw DataError.missingFile(path: path) }
        guard let h = ccodecs_gz_open(path) else { throw DataError.format(file: path, reason: "cannot open") }
        self.path = path; handle = h
    }
    deinit { ccodecs_gz_close(handle) }

    /// Refills the buffer; false at the end of the data.
    private func fill(_ context: String) throws -> Bool {
        var msg = [CChar](repeating: 0, count: 256)
        let n = buf.withUnsafeMutableBufferPointer { ccodecs_gz_read(handle, $0.baseAddress!, UInt32($0.count), &msg) }
        if n < 0 { throw DataError.format(file: path, reason: "\(context): \(String(cString: msg)) (at uncompressed byte \(offset))") }
        start = 0; end = n
        return n > 0
    }

    /// Hands the next `count` bytes to `body` in chunks; throws naming `context` if the data ends early.
    func read(_ count: Int, context: String, _ body: (UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        var left = count
        while left > 0 {
            if start == end, try !fill(context) {
                throw DataError.format(file: path, reason: "\(context): archive ends \(left) bytes early (truncated download?)")
            }
            let k = min(left, end - start)
            try buf.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[start..<(start + k)])) }
            start += k; left -= k; offset += k
        }
    }

    func bytes(_ count: Int, context: String) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(count)
        try read(count, context: context) { out.append(contentsOf: $0) }
        return out
    }

    /// True if no data is left (a tar archive may end without its two zero blocks).
    func atEnd(context: String) throws -> Bool { start == end ? try !fill(context) : false }
}

/// Reads a tar archive member by member. `body` gets each member and a function that streams its
/// content to a file; content it does not take is skipped.
public func forEachTarMember(_ path: String,
                             _ body: (TarMember, _ writeTo: (String) throws -> Void) throws -> Void) throws {
    let s = try GzipStream(path: path)
    var longName: String? = nil, paxPath: String? = nil, paxSize: Int? = nil
    var previous = "start of the archive"
    while true {
        let at = s.offset
        if try s.atEnd(context: "header at byte \(at), after member \"\(previous)\"") { return }
        let h = try s.bytes(512, context: "header at byte \(at), after member \"\(previous)\"")
        if h.allSatisfy({ $0 == 0 }) { return }
        func text(_ r: Range<Int>) -> String {
            let f = h[r]
            return String(decoding: f.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        func octal(_ r: Range<Int>) -> Int? {
            if h[r.lowerBound] & 0x80 != 0 { // GNU base-256 for sizes ≥ 8 GiB
                return h[(r.lowerBound + 1)..<r.upperBound].reduce(0) { $0 << 8 | Int($1) }
            }
            let t = text(r).trimmingCharacters(in: CharacterSet(charactersIn: " \0"))
            return t.isEmpty ? 0 : Int(t, radix: 8)
        }
        let sum = h.enumerated().reduce(0) { $0 + ((148..<156).contains($1.offset) ? 32 : Int($1.element)) }
        guard let stored = octal(148..<156), stored == sum else {
            throw DataError.format(file: path, reason: "header at byte \(at), after member \"\(previous)\": bad checksum (corrupt download, or not a tar archive)")
        }
        var name = longName ?? paxPath ?? text(0..<100)
        if longName == nil, paxPath == nil, text(257..<263) == "ustar", !text(345..<500).isEmpty {
            name = text(345..<500) + "/" + name
        }
        guard let size0 = octal(124..<136) else { throw DataError.format(file: path, reason: "member \"\(name)\": bad size field") }
        let size = paxSize ?? size0
        let type = h[156]
        let padded = (size + 511) / 512 * 512
        let context = "member \"\(name)\""
        switch type {
        case UInt8(ascii: "L"), UInt8(ascii: "x"):
            let data = try s.bytes(size, context: context)
            try s.read(padded - size, context: context) { _ in }
            if type == UInt8(ascii: "L") {
                longName = String(decoding: data.prefix(while: { $0 != 0 }), as: UTF8.self)
            } else {
                for (k, v) in parsePax(data) {
                    if k == "path" { paxPath = v } else if k == "size" { paxSize = Int(v) }
                }
            }
            continue
        default: break
        }
        longName = nil; paxPath = nil; paxSize = nil
        previous = name
        let kind: TarMember.Kind
        switch type {
        case 0, UInt8(ascii: "0"), UInt8(ascii: "7"): kind = .file
        case UInt8(ascii: "5"): kind = .directory
        case UInt8(ascii: "1"), UInt8(ascii: "2"): kind = .link
        default: kind = .other // 'g' global pax header, 'K' long link name, devices, ...
        }
        var taken = false
        try body(TarMember(name: name, size: kind == .file ? size : 0, kind: kind)) { dest in
            precondition(!taken && kind == .file, "content of a tar member is taken once, for files only")
            taken = true
            guard FileManager.default.createFile(atPath: dest, contents: nil), let out = FileHandle(forWritingAtPath: dest) else {
                throw DataError.format(file: dest, reason: "cannot create (extracting \(context) of \(path))")
            }
            defer { try? out.close() }
            try s.read(size, context: context) { try out.write(contentsOf: Data(buffer: $0)) }
        }
        try s.read((taken ? 0 : size) + padded - size, context: context) { _ in }
    }
}

/// pax records "<len> <key>=<value>\n".
private func parsePax(_ data: [UInt8]) -> [(String, String)] {
    String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap { rec in
        guard let sp = rec.firstIndex(of: " "), let eq = rec[sp...].firstIndex(of: "=") else { return nil }
        return (String(rec[rec.index(after: sp)..<eq]), String(rec[rec.index(after: eq)...]))
    }
}

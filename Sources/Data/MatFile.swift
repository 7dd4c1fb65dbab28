// MATLAB v5 .mat reader (SVHN train_32x32.mat, Flowers-102 imagelabels.mat / setid.mat): numeric
// miMATRIX arrays, plain or zlib-compressed (miCOMPRESSED, inflated through the C shim's zlib).
// Layout: 128-byte header ('IM' = little endian), then tagged elements padded to 8 bytes; a tag whose
// upper 16 bits are non-zero is the "small element" form (size in the upper half, data in the tag).

import CCodecs
import Foundation

/// One numeric array from a .mat file: column-major values (MATLAB order), raw element bytes.
public struct MatArray: Sendable {
    public var name: String
    public var dims: [Int]
    /// MATLAB data type of the real part (2 = miUINT8, 4 = miUINT16, 6 = miUINT32, 9 = miDOUBLE, ...).
    public var type: Int
    public var raw: [UInt8]

    /// Values as Int (column-major). Supports the integer and double types.
    public func ints() -> [Int] {
        raw.withUnsafeBytes { p -> [Int] in
            switch type {
            case 1: return p.bindMemory(to: Int8.self).map(Int.init)
            case 2: return p.map(Int.init)
            case 3: return (0..<(p.count / 2)).map { Int(p.loadUnaligned(fromByteOffset: 2 * $0, as: Int16.self)) }
            case 4: return (0..<(p.count / 2)).map { Int(p.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self)) }
            case 5: return (0..<(p.count / 4)).map { Int(p.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self)) }
            case 6: return (0..<(p.count / 4)).map { Int(p.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self)) }
            case 9: return (0..<(p.count / 8)).map { Int(p.loadUnaligned(fromByteOffset: 8 * $0, as: Double.self)) }
            default: return []
            }
        }
    }
}

/// Reads every numeric array of a MATLAB v5 file (little-endian files only).
public func readMatFile(_ path: String) throws -> [String: MatArray] {
    guard let d = FileManager.default.contents(atPath: path) else { throw DataError.missingFile(path: path) }
    let b = [UInt8](d)
    guard b.count >= 128 else { throw DataError.format(file: path, reason: "shorter than the 128-byte MAT header") }
    guard b[126] == UInt8(ascii: "I"), b[127] == UInt8(ascii: "M") else {
        throw DataError.format(file: path, reason: "not a little-endian MATLAB v5 file (endian indicator)")
    }
    var out: [String: MatArray] = [:]
    try parseMatElements(b, 128..<b.count, path, &out)
    return out
}

private func u32(_ b: [UInt8], _ at: Int) -> Int {
    Int(b[at]) | Int(b[at + 1]) << 8 | Int(b[at + 2]) << 16 | Int(b[at + 3]) << 24
}

/// Splits a range into (type, payload range) elements.
private func matElements(_ b: [UInt8], _ r: Range<Int>, _ path: String) throws -> [(Int, Range<Int>)] {
    var pos = r.lowerBound, out: [(Int, Range<Int>)] = []
    while pos + 8 <= r.upperBound {
        let t = u32(b, pos)
        if t >> 16 != 0 { // small data element
            out.append((t & 0xFFFF, (pos + 4)..<(pos + 4 + (t >> 16))))
            pos += 8
            continue
        }
        let n = u32(b, pos + 4)
        guard pos + 8 + n <= r.upperBound else { throw DataError.format(file: path, reason: "truncated element at byte \(pos)") }
        out.append((t, (pos + 8)..<(pos + 8 + n)))
        pos += 8 + (t == 15 ? n : (n + 7) / 8 * 8)
    }
    return out
}

private func parseMatElements(_ b: [UInt8], _ r: Range<Int>, _ path: String, _ out: inout [String: MatArray]) throws {
    for (type, range) in try matElements(b, r, path) {
        if type == 15 { // miCOMPRESSED: a zlib stream holding one element
            var buf: UnsafeMutablePointer<UInt8>? = nil
            var n = 0
            var msg = [CChar](repeating: 0, count: 256)
            let ok = b.withUnsafeBufferPointer { p in
                ccodecs_inflate(p.baseAddress! + range.lowerBound, range.count, &buf, &n, &msg)
            }
            guard ok == 1, let ptr = buf else {
                throw DataError.format(file: path, reason: String(cString: msg))
            }
            let inner = Array(UnsafeBufferPointer(start: ptr, count: n))
            ccodecs_free(ptr)
            try parseMatElements(inner, 0..<inner.count, path, &out)
        } else if type == 14 { // miMATRIX: flags, dims, name, real part
            let sub = try matElements(b, range, path)
            guard sub.count >= 4 else { continue }
            let cls = Int(b[sub[0].1.lowerBound])
            guard (6...15).contains(cls) else { continue } // numeric classes only (cells/structs/chars skipped)
            let dims = stride(from: sub[1].1.lowerBound, to: sub[1].1.upperBound, by: 4).map { u32(b, $0) }
            let name = String(decoding: b[sub[2].1], as: UTF8.self)
            out[name] = MatArray(name: name, dims: dims, type: sub[3].0, raw: Array(b[sub[3].1]))
        }
    }
}

// TFRecord files and `tf.train.Example` protos (how TFDS stores VTAB for VPT/E2VPT/DAM-VP).
// Record framing: uint64 length, uint32 masked CRC32C(length bytes), data, uint32 masked CRC32C(data);
// mask(c) = ((c >> 15) | (c << 17)) + 0xa282ead8. Both CRCs are verified.

import Foundation

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), table-driven.
enum CRC32C {
    static let table: [UInt32] = (0..<256).map { i -> UInt32 in
        var c = UInt32(i)
        for _ in 0..<8 { c = (c & 1) != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
        return c
    }
    static func checksum(_ p: UnsafeRawBufferPointer) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in p { c = table[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }
    static func masked(_ p: UnsafeRawBufferPointer) -> UInt32 {
        let c = checksum(p)
        return ((c >> 15) | (c << 17)) &+ 0xA282_EAD8
    }
}

/// Record boundaries of one TFRecord file (byte ranges of the payloads), CRC-checked.
public struct TFRecordFile: Sendable {
    public let path: String
    public let bytes: Foundation.Data
    public let records: [Range<Int>]

    public init(path: String) throws {
        guard let d = try? Foundation.Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) else {
            throw DataError.missingFile(path: path)
        }
        bytes = d
        self.path = path
        var recs: [Range<Int>] = []
        try d.withUnsafeBytes { (p: UnsafeRawBufferPointer) in
            var pos = 0
            func u32(_ at: Int) -> UInt32 { UInt32(littleEndian: p.loadUnaligned(fromByteOffset: at, as: UInt32.self)) }
            while pos < p.count {
                guard pos + 12 <= p.count else { throw DataError.format(file: path, reason: "truncated record header at byte \(pos)") }
                let len = Int(UInt64(littleEndian: p.loadUnaligned(fromByteOffset: pos, as: UInt64.self)))
                if CRC32C.masked(UnsafeRawBufferPointer(rebasing: p[pos..<(pos + 8)])) != u32(pos + 8) {
                    throw DataError.format(file: path, reason: "length CRC mismatch in record \(recs.count) at byte \(pos)")
                }
                let start = pos + 12
                guard len >= 0, start + len + 4 <= p.count else {
                    throw DataError.format(file: path, reason: "truncated record \(recs.count) at byte \(pos)")
                }
                if CRC32C.masked(UnsafeRawBufferPointer(rebasing: p[start..<(start + len)])) != u32(start + len) {
                    throw DataError.format(file: path, reason: "data CRC mismatch in record \(recs.count) at byte \(pos)")
                }
                recs.append(start..<(start + len))
                pos = start + len + 4
            }
        }
        records = recs
    }

    /// Payload of record `i`.
    public func record(_ i: Int) -> [UInt8] { [UInt8](bytes[records[i]]) }
}

/// A feature of a `tf.train.Example`.
public enum TFFeature: Equatable {
    case bytes([[UInt8]])
    case int64([Int64])
    case float([Float])
}

/// Minimal protobuf wire-format reader (varints, length-delimited fields, fixed32/64).
struct ProtoReader {
    let b: [UInt8]
    var pos: Int
    let end: Int
    let file: String

    init(_ b: [UInt8], file: String, range: Range<Int>? = nil) {
        self.b = b; self.file = file
        pos = range?.lowerBound ?? 0; end = range?.upperBound ?? b.count
    }
    var atEnd: Bool { pos >= end }

    mutating func varint() throws -> UInt64 {
        var v: UInt64 = 0, shift: UInt64 = 0
        while true {
            guard pos < end, shift < 64 else { throw DataError.format(file: file, reason: "bad protobuf varint") }
            let x = b[pos]; pos += 1
            v |= UInt64(x & 0x7F) << shift
            if x < 0x80 { return v }
            shift += 7
        }
    }
    /// (field number, wire type)
    mutating func tag() throws -> (Int, Int) { let t = try varint(); return (Int(t >> 3), Int(t & 7)) }
    mutating func lengthDelimited() throws -> Range<Int> {
        let n = Int(try varint())
        guard n >= 0, pos + n <= end else { throw DataError.format(file: file, reason: "protobuf field overruns message") }
        defer { pos += n }
        return pos..<(pos + n)
    }
    mutating func skip(_ wire: Int) throws {
        switch wire {
        case 0: _ = try varint()
        case 1: pos += 8
        case 2: _ = try lengthDelimited()
        case 5: pos += 4
        default: throw DataError.format(file: file, reason: "unsupported protobuf wire type \(wire)")
        }
        if pos > end { throw DataError.format(file: file, reason: "protobuf field overruns message") }
    }
}

/// Decodes a serialized `tf.train.Example` into its feature map.
public func parseExample(_ bytes: [UInt8], file: String = "<example>") throws -> [String: TFFeature] {
    var out: [String: TFFeature] = [:]
    var ex = ProtoReader(bytes, file: file)
    while !ex.atEnd {
        let (f, w) = try ex.tag()
        guard f == 1, w == 2 else { try ex.skip(w); continue }           // Example.features
        var feats = ProtoReader(bytes, file: file, range: try ex.lengthDelimited())
        while !feats.atEnd {
            let (f2, w2) = try feats.tag()
            guard f2 == 1, w2 == 2 else { try feats.skip(w2); continue } // Features.feature (map entry)
            var entry = ProtoReader(bytes, file: file, range: try feats.lengthDelimited())
            var key = "", value: TFFeature? = nil
            while !entry.atEnd {
                let (f3, w3) = try entry.tag()
                if f3 == 1, w3 == 2 {
                    key = String(decoding: bytes[try entry.lengthDelimited()], as: UTF8.self)
                } else if f3 == 2, w3 == 2 {
                    var feat = ProtoReader(bytes, file: file, range: try entry.lengthDelimited())
                    while !feat.atEnd {
                        let (kind, w4) = try feat.tag()
                        guard w4 == 2 else { try feat.skip(w4); continue }
                        var list = ProtoReader(bytes, file: file, range: try feat.lengthDelimited())
                        switch kind {
                        case 1:
                            var vals: [[UInt8]] = []
                            while !list.atEnd {
                                let (_, w5) = try list.tag()
                                guard w5 == 2 else { try list.skip(w5); continue }
                                vals.append(Array(bytes[try list.lengthDelimited()]))
                            }
                            value = .bytes(vals)
                        case 2:
                            var vals: [Float] = []
                            while !list.atEnd {
                                let (_, w5) = try list.tag()
                                func f32(_ at: Int) -> Float {
                                    Float(bitPattern: UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24)
                                }
                                if w5 == 2 { // packed
                                    let r = try list.lengthDelimited()
                                    for at in stride(from: r.lowerBound, to: r.upperBound - 3, by: 4) { vals.append(f32(at)) }
                                } else if w5 == 5 {
                                    guard list.pos + 4 <= list.end else { throw DataError.format(file: file, reason: "truncated float") }
                                    vals.append(f32(list.pos)); list.pos += 4
                                } else { try list.skip(w5) }
                            }
                            value = .float(vals)
                        case 3:
                            var vals: [Int64] = []
                            while !list.atEnd {
                                let (_, w5) = try list.tag()
                                if w5 == 2 { // packed
                                    var packed = ProtoReader(bytes, file: file, range: try list.lengthDelimited())
                                    while !packed.atEnd { vals.append(Int64(bitPattern: try packed.varint())) }
                                } else if w5 == 0 {
                                    vals.append(Int64(bitPattern: try list.varint()))
                                } else { try list.skip(w5) }
                            }
                            value = .int64(vals)
                        default: break
                        }
                    }
                } else { try entry.skip(w3) }
            }
            if let v = value { out[key] = v }
        }
    }
    return out
}

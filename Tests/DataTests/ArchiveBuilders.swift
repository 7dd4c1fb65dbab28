import Foundation
import ZIPFoundation

/// Tiny archives in the real formats, written byte by byte in the tests (nothing committed):
/// tar (ustar headers, a GNU 'L' record for names over 100 bytes, or a pax 'x' record, or the ustar prefix),
/// gzip (stored deflate blocks + CRC-32, which zlib reads like any .tgz), zip (ZIPFoundation).
enum ArchiveBuilder {
    enum LongNames { case gnu, pax, ustarPrefix }

    static func tar(_ members: [(name: String, data: [UInt8])], dirs: [String] = [], longNames: LongNames = .gnu) -> [UInt8] {
        var out: [UInt8] = []
        for d in dirs { out += header(d.hasSuffix("/") ? d : d + "/", size: 0, type: "5") }
        for (name, data) in members {
            var short = name, prefix = ""
            if name.utf8.count > 100 {
                switch longNames {
                case .gnu:
                    let n = Array(name.utf8) + [0]
                    out += header("././@LongLink", size: n.count, type: "L") + padded(n)
                    short = String(name.prefix(99))
                case .pax:
                    let body = " path=\(name)\n"
                    var len = body.utf8.count + 1
                    while "\(len)\(body)".utf8.count != len { len += 1 }
                    let rec = Array("\(len)\(body)".utf8)
                    out += header("PaxHeader/x", size: rec.count, type: "x") + padded(rec)
                    short = String(name.suffix(99))
                case .ustarPrefix:
                    let cut = name.lastIndex(of: "/")!
                    prefix = String(name[..<cut]); short = String(name[name.index(after: cut)...])
                }
            }
            out += header(short, size: data.count, type: "0", prefix: prefix) + padded(data)
        }
        return out + [UInt8](repeating: 0, count: 1024)
    }

    private static func padded(_ b: [UInt8]) -> [UInt8] { b + [UInt8](repeating: 0, count: (512 - b.count % 512) % 512) }

    private static func header(_ name: String, size: Int, type: Character, prefix: String = "") -> [UInt8] {
        var h = [UInt8](repeating: 0, count: 512)
        func put(_ s: String, _ at: Int) { for (i, c) in s.utf8.enumerated() { h[at + i] = c } }
        put(name, 0); put("0000644", 100); put("0000000", 108); put("0000000", 116)
        put(String(format: "%011o", size), 124); put("14000000000", 136)
        put("        ", 148); h[156] = type.asciiValue!
        put("ustar", 257); put("00", 263); put(prefix, 345)
        let sum = h.reduce(0) { $0 + Int($1) }
        put(String(format: "%06o", sum), 148); h[154] = 0; h[155] = 32
        return h
    }

    /// gzip of `data` with stored (uncompressed) deflate blocks.
    static func gzip(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255]
        var i = 0
        repeat {
            let n = min(65535, data.count - i)
            let last: UInt8 = i + n == data.count ? 1 : 0
            out += [last, UInt8(n & 0xff), UInt8(n >> 8), UInt8(~n & 0xff), UInt8((~n >> 8) & 0xff)]
            out += data[i..<(i + n)]
            i += n
        } while i < data.count
        let c = crc32(data)
        for v in [c, UInt32(truncatingIfNeeded: data.count)] { for s in stride(from: 0, to: 32, by: 8) { out.append(UInt8((v >> UInt32(s)) & 0xff)) } }
        return out
    }

    static func crc32(_ data: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xffff_ffff
        for b in data {
            c ^= UInt32(b)
            for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ 0xedb8_8320 : c >> 1 }
        }
        return ~c
    }

    static func zip(_ path: String, _ members: [(name: String, data: [UInt8])]) throws {
        let archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .create)
        for (name, data) in members {
            try archive.addEntry(with: name, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .deflate) { pos, size in
                Data(data[Int(pos)..<(Int(pos) + size)])
            }
        }
    }

    /// Every file under `dir` as (prefix + relative path, bytes), in sorted order.
    static func members(of dir: String, prefix: String) -> [(name: String, data: [UInt8])] {
        let fm = FileManager.default
        let rels = (fm.enumerator(atPath: dir)?.allObjects as? [String] ?? []).sorted()
        return rels.compactMap { rel in
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: dir + "/" + rel, isDirectory: &isDir), !isDir.boolValue,
                  let d = fm.contents(atPath: dir + "/" + rel) else { return nil }
            return (prefix + rel, [UInt8](d))
        }
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }
}

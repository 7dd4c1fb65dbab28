// Image decoding: JPEG and PNG through the C shim (libjpeg-turbo, libpng), binary PPM/PGM by hand.
// Every decoder returns RGB exactly as PIL's `Image.open(f).convert("RGB")` would.

import CCodecs
import Foundation

/// Decodes JPEG / PNG / PPM (P6) / PGM (P5) bytes into RGB, choosing the codec by magic number.
public enum ImageDecoder {
    /// Decodes `bytes`; `path` only names the source in errors.
    public static func decode(_ bytes: [UInt8], path: String = "<memory>") throws -> Image {
        if bytes.count >= 3, bytes[0] == 0xFF, bytes[1] == 0xD8, bytes[2] == 0xFF {
            return try viaShim(bytes, path: path, ccodecs_decode_jpeg)
        }
        if bytes.count >= 8, bytes[0] == 0x89, bytes[1] == 0x50, bytes[2] == 0x4E, bytes[3] == 0x47 {
            return try viaShim(bytes, path: path, ccodecs_decode_png)
        }
        if bytes.count >= 2, bytes[0] == UInt8(ascii: "P"), bytes[1] == UInt8(ascii: "6") || bytes[1] == UInt8(ascii: "5") {
            return try decodePNM(bytes, path: path)
        }
        throw DataError.decode(path: path, reason: "unknown image format (not JPEG, PNG, PPM/PGM)")
    }

    /// Reads and decodes the file at `path`.
    public static func decode(contentsOf path: String) throws -> Image {
        guard let d = FileManager.default.contents(atPath: path) else { throw DataError.missingFile(path: path) }
        return try decode([UInt8](d), path: path)
    }

    private static func viaShim(_ bytes: [UInt8], path: String,
                                _ fn: (UnsafePointer<UInt8>?, Int) -> ccodecs_image) throws -> Image {
        var r = bytes.withUnsafeBufferPointer { fn($0.baseAddress, $0.count) }
        guard r.ok == 1, let px = r.pixels else {
            let msg = withUnsafeBytes(of: &r.message) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            throw DataError.decode(path: path, reason: msg)
        }
        defer { ccodecs_free(px) }
        let n = Int(r.width) * Int(r.height) * 3
        return Image(width: Int(r.width), height: Int(r.height), channels: 3,
                     pixels: Array(UnsafeBufferPointer(start: px, count: n)))
    }

    /// Binary PPM (P6, RGB) / PGM (P5, gray → RGB), maxval ≤ 255 only (GTSRB ships 8-bit P6).
    static func decodePNM(_ b: [UInt8], path: String) throws -> Image {
        var pos = 2
        func token() throws -> Int {
            // Skip whitespace and '#' comments, then read a decimal number.
            while pos < b.count {
                if b[pos] == UInt8(ascii: "#") {
                    while pos < b.count, b[pos] != 10 { pos += 1 }
                } else if b[pos] == 32 || (9...13).contains(b[pos]) { pos += 1 } else { break }
            }
            var v = 0, digits = 0
            while pos < b.count, (48...57).contains(b[pos]) {
                v = v * 10 + Int(b[pos] - 48); pos += 1; digits += 1
                if v > 1 << 24 { throw DataError.decode(path: path, reason: "PNM header value too large") }
            }
            if digits == 0 { throw DataError.decode(path: path, reason: "malformed PNM header") }
            return v
        }
        let gray = b[1] == UInt8(ascii: "5")
        let w = try token(), h = try token(), maxval = try token()
        guard maxval > 0, maxval <= 255 else { throw DataError.decode(path: path, reason: "PNM maxval \(maxval) unsupported (need ≤ 255)") }
        pos += 1 // exactly one whitespace byte after maxval
        let nc = gray ? 1 : 3
        let need = w * h * nc
        guard w > 0, h > 0, pos + need <= b.count else {
            throw DataError.decode(path: path, reason: "truncated PNM data: need \(need) bytes, found \(max(0, b.count - pos))")
        }
        var px = [UInt8](repeating: 0, count: w * h * 3)
        if gray {
            for i in 0..<(w * h) { let v = b[pos + i]; px[3 * i] = v; px[3 * i + 1] = v; px[3 * i + 2] = v }
        } else {
            px.withUnsafeMutableBufferPointer { dst in
                b.withUnsafeBufferPointer { src in
                    dst.baseAddress!.update(from: src.baseAddress! + pos, count: need)
                }
            }
        }
        if maxval != 255 {
            // PIL scales non-255 maxvals to 0..255 (rounded); rare in practice.
            for i in 0..<px.count { px[i] = UInt8(min(255, (Int(px[i]) * 255 + maxval / 2) / maxval)) }
        }
        return Image(width: w, height: h, channels: 3, pixels: px)
    }
}

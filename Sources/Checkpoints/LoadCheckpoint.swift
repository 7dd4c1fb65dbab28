import Foundation
import ZIPFoundation

/// Loads any supported checkpoint, choosing the reader from the file's first bytes (never its extension,
/// since `.pth`, `.bin` and `.pt` each name several formats).
public func loadCheckpoint(_ url: URL) throws -> Checkpoint {
    let file = url.path
    let head = try readFile(url).prefix(16)
    let bytes = [UInt8](head)
    if bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) || bytes.starts(with: [0x50, 0x4B, 0x05, 0x06]) {
        // Zip: torch archives have a data.pkl member, npz archives only .npy members.
        let archive = try openZip(url, mode: .read)
        if archive.contains(where: { $0.path == "data.pkl" || $0.path.hasSuffix("/data.pkl") }) { return try TorchZip.load(url) }
        return try Npz.load(url)
    }
    if bytes.starts(with: Npy.magic) {
        let t = try Npy.load(url)
        var c = Checkpoint(format: .npy, file: file)
        try c.add(t)
        return c
    }
    // safetensors: 8-byte little-endian header length, then a JSON object. Checked before the pickle
    // protocol byte because a header length whose low byte is 0x80 starts the file with 0x80 too.
    if bytes.count > 8, bytes[8] == UInt8(ascii: "{"), bytes[0] != 0x80 || looksLikeSafetensorsHeader(bytes, url) {
        return try Safetensors.load(url)
    }
    if bytes.first == 0x80 { return try TorchLegacy.load(url) }
    throw CheckpointError(.badMagic, file: file,
                          "expected a zip (50 4b 03 04), npy (93 4e 55 4d 50 59), pickle (80) or safetensors (<u64>{) file, found \(head.hexPrefix(12))")
}

/// True when the first 8 bytes, read as a little-endian length, describe a header that fits in the file.
private func looksLikeSafetensorsHeader(_ bytes: [UInt8], _ url: URL) -> Bool {
    let n = bytes.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
    let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber)?.uint64Value ?? 0
    return n >= 2 && n <= size &- 8
}

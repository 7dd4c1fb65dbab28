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
    // safetensors: 8-byte header length, then a JSON object. Checked before pickle: a header length whose low
    // byte is 0x80 would otherwise read as the pickle PROTO opcode (legacy torch files have a binary long at byte 8).
    if bytes.count > 8, bytes[8] == UInt8(ascii: "{") { return try Safetensors.load(url) }
    if bytes.first == 0x80 { return try TorchLegacy.load(url) }
    throw CheckpointError(.badMagic, file: file,
                          "expected a zip (50 4b 03 04), npy (93 4e 55 4d 50 59), pickle (80) or safetensors (<u64>{) file, found \(head.hexPrefix(12))")
}

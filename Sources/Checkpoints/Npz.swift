import Foundation
import ZIPFoundation

/// Reads and writes numpy `.npz` archives (a zip of `.npy` members; stored or deflated).
public enum Npz {
    /// Reads every `NAME.npy` member into a tensor called `NAME`, in archive order.
    public static func load(_ url: URL) throws -> Checkpoint {
        let archive = try openZip(url, mode: .read)
        var ckpt = Checkpoint(format: .npz, file: url.path)
        for entry in archive where entry.type == .file {
            guard entry.path.hasSuffix(".npy") else {
                ckpt.skipped[entry.path] = "not an .npy member"
                continue
            }
            let bytes = try extract(entry, from: archive, file: url.path)
            let name = String(entry.path.dropLast(4))
            try ckpt.add(try Npy.read(bytes, name: name, file: "\(url.path) [\(entry.path)]"))
        }
        return ckpt
    }

    /// Writes `tensors` as `NAME.npy` members, deflated when `compressed` (like `np.savez_compressed`).
    public static func write(_ tensors: [StoredTensor], to url: URL, compressed: Bool = false) throws {
        try? FileManager.default.removeItem(at: url)
        let archive = try openZip(url, mode: .create)
        // A fixed timestamp keeps output byte-identical across runs.
        let epoch = Date(timeIntervalSince1970: 315_532_800)
        for t in tensors {
            let npy = try Npy.encode(t, file: url.path)
            do {
                try archive.addEntry(with: t.name + ".npy", type: .file, uncompressedSize: Int64(npy.count),
                                     modificationDate: epoch, compressionMethod: compressed ? .deflate : .none,
                                     bufferSize: 1 << 20) { position, size in
                    let start = npy.startIndex + Int(position)
                    return npy.subdata(in: start..<(start + size))
                }
            } catch {
                throw CheckpointError(.io, file: url.path, "could not add '\(t.name).npy' to the archive: \(error)")
            }
        }
    }
}

/// Opens a zip archive, mapping ZIPFoundation's errors to CheckpointError naming the file.
func openZip(_ url: URL, mode: Archive.AccessMode) throws -> Archive {
    do { return try Archive(url: url, accessMode: mode) } catch {
        if mode == .read {
            throw CheckpointError(.truncated, file: url.path,
                                  "expected a zip archive with a central directory, found none (file truncated or corrupt: \(error))")
        }
        throw CheckpointError(.io, file: url.path, "could not create zip archive: \(error)")
    }
}

/// Extracts one member fully into memory, checking its CRC (zlib's, so it is cheap even for large members).
func extract(_ entry: Entry, from archive: Archive, file: String) throws -> Data {
    var out = Data()
    out.reserveCapacity(Int(clamping: entry.uncompressedSize))
    do {
        _ = try archive.extract(entry, bufferSize: 1 << 20, skipCRC32: false) { out.append($0) }
    } catch {
        throw CheckpointError(.truncated, file: file, "could not extract zip member '\(entry.path)' (\(entry.uncompressedSize) bytes expected): \(error)")
    }
    return out
}

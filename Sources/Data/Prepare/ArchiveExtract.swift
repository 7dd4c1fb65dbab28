// Extracts the members of a downloaded archive (.tar/.tar.gz/.tgz through TarReader, .zip through
// ZIPFoundation) that lie under one folder of the archive into one folder of the staged tree.

import Foundation
import ZIPFoundation

/// A member path made safe to join under a folder: "./" and empty components dropped; nil for an
/// absolute path or one with "..", which an archive of images never needs.
func safeMemberPath(_ name: String) -> String? {
    if name.hasPrefix("/") { return nil }
    let parts = name.split(separator: "/").filter { $0 != "." }
    if parts.contains("..") { return nil }
    return parts.joined(separator: "/")
}

/// Writes the members of `archive` under `from` (a folder in the archive, "" = all) into `dest`,
/// without the `from` prefix. Returns the number of files written; throws naming the archive and member
/// (truncated or corrupt data, unsafe names) and when nothing lay under `from`.
@discardableResult
public func extractArchive(_ archive: String, from: String, to dest: String) throws -> Int {
    let fm = FileManager.default
    let prefix = from.isEmpty || from.hasSuffix("/") ? from : from + "/"
    var files = 0, seen: [String] = []
    func target(_ name: String, isDir: Bool) throws -> String? {
        guard let clean = safeMemberPath(name) else {
            throw DataError.format(file: archive, reason: "member \"\(name)\": absolute or \"..\" path, refused")
        }
        if seen.count < 5 { seen.append(clean) }
        let withSlash = isDir ? clean + "/" : clean
        guard withSlash.hasPrefix(prefix), withSlash.count > prefix.count else { return nil }
        let rel = String(clean.dropFirst(prefix.count))
        let out = dest + "/" + rel
        try fm.createDirectory(atPath: isDir ? out : (out as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        return out
    }
    if archive.lowercased().hasSuffix(".zip") {
        guard fm.fileExists(atPath: archive) else { throw DataError.missingFile(path: archive) }
        let zip: Archive
        do { zip = try Archive(url: URL(fileURLWithPath: archive), accessMode: .read) } catch {
            throw DataError.format(file: archive, reason: "not a readable zip archive (\(error))")
        }
        for entry in zip {
            guard entry.type != .symlink else {
                throw DataError.format(file: archive, reason: "member \"\(entry.path)\" is a link; dataset archives hold none, so this is not the expected file")
            }
            guard let out = try target(entry.path, isDir: entry.type == .directory), entry.type == .file else { continue }
            do { _ = try zip.extract(entry, to: URL(fileURLWithPath: out)) } catch {
                throw DataError.format(file: archive, reason: "member \"\(entry.path)\": \(error) (truncated or corrupt download?)")
            }
            files += 1
        }
    } else {
        try forEachTarMember(archive) { m, write in
            switch m.kind {
            case .file:
                if let out = try target(m.name, isDir: false) { try write(out); files += 1 }
            case .directory:
                _ = try target(m.name, isDir: true)
            case .link:
                throw DataError.format(file: archive, reason: "member \"\(m.name)\" is a link; dataset archives hold none, so this is not the expected file")
            case .other: break
            }
        }
    }
    if files == 0 {
        throw DataError.format(file: archive, reason: "no file under \"\(prefix)\" in the archive (its first members: \(seen.joined(separator: ", "))); is this the expected download?")
    }
    return files
}

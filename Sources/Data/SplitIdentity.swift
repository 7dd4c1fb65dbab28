// Which split a user's tree holds, and where its data came from. Every run records both (metadata.json,
// report footer), so a reproduced number is never set beside a paper's without saying which split and
// which data source produced it.

import Foundation

/// How a split file compares with the published one.
public enum SplitVerdict: String, Codable, Sendable {
    /// SHA-256 equals the published file's.
    case published = "the published split"
    /// Same entry count, different bytes (re-made by hand, reordered, other labels…): a warning.
    case sameCounts = "another split with the published counts"
    /// Entry count differs: a warning.
    case different = "a different split"
    /// No published file is recorded for this dataset and split.
    case unrecorded = "no published split recorded"
}

/// The identity of one split file of a user's tree.
public struct SplitIdentity: Codable, Sendable, Equatable, CustomStringConvertible {
    public var split: String
    public var file: String
    public var sha256: String
    public var entries: Int
    public var verdict: SplitVerdict
    /// The published file it was compared with.
    public var published: PublishedSplitFile?

    public init(split: String, file: String, sha256: String, entries: Int, verdict: SplitVerdict, published: PublishedSplitFile?) {
        self.split = split; self.file = file; self.sha256 = sha256; self.entries = entries; self.verdict = verdict; self.published = published
    }

    enum CodingKeys: String, CodingKey { case split, file, sha256, entries, verdict, published }
    /// `published` is written as null when nothing is recorded (stable `--json` fields).
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(split, forKey: .split); try c.encode(file, forKey: .file); try c.encode(sha256, forKey: .sha256)
        try c.encode(entries, forKey: .entries); try c.encode(verdict, forKey: .verdict); try c.encode(published, forKey: .published)
    }

    public var description: String {
        let ref = published.map { " (published: \($0.entries) entries, \($0.source))" } ?? ""
        return "\(file): \(verdict.rawValue), \(entries) entries, sha256 \(sha256.prefix(12))…\(ref)"
    }
    public var isWarning: Bool { verdict == .sameCounts || verdict == .different }
}

/// The split files dataset `id` reads for `split` under `root` (list/json layouts; a VTAB root may also hold
/// VPT's manifest, reported as split `trainval-manifest`).
public func splitFiles(root: String, id: String, split: String) -> [(split: String, file: String)] {
    guard let spec = datasetRegistry[id] else { return [] }
    switch spec.layout {
    case let .vtabFolder(folder): return [(split, root + "/" + folder + "/" + split + ".txt")]
    case let .fgvcJSON(folder, _): return [(split, root + "/" + folder + "/" + split + ".json")]
    default: return []
    }
}

/// Split name under which VPT's VTAB-1k manifest is identified.
public let manifestSplit = "trainval-manifest"

/// Counts entries of a split file: keys of a JSON object, else non-empty lines.
func splitEntries(_ bytes: [UInt8], file: String) -> Int {
    if file.hasSuffix(".json"), case let .object(items, _)? = try? parseOrderedJSON(bytes, file: file) {
        return Set(items.map(\.key)).count
    }
    return String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isNewline)
        .filter { !$0.allSatisfy(\.isWhitespace) }.count
}

/// Identifies `file` (split `split` of dataset `id`) against `publishedSplits`; nil when it cannot be read.
public func splitIdentity(file: String, id: String, split: String) -> SplitIdentity? {
    guard let data = FileManager.default.contents(atPath: file) else { return nil }
    let bytes = [UInt8](data)
    var stream = SHA256Stream()
    stream.update(data)
    let sha = stream.hexDigest(), n = splitEntries(bytes, file: file)
    let ref = publishedSplits.first { $0.split == split && ($0.datasets.contains(id) || split == manifestSplit) }
    let verdict: SplitVerdict
    if let ref = ref { verdict = ref.sha256 == sha ? .published : ref.entries == n ? .sameCounts : .different } else { verdict = .unrecorded }
    return SplitIdentity(split: split, file: file, sha256: sha, entries: n, verdict: verdict, published: ref)
}

/// Identities of the split files that `splits` of dataset `id` read, plus VPT's VTAB manifest when a VTAB
/// root holds one.
public func splitIdentities(root: String, id given: String, splits: [String]) -> [SplitIdentity] {
    let id = resolveDatasetId(given).id
    var out = splits.flatMap { s in splitFiles(root: root, id: id, split: s).compactMap { splitIdentity(file: $0.file, id: id, split: $0.split) } }
    let vtab: Bool
    switch datasetRegistry[id]?.layout { case .vtabFolder?, .vtabTFDS?: vtab = true; default: vtab = false }
    if vtab, let m = splitIdentity(file: root + "/" + vtabManifestName, id: id, split: manifestSplit) {
        out.append(m)
    }
    return out
}

/// Where a dataset's pixels come from. VTAB-1k read from TFDS records and from the image-folder release (the
/// TFDS images written out as image files, NOAH's `get_vtab1k.py`) are different sources: a user reports about
/// 70% on CIFAR-100 from the folder release against about 80% from TFDS with the same model
/// (visinf/adapter_plus issue #3).
public func dataSource(id: String) -> String {
    guard let spec = datasetRegistry[resolveDatasetId(id).id] else { return "unknown" }
    switch spec.layout {
    case .vtabFolder: return "vtab1k-image-folder"
    case .vtabTFDS: return "vtab1k-tfds-records"
    case .fgvcJSON: return "fgvc-json"
    case .cifar: return "cifar-python-pickles"
    case .svhnMat: return "svhn-mat"
    case .gtsrb: return "gtsrb-torchvision"
    case .food101: return "food101-torchvision"
    case .dtd: return "dtd-torchvision"
    case .coopSplit: return "coop-split-json"
    }
}

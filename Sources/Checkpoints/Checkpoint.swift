import Foundation

/// The container format a checkpoint was read from.
public enum CheckpointFormat: String, Sendable {
    case npy, npz, safetensors
    case torchZip = "torch-zip"
    case torchLegacy = "torch-legacy"
    case pickle
}

/// A loaded checkpoint: tensors in file order plus a summary of the non-tensor content.
public struct Checkpoint: Sendable {
    public var format: CheckpointFormat
    /// The file it came from; used in every error about it.
    public var file: String
    /// Tensor names in file order. Nested dicts are flattened with "." (`state_dict.module.x`).
    public var names: [String]
    public var tensors: [String: StoredTensor]
    /// Non-tensor values, flattened path -> short text (`epoch` -> `3`, safetensors `__metadata__` entries).
    public var metadata: [String: String]
    /// Entries that were not loaded, path -> why (e.g. opaque `argparse.Namespace`, never executed).
    public var skipped: [String: String]
    /// Flattened paths that were real nested dicts in the file (`state_dict`), as opposed to dots inside
    /// a key (`module.x`); `unwrapped` only descends into these.
    public var dictPaths: Set<String> = []

    public init(format: CheckpointFormat, file: String, names: [String] = [], tensors: [String: StoredTensor] = [:],
                metadata: [String: String] = [:], skipped: [String: String] = [:]) {
        self.format = format
        self.file = file
        self.names = names
        self.tensors = tensors
        self.metadata = metadata
        self.skipped = skipped
    }

    /// Appends a tensor, refusing duplicate names (two tensors silently overwriting each other would hide a bug).
    mutating func add(_ t: StoredTensor) throws {
        guard tensors[t.name] == nil else {
            throw CheckpointError(.malformed, file: file, "duplicate tensor name '\(t.name)'")
        }
        names.append(t.name)
        tensors[t.name] = t
    }

    public subscript(name: String) -> StoredTensor? { tensors[name] }

    /// The tensor called `name`, or an error naming the file and a few names that do exist.
    public func tensor(_ name: String) throws -> StoredTensor {
        if let t = tensors[name] { return t }
        let sample = names.prefix(5).joined(separator: ", ")
        throw CheckpointError(.missingTensor, file: file, "expected a tensor named '\(name)', found none (\(names.count) tensors, e.g. \(sample))")
    }

    /// Keeps only tensors whose name starts with `prefix`, with the prefix removed.
    public func selecting(prefix: String) -> Checkpoint {
        var out = self
        out.dictPaths = Set(dictPaths.filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) })
        out.names = names.filter { $0.hasPrefix(prefix) && tensors[$0] != nil }.map { String($0.dropFirst(prefix.count)) }
        out.tensors = [:]
        for n in names where n.hasPrefix(prefix) {
            guard var t = tensors[n] else { continue }
            t.name = String(n.dropFirst(prefix.count))
            out.tensors[t.name] = t
        }
        return out
    }

    /// Descends into the wrapping dicts training scripts save around a state dict
    /// (`{"model": ...}`, `{"state_dict": ...}`, `{"module": ...}`), repeatedly, dropping sibling entries
    /// such as optimizer state. Only real nested dicts count: a DataParallel key prefix `module.x` is
    /// left for `strippingPrefixes`. Returns self unchanged when no tensor lives under any of `keys`.
    public func unwrapped(keys: [String] = ["model", "state_dict", "module"]) -> Checkpoint {
        var current = self
        var changed = true
        while changed {
            changed = false
            for k in keys where current.dictPaths.contains(k) {
                let prefix = k + "."
                // Flattened names carry the wrapper as a prefix; the first wrapper present wins, then we
                // look again because wrappers nest (`{"model": {"module": ...}}`).
                if current.names.contains(where: { $0.hasPrefix(prefix) }) {
                    current = current.selecting(prefix: prefix)
                    changed = true
                    break
                }
            }
        }
        return current
    }

    /// Removes the longest matching prefix of `prefixes` from each name (DataParallel's `module.`,
    /// MoCo's `module.base_encoder.`, detection-style `backbone.`). Names without one are kept as they are.
    /// Throws if two tensors would end up with the same name.
    public func strippingPrefixes(_ prefixes: [String] = ["module.base_encoder.", "module.", "backbone."]) throws -> Checkpoint {
        let ordered = prefixes.sorted { $0.count > $1.count }
        var out = self
        out.names = []
        out.tensors = [:]
        for n in names {
            guard var t = tensors[n] else { continue }
            if let p = ordered.first(where: { n.hasPrefix($0) }) { t.name = String(n.dropFirst(p.count)) }
            guard out.tensors[t.name] == nil else {
                throw CheckpointError(.malformed, file: file, "stripping prefixes \(prefixes) maps two tensors to '\(t.name)'")
            }
            out.names.append(t.name)
            out.tensors[t.name] = t
        }
        return out
    }

    /// Counts for `bench inspect`.
    public var summary: CheckpointSummary {
        var dt: [DType: Int] = [:]
        var params = 0
        for n in names {
            guard let t = tensors[n] else { continue }
            dt[t.dtype, default: 0] += 1
            params += t.elementCount
        }
        return CheckpointSummary(format: format, file: file, tensorCount: names.count, parameterCount: params,
                                 tensorsByDType: dt, metadataCount: metadata.count, skipped: skipped)
    }
}

/// What `bench inspect FILE` prints: format, tensor and parameter counts, dtypes, skipped entries.
public struct CheckpointSummary: Sendable, CustomStringConvertible {
    public var format: CheckpointFormat
    public var file: String
    public var tensorCount: Int
    /// Total number of elements over all tensors.
    public var parameterCount: Int
    public var tensorsByDType: [DType: Int]
    public var metadataCount: Int
    public var skipped: [String: String]

    public var description: String {
        var lines = ["file: \(file)", "format: \(format.rawValue)", "tensors: \(tensorCount)",
                     "parameters: \(parameterCount)",
                     "dtypes: " + tensorsByDType.keys.sorted().map { "\($0.rawValue)=\(tensorsByDType[$0]!)" }.joined(separator: " ")]
        if metadataCount > 0 { lines.append("metadata entries: \(metadataCount)") }
        for k in skipped.keys.sorted() { lines.append("skipped \(k): \(skipped[k]!)") }
        return lines.joined(separator: "\n")
    }
}

// `bench prepare`: from the files a dataset's own site distributes (plus the published split files) to the
// tree its reader takes. Each dataset is a `PrepareRecipe` (FGVCPrepare.swift, HTAPrepare.swift): the files
// the user supplies, the steps that build the tree, and the paths it owns under the data root.
//
// Safety: everything is built in a staging folder beside the target (`<out>/.prepare-<id>.partial`), checked
// with `verifyData` there, and only then renamed into place with its `prepared.json`; an interrupted or failed
// run leaves only the staging folder, which never passes as the dataset and is removed by the next run.
// A tree that already has its `prepared.json` is only verified.

import Foundation

/// A file the user must supply: where it is looked for and where to get it.
public struct PrepareInput: Sendable, Equatable {
    public enum Folder: String, Sendable { case downloads, splits }
    public var name: String
    public var folder: Folder
    public var source: String
}

/// One step of building the staged tree (paths relative to the data root).
public enum PrepareStep: Sendable, Equatable {
    /// Extract the members of archive `input` under folder `from` of the archive into `to`.
    case extract(input: String, from: String, to: String)
    /// Copy file `input` to `to`.
    case copy(input: String, to: String)
}

/// What preparing a dataset takes and writes.
public struct PrepareRecipe: Sendable {
    public var dataset: String
    public var inputs: [PrepareInput]
    public var steps: [PrepareStep]
    /// Paths under the data root this dataset owns (folders or files), moved into place at the end.
    public var owns: [String]
    /// Where `prepared.json` goes (inside the first owned folder when that is a folder).
    public var record: String
    /// Notes for the user (what is not needed, where a split comes from).
    public var note: String = ""
}

/// What `prepareDataset` did.
public struct PrepareOutcome: Sendable {
    /// True when the tree was already prepared and was only verified.
    public var alreadyPrepared: Bool
    public var report: DataReport
    public var recordPath: String
}

public enum PrepareError: Error, CustomStringConvertible {
    case unknownDataset(String)
    case missingInputs(dataset: String, missing: [(path: String, source: String)], note: String)
    case notOurs(path: String, dataset: String)
    case verifyFailed(dataset: String, report: String)

    public var description: String {
        switch self {
        case let .unknownDataset(id):
            return "bench prepare does not know dataset \"\(id)\"; it prepares: \(prepareRecipes.keys.sorted().joined(separator: ", "))"
        case let .missingInputs(id, missing, note):
            var s = "\(id): \(missing.count) file(s) needed to prepare it are missing:\n"
            for m in missing { s += "  \(m.path)   (\(m.source))\n" }
            return s + (note.isEmpty ? "" : "  note: \(note)\n")
        case let .notOurs(path, id):
            return "\(path) exists but has no prepared.json from bench prepare; \(id) is not overwritten. Check it with `bench verify-data`, or move it away and run prepare again"
        case let .verifyFailed(id, report):
            return "\(id): the prepared tree does not pass verify-data, so it was not put in place (nothing was written under the data root):\n\(report)"
        }
    }
}

/// Prepares `dataset` under `out` from `downloads` and `splits`; see the file comment for the guarantees.
/// `verify` checks a data root (default `verifyData` with the registry's counts; tests pass one that
/// accepts their tiny trees' counts). With `acceptProblems` a tree that has problems is still put in place,
/// its problems recorded in prepared.json (for a split that knowingly differs from the published one).
public func prepareDataset(_ dataset: String, downloads: String, splits: String, out: String, decodeImages: Bool = true,
                           acceptProblems: Bool = false, verify: ((String) -> DataReport)? = nil,
                           log: (String) -> Void = { _ in }) throws -> PrepareOutcome {
    let verify = verify ?? { verifyData(root: $0, dataset: dataset, decodeImages: decodeImages) }
    guard let recipe = prepareRecipes[dataset] else { throw PrepareError.unknownDataset(dataset) }
    let fm = FileManager.default
    let recordPath = out + "/" + recipe.record
    if fm.fileExists(atPath: recordPath) {
        log("\(dataset): already prepared (\(recordPath)); verifying only")
        return PrepareOutcome(alreadyPrepared: true, report: verify(out), recordPath: recordPath)
    }
    for p in recipe.owns where fm.fileExists(atPath: out + "/" + p) { throw PrepareError.notOurs(path: out + "/" + p, dataset: dataset) }
    func inputPath(_ i: PrepareInput) -> String { (i.folder == .downloads ? downloads : splits) + "/" + i.name }
    let missing = recipe.inputs.filter { !fm.fileExists(atPath: inputPath($0)) }.map { (inputPath($0), $0.source) }
    if !missing.isEmpty { throw PrepareError.missingInputs(dataset: dataset, missing: missing, note: recipe.note) }

    let staging = out + "/.prepare-" + dataset.replacingOccurrences(of: "/", with: "_") + ".partial"
    if fm.fileExists(atPath: staging) {
        log("\(dataset): removing \(staging) left by an interrupted run")
        try fm.removeItem(atPath: staging)
    }
    try fm.createDirectory(atPath: staging, withIntermediateDirectories: true)
    var keepStaging = false
    defer { if !keepStaging { try? fm.removeItem(atPath: staging) } }
    let byName = Dictionary(recipe.inputs.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
    for step in recipe.steps {
        switch step {
        case let .extract(name, from, to):
            log("\(dataset): extracting \(name)\(from.isEmpty ? "" : " (\(from))") → \(to)")
            let n = try extractArchive(inputPath(byName[name]!), from: from, to: staging + "/" + to)
            log("\(dataset):   \(n) files")
        case let .copy(name, to):
            let dest = staging + "/" + to
            try fm.createDirectory(atPath: (dest as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try fm.copyItem(atPath: inputPath(byName[name]!), toPath: dest)
        }
    }
    log("\(dataset): verifying the staged tree")
    let report = verify(staging)
    guard report.ok || acceptProblems else { throw PrepareError.verifyFailed(dataset: dataset, report: report.description) }
    var inputs: [[String: Any]] = []
    for i in recipe.inputs {
        log("\(dataset): hashing \(i.name)")
        let (hex, bytes) = try sha256OfFile(inputPath(i))
        inputs.append(["file": i.name, "role": i.folder == .downloads ? "download" : "split file", "bytes": bytes, "sha256": hex])
    }
    let splits = report.splits.mapValues { c -> [String: Any] in
        ["samples": c.found, "expected": c.expected.map { $0 as Any } ?? NSNull(), "classes": c.classesFound, "source": c.source]
    }
    let record: [String: Any] = [
        "dataset": dataset, "prepared_by": "bench prepare", "prepared_at": ISO8601DateFormatter().string(from: Date()),
        "inputs": inputs, "images_decoded": decodeImages, "verify": ["ok": report.ok, "splits": splits, "problems": report.problems], "owns": recipe.owns,
    ]
    let json = try JSONSerialization.data(withJSONObject: record, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    let stagedRecord = staging + "/" + recipe.record
    try fm.createDirectory(atPath: (stagedRecord as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try json.write(to: URL(fileURLWithPath: stagedRecord), options: .atomic)
    // Owned paths first, the record last (when it is not inside an owned folder): a tree is "prepared" only
    // once every part is in place.
    keepStaging = true
    for p in recipe.owns {
        let dest = out + "/" + p
        try fm.createDirectory(atPath: (dest as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try fm.moveItem(atPath: staging + "/" + p, toPath: dest)
    }
    if !fm.fileExists(atPath: recordPath) { try fm.moveItem(atPath: stagedRecord, toPath: recordPath) }
    keepStaging = false
    log("\(dataset): prepared under \(out); record \(recordPath)")
    return PrepareOutcome(alreadyPrepared: false, report: report, recordPath: recordPath)
}

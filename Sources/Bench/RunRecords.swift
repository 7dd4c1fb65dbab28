// What a run leaves in `runs/<cell-id>/seed-<n>/`: config.json, metrics.jsonl, summary.json, metadata.json,
// checkpoint.safetensors + checkpoint.json. A cell-seed is finished iff summary.json exists. Every file is
// written atomically (temporary file, then rename) so a killed run never leaves a half-written record.
import Foundation

/// One accuracy the run reports, and the rule that chose it.
public struct SelectedAccuracy: Codable, Sendable, Equatable {
    /// Top-1 accuracy in percent (0–100).
    public var accuracy: Double
    /// How it was chosen, e.g. `last-epoch-test`, `best-test-over-epochs`, `test-at-best-val-epoch`.
    public var rule: String
    /// The 0-based epoch it comes from.
    public var epoch: Int
    public init(accuracy: Double, rule: String, epoch: Int) { self.accuracy = accuracy; self.rule = rule; self.epoch = epoch }
}

/// Trainable parameter counts, split as papers report them.
public struct ParameterCounts: Codable, Sendable, Equatable {
    public var prompts: Int
    public var head: Int
    public var other: Int
    public var total: Int { prompts + head + other }
    /// All parameters of the model (frozen included).
    public var model: Int
    public init(prompts: Int, head: Int, other: Int, model: Int) { self.prompts = prompts; self.head = head; self.other = other; self.model = model }
}

/// summary.json: the finished run's numbers.
public struct RunSummary: Codable, Sendable, Equatable {
    public var cell: String
    public var benchmark: String
    public var dataset: String
    public var method: String
    public var backbone: String
    public var seed: Int
    /// The number the official protocol reports (may read test labels; see `rule`).
    public var official: SelectedAccuracy
    /// A number chosen without test labels (last epoch, or best validation epoch).
    public var clean: SelectedAccuracy
    public var epochs: Int
    public var params: ParameterCounts
    /// Training images per second over the whole run (data + step).
    public var trainImagesPerSecond: Double
    public var wallSeconds: Double
    /// Hyper-parameters chosen by the protocol's grid, if any (e.g. `lr`, `weight_decay`).
    public var selected: [String: Double]
    /// `official` or `fixed` (a documented bug of the official code fixed), shown in report footers.
    public var variant: String
    /// Data pipeline id (e.g. `vpt-vtab`, `builtin`).
    public var pipeline: String
    /// The recipe's declared differences from its official source, one line each (`key: official X, ours Y — reason`);
    /// nil in summaries written before they were recorded. Shown in report footers.
    public var declaredDifferences: [String]?

    public init(cell: String, benchmark: String, dataset: String, method: String, backbone: String, seed: Int,
                official: SelectedAccuracy, clean: SelectedAccuracy, epochs: Int, params: ParameterCounts,
                trainImagesPerSecond: Double, wallSeconds: Double, selected: [String: Double] = [:],
                variant: String = "official", pipeline: String, declaredDifferences: [String]? = nil) {
        self.cell = cell; self.benchmark = benchmark; self.dataset = dataset; self.method = method; self.backbone = backbone
        self.seed = seed; self.official = official; self.clean = clean; self.epochs = epochs; self.params = params
        self.trainImagesPerSecond = trainImagesPerSecond; self.wallSeconds = wallSeconds; self.selected = selected
        self.variant = variant; self.pipeline = pipeline; self.declaredDifferences = declaredDifferences
    }
}

/// One line of metrics.jsonl (one per epoch).
public struct EpochMetrics: Codable, Sendable, Equatable {
    public var epoch: Int
    public var lr: Double
    public var trainLoss: Double
    public var trainAccuracy: Double?
    public var valAccuracy: Double?
    public var testAccuracy: Double?
    public var wallSeconds: Double
    public var imagesPerSecond: Double
    public init(epoch: Int, lr: Double, trainLoss: Double, trainAccuracy: Double? = nil, valAccuracy: Double? = nil,
                testAccuracy: Double? = nil, wallSeconds: Double, imagesPerSecond: Double) {
        self.epoch = epoch; self.lr = lr; self.trainLoss = trainLoss; self.trainAccuracy = trainAccuracy
        self.valAccuracy = valAccuracy; self.testAccuracy = testAccuracy; self.wallSeconds = wallSeconds
        self.imagesPerSecond = imagesPerSecond
    }
}

/// A problem with a runs folder; names the file.
public struct RunStoreError: Error, CustomStringConvertible {
    public let file: String
    public let message: String
    public var description: String { "\(file): \(message)" }
}

/// Reads and writes run folders.
public enum RunStore {
    public static func folder(runs: URL, cell: String, seed: Int) -> URL {
        runs.appendingPathComponent(cell).appendingPathComponent("seed-\(seed)")
    }

    /// Writes `data` to `url` atomically: a temporary file in the same folder, fsync, then rename.
    public static func writeAtomically(_ data: Data, to url: URL) throws {
        let dir = url.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let tmp = dir.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
        guard FileManager.default.createFile(atPath: tmp.path, contents: data) else {
            throw RunStoreError(file: tmp.path, message: "cannot write")
        }
        let fd = open(tmp.path, O_RDONLY)
        if fd >= 0 { fsync(fd); close(fd) }
        guard rename(tmp.path, url.path) == 0 else {
            throw RunStoreError(file: url.path, message: "cannot rename temporary file into place (errno \(errno))")
        }
    }

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return e
    }()

    public static func writeJSON<T: Encodable>(_ value: T, to url: URL) throws {
        try writeAtomically(try encoder.encode(value), to: url)
    }

    public static func readJSON<T: Decodable>(_ type: T.Type, from url: URL) throws -> T {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw RunStoreError(file: url.path, message: "missing or unreadable")
        }
        do { return try JSONDecoder().decode(type, from: data) } catch {
            throw RunStoreError(file: url.path, message: "not a valid \(T.self): \(error)")
        }
    }

    /// Every summary.json under `runs` (sorted by path). A corrupt file is an error naming it.
    public static func summaries(in runs: URL) throws -> [RunSummary] {
        guard FileManager.default.fileExists(atPath: runs.path) else {
            throw RunStoreError(file: runs.path, message: "runs folder does not exist")
        }
        var out: [RunSummary] = []
        let walker = FileManager.default.enumerator(at: runs, includingPropertiesForKeys: nil)
        var files: [URL] = []
        while let u = walker?.nextObject() as? URL { if u.lastPathComponent == "summary.json" { files.append(u) } }
        for f in files.sorted(by: { $0.path < $1.path }) { out.append(try readJSON(RunSummary.self, from: f)) }
        return out
    }

    /// metrics.jsonl of one run.
    public static func metrics(in folder: URL) throws -> [EpochMetrics] {
        let url = folder.appendingPathComponent("metrics.jsonl")
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        var out: [EpochMetrics] = []
        for (i, line) in text.split(separator: "\n").enumerated() where !line.isEmpty {
            do { out.append(try JSONDecoder().decode(EpochMetrics.self, from: Data(line.utf8))) } catch {
                throw RunStoreError(file: "\(url.path):\(i + 1)", message: "not a metrics line: \(error)")
            }
        }
        return out
    }
}

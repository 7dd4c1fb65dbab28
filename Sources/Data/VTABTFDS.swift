// VTAB-1k read from TFDS-prepared TFRecords the way VPT's loaders define each task
// (`KMnP/vpt` `src/data/vtab_datasets/*.py`, task list `src/data/datasets/tf_dataset.py:36-56`, TFDS
// versions `VTAB_SETUP.md`): builder/config/version, the split strings, and the label each task derives.
// Re-implemented from the rules, not copied.

import Foundation

/// How a VTAB record's label is computed from its `tf.train.Example` features.
public enum TFDSLabelRule: Equatable, Sendable {
    /// An int64 feature as is.
    case key(String)
    /// `floor(float32(v) / factor)` (dSprites: `num_original_classes / num_classes`, `dsprites.py` preprocess_fn).
    case floorDiv(key: String, factor: Float)
    /// Number of entries of a sequence feature minus `offset` (CLEVR count_all: `size(objects/size) - 3`).
    case countMinus(key: String, offset: Int)
    /// Distance bin (CLEVR closest_object_distance, KITTI closest_vehicle_distance): d = min of component
    /// `component` over the rows of a flattened [N, stride] float feature — only rows whose int feature
    /// `filterKey` is < `filterBelow` when given, with `sentinel` appended when given — and the label is the
    /// largest i with `thresholds[i] < d` (thresholds compared in float32, as TF casts them to d's dtype).
    case distanceBin(key: String, stride: Int, component: Int, thresholds: [Float],
                     filterKey: String?, filterBelow: Int64, sentinel: Float?)

    /// The label of one parsed example (`file`/`record` name the source in errors).
    public func label(_ ex: [String: TFFeature], file: String, record: Int) throws -> Int {
        func ints(_ k: String) throws -> [Int64] {
            guard case let .int64(v)? = ex[k] else { throw DataError.format(file: file, reason: "record \(record) has no int64 feature \"\(k)\"") }
            return v
        }
        func floats(_ k: String) throws -> [Float] {
            guard case let .float(v)? = ex[k] else { throw DataError.format(file: file, reason: "record \(record) has no float feature \"\(k)\"") }
            return v
        }
        switch self {
        case let .key(k):
            guard let v = try ints(k).first else { throw DataError.format(file: file, reason: "record \(record): int64 feature \"\(k)\" is empty") }
            return Int(v)
        case let .floorDiv(k, factor):
            guard let v = try ints(k).first else { throw DataError.format(file: file, reason: "record \(record): int64 feature \"\(k)\" is empty") }
            return Int((Float(v) / factor).rounded(.down))
        case let .countMinus(k, offset):
            // A sequence feature may be stored as int64 or float; count its entries either way.
            let n: Int
            switch ex[k] {
            case let .int64(v)?: n = v.count
            case let .float(v)?: n = v.count
            case let .bytes(v)?: n = v.count
            case nil: n = 0 // TFDS omits an empty sequence feature
            }
            return n - offset
        case let .distanceBin(k, stride, component, thresholds, filterKey, filterBelow, sentinel):
            let coords = ex[k] == nil ? [] : try floats(k)
            guard coords.count % stride == 0 else {
                throw DataError.format(file: file, reason: "record \(record): \"\(k)\" holds \(coords.count) floats, not a multiple of \(stride)")
            }
            let rows = coords.count / stride
            var keep = Array(repeating: true, count: rows)
            if let fk = filterKey {
                let t = ex[fk] == nil ? [] : try ints(fk)
                guard t.count == rows else { throw DataError.format(file: file, reason: "record \(record): \(t.count) \"\(fk)\" for \(rows) objects") }
                keep = t.map { $0 < filterBelow }
            }
            var d = Float.infinity
            for r in 0..<rows where keep[r] { d = min(d, coords[r * stride + component]) }
            if let s = sentinel { d = min(d, s) }
            guard let i = thresholds.lastIndex(where: { $0 < d }) else {
                throw DataError.format(file: file, reason: "record \(record): distance \(d) is below every threshold")
            }
            return i
        }
    }
}

/// Where a VTAB task's `test` split comes from.
public enum VTABTestSource: Equatable, Sendable {
    /// A TFDS split string as is: `test`, `validation` (CLEVR), `test[50%:]` (smallNORB).
    case split(String)
    /// The tail of `train` after Σ ⌊p·N/100⌋ examples (eurosat/resisc45: [60, 20]; dSprites: [80, 10]).
    case trainTail(percents: [Int])
}

/// One VTAB-1k task as VPT builds it from TFDS.
public struct VTABTFDSTask: Equatable, Sendable {
    public var builder: String
    public var config: String?
    public var version: String
    public var numClasses: Int
    public var label: TFDSLabelRule
    public var valFrom: VTABValSource
    public var test: VTABTestSource
    public var pixelScale: UInt8 = 1

    /// `<data_dir>/<builder>[/<config>]/<version>`, the TFDS version directory.
    public var relativeDir: String { builder + (config.map { "/" + $0 } ?? "") + "/" + version }

    /// The TFDS split string of a VTAB split given the TFDS split sizes.
    public func splitString(_ split: VTABSplit, sizes: [String: Int]) -> String {
        let n = sizes["train"] ?? 0
        let testSpec: String
        switch test {
        case let .split(s): testSpec = s
        case let .trainTail(ps): testSpec = "train[\(ps.reduce(0) { $0 + $1 * n / 100 }):]"
        }
        return vtabTFDSSplit(split, valFrom: valFrom, test: testSpec, trainCount: n)
    }
}

/// Opens VTAB split `split` of `task` from the TFDS data dir `root`.
public func openVTABTFDS(id: String, root: String, task: VTABTFDSTask, split: String) throws -> TFDSDataset {
    guard let s = VTABSplit(rawValue: split) else {
        throw DataError.badSplit(spec: split, reason: "VTAB splits are \(VTABSplit.allCases.map(\.rawValue))")
    }
    let dir = root + "/" + task.relativeDir
    guard FileManager.default.fileExists(atPath: dir) else { throw DataError.missingRoot(path: dir) }
    let sizes = try TFDSDataset.shardLengths(dir: dir).mapValues { $0.reduce(0, +) }
    return try TFDSDataset(id: id, dir: dir, name: task.builder, split: task.splitString(s, sizes: sizes),
                           numClasses: task.numClasses, labelRule: task.label, pixelScale: task.pixelScale)
}

// MARK: - CoOp split files (ILM-VP)

/// A CoOp split file (`split_zhou_<Dataset>.json`, renamed `split.json` by ILM-VP):
/// `{"train": [[relpath, label, classname], ...], "val": [...], "test": [...]}`, images under `imageDir`.
/// Sample order = file order; labels as stored (0-based).
public func openCoOpSplit(id: String, splitFile: String, imageDir: String, split: String, numClasses: Int,
                          checkFiles: Bool = true) throws -> ListedDataset {
    guard let raw = FileManager.default.contents(atPath: splitFile) else { throw DataError.missingFile(path: splitFile) }
    let root = try parseOrderedJSON([UInt8](raw), file: splitFile)
    guard let entries = root[split]?.arrayValue else {
        throw DataError.badSplit(spec: split, reason: "\(splitFile) has no list \"\(split)\"")
    }
    var paths: [String] = [], labels: [Int] = []
    for e in entries {
        guard let t = e.arrayValue, t.count == 3, let rel = t[0].stringValue, let l = t[1].intValue, t[2].stringValue != nil else {
            throw DataError.malformedLine(file: splitFile, line: e.line, text: "", expected: "[\"path\", label, \"classname\"] in \"\(split)\"")
        }
        guard l >= 0 && l < numClasses else { throw DataError.labelOutOfRange(file: splitFile, line: e.line, label: l, classes: numClasses) }
        let p = imageDir + "/" + rel
        if checkFiles && !FileManager.default.fileExists(atPath: p) { throw DataError.missingImage(path: p, listedIn: splitFile, line: e.line) }
        paths.append(p); labels.append(l)
    }
    if paths.isEmpty { throw DataError.emptySplit(file: splitFile) }
    return ListedDataset(id: id, split: split, numClasses: numClasses, paths: paths, labels: labels, listFile: splitFile)
}

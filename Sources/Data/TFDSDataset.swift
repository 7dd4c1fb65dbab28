// A TFDS-prepared dataset read straight from its TFRecord shards, sliced with TFDS split strings
// (`train[:800]`, `train[720:920]`, `train[80%:]`, `test[50%:]`, `a+b`) in canonical record order
// (shard 0 first, records in file order), using `dataset_info.json` for per-shard lengths.

import Foundation

/// One contiguous slice of a named TFDS split.
public struct TFDSSlice: Equatable {
    public var split: String
    public var range: Range<Int>
}

/// Parses a TFDS split string against the split sizes. Percent boundaries round the TFDS way
/// (`rounding="closest"`, the default): `int(round(pct * n / 100))` with Python's round-half-to-even;
/// negative boundaries count from the end; boundaries are clamped to 0…n.
public func parseTFDSSplit(_ spec: String, sizes: [String: Int]) throws -> [TFDSSlice] {
    try spec.split(separator: "+").map { part0 -> TFDSSlice in
        let part = part0.trimmingCharacters(in: .whitespaces)
        var name = part, lo: Substring? = nil, hi: Substring? = nil
        if let open = part.firstIndex(of: "[") {
            guard part.hasSuffix("]") else { throw DataError.badSplit(spec: spec, reason: "missing ]") }
            name = String(part[..<open])
            let inner = part[part.index(after: open)..<part.index(before: part.endIndex)]
            let bits = inner.split(separator: ":", omittingEmptySubsequences: false)
            guard bits.count == 2 else { throw DataError.badSplit(spec: spec, reason: "expected [from:to]") }
            lo = bits[0]; hi = bits[1]
        }
        guard let n = sizes[name] else { throw DataError.badSplit(spec: spec, reason: "unknown split \"\(name)\"; have \(sizes.keys.sorted())") }
        func bound(_ s: Substring?, _ dflt: Int) throws -> Int {
            guard let s = s, !s.trimmingCharacters(in: .whitespaces).isEmpty else { return dflt }
            let t = s.trimmingCharacters(in: .whitespaces)
            var v: Int
            if t.hasSuffix("%") {
                guard let p = Int(t.dropLast()), abs(p) <= 100 else { throw DataError.badSplit(spec: spec, reason: "bad percent \(t)") }
                v = Int((Double(p) * Double(n) / 100).rounded(.toNearestOrEven))
            } else {
                guard let a = Int(t) else { throw DataError.badSplit(spec: spec, reason: "bad boundary \(t)") }
                v = a
            }
            if v < 0 { v += n }
            return max(0, min(n, v))
        }
        let a = try bound(lo, 0), b = try bound(hi, n)
        return TFDSSlice(split: name, range: a..<max(a, b))
    }
}

/// VTAB-1k split strings of VPT's `vtab_datasets/*.py` for a task: n = pct% of the train split uses
/// integer floor (`(pct * num_examples) // 100` in those files); `*_pct` test splits are TFDS percent slices.
public func vtabTFDSSplit(_ split: VTABSplit, valFrom: VTABValSource, test: String, trainCount: Int) -> String {
    let val: String
    switch valFrom {
    case let .trainPercent(p): let n = p * trainCount / 100; val = "train[\(n):\(n + 200)]"
    case .validation: val = "validation[:200]"
    case .test: val = "test[:200]"
    }
    switch split {
    case .train800: return "train[:800]"
    case .val200: return val
    case .train800val200: return "train[:800]+" + val
    case .test: return test
    }
}

/// Where a VTAB task takes its val200 from (methods/vpt.md §4 table).
public enum VTABValSource: Equatable, Sendable {
    case trainPercent(Int)
    case validation
    case test
}

/// Examples of a TFDS dataset version directory selected by a split string.
public struct TFDSDataset: ImageDataset {
    public let id: String
    public let split: String
    public let numClasses: Int
    public let imageKey: String
    public let labelKey: String
    /// How a record's label is computed (VTAB tasks derive some labels from other features).
    public let labelRule: TFDSLabelRule
    /// Pixel multiplier applied after decoding (dSprites stores 0/1 and VTAB multiplies by 255 in uint8).
    public let pixelScale: UInt8
    /// The TFDS version directory read.
    public let dir: String
    private let files: [TFRecordFile]
    /// (file index, record index) per sample.
    private let refs: [(Int, Int)]
    private let labels: [Int]

    public var count: Int { refs.count }
    public func label(_ i: Int) -> Int { labels[i] }

    /// Split sizes listed in `<dir>/dataset_info.json` and per-shard lengths.
    public static func shardLengths(dir: String) throws -> [String: [Int]] {
        let infoPath = dir + "/dataset_info.json"
        guard let raw = FileManager.default.contents(atPath: infoPath) else { throw DataError.missingFile(path: infoPath) }
        guard let obj = try? JSONSerialization.jsonObject(with: raw) as? [String: Any],
              let splits = obj["splits"] as? [[String: Any]] else {
            throw DataError.format(file: infoPath, reason: "expected {\"splits\": [{\"name\", \"shardLengths\"}]}")
        }
        var out: [String: [Int]] = [:]
        for s in splits {
            guard let name = s["name"] as? String, let lens = s["shardLengths"] as? [Any] else {
                throw DataError.format(file: infoPath, reason: "split entry without name/shardLengths")
            }
            // proto3 JSON writes int64 as strings; accept numbers too.
            out[name] = try lens.map { v in
                if let s = v as? String, let n = Int(s) { return n }
                if let n = v as? NSNumber { return n.intValue }
                throw DataError.format(file: infoPath, reason: "bad shard length \(v)")
            }
        }
        return out
    }

    /// `dir` is the version directory (`<data_dir>/<name>/<version>`), `name` the TFDS builder name.
    public init(id: String, dir: String, name: String, split spec: String, numClasses: Int,
                imageKey: String = "image", labelKey: String = "label", labelRule: TFDSLabelRule? = nil,
                pixelScale: UInt8 = 1) throws {
        let rule = labelRule ?? .key(labelKey)
        guard FileManager.default.fileExists(atPath: dir) else { throw DataError.missingRoot(path: dir) }
        let lengths = try TFDSDataset.shardLengths(dir: dir)
        let slices = try parseTFDSSplit(spec, sizes: lengths.mapValues { $0.reduce(0, +) })
        var files: [TFRecordFile] = [], fileIndex: [String: Int] = [:], refs: [(Int, Int)] = []
        for sl in slices {
            let shards = lengths[sl.split]!
            var base = 0
            for (s, len) in shards.enumerated() {
                let r = base..<(base + len)
                base += len
                let lo = max(r.lowerBound, sl.range.lowerBound), hi = min(r.upperBound, sl.range.upperBound)
                if lo >= hi { continue } // shard outside the slice: never opened
                let path = dir + "/\(name)-\(sl.split).tfrecord-" + String(format: "%05d-of-%05d", s, shards.count)
                let fi: Int
                if let k = fileIndex[path] { fi = k } else {
                    let f = try TFRecordFile(path: path)
                    guard f.records.count == len else {
                        throw DataError.format(file: path, reason: "holds \(f.records.count) records, dataset_info.json says \(len)")
                    }
                    files.append(f); fi = files.count - 1; fileIndex[path] = fi
                }
                for g in lo..<hi { refs.append((fi, g - r.lowerBound)) }
            }
        }
        var labels: [Int] = []
        for (fi, ri) in refs {
            let ex = try parseExample(files[fi].record(ri), file: files[fi].path)
            let l = try rule.label(ex, file: files[fi].path, record: ri)
            guard l >= 0 && l < numClasses else {
                throw DataError.labelOutOfRange(file: files[fi].path, line: ri, label: Int(l), classes: numClasses)
            }
            labels.append(Int(l))
        }
        if refs.isEmpty { throw DataError.emptySplit(file: dir + " " + spec) }
        self.id = id; self.split = spec; self.numClasses = numClasses
        self.imageKey = imageKey; self.labelKey = labelKey; self.labelRule = rule; self.pixelScale = pixelScale
        self.dir = dir
        self.files = files; self.refs = refs; self.labels = labels
    }

    public func image(_ i: Int) throws -> Image {
        let (fi, ri) = refs[i]
        let ex = try parseExample(files[fi].record(ri), file: files[fi].path)
        guard case let .bytes(v)? = ex[imageKey], let enc = v.first else {
            throw DataError.format(file: files[fi].path, reason: "record \(ri) has no bytes feature \"\(imageKey)\"")
        }
        var img = try ImageDecoder.decode(enc, path: "\(files[fi].path)#\(ri)")
        if pixelScale != 1 { for k in 0..<img.pixels.count { img.pixels[k] = img.pixels[k] &* pixelScale } }
        return img
    }
}

extension TFDSDataset: NamedSource { public var sourceDescription: String { dir + " [" + split + "]" } }

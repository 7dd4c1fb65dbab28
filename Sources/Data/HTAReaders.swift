// Readers for the HTA benchmark exactly as DAM-VP's loaders read it (`shikiw/DAM-VP` @ dec5821,
// `data_utils/datasets/*/dataset.py`; InsVP copies them, SA2VP re-implements them), in the torchvision
// on-disk layouts: CIFAR python pickles, SVHN .mat, GTSRB ppm tree + CSV, DTD label lists, Food-101
// meta json. ILM-VP reads the same layouts with the plain torchvision train/test splits (`.official`).

import Checkpoints
import Foundation
import Tabular

/// How the train/val splits are cut from an official training set (methods/dam_vp.md §4).
public enum TrainValRule: Equatable, Sendable {
    /// `train` = the whole official training set, `test` = the official test set, no `val` (torchvision, ILM-VP).
    case official
    /// `train` = first `int(p·N)` samples in file order, `val` = the rest (DAM-VP CIFAR, SVHN; p = percent/100).
    case headTail(percent: Int)
    /// DAM-VP GTSRB / Food-101: after `random.seed(seed)` the train dataset is built first and calls
    /// `random.shuffle` on the official list, keeping the first `int(p·N)`; the val dataset then rebuilds
    /// the list and shuffles it **again with the advanced generator**, keeping the tail. So train and val
    /// overlap and part of the official train set is in neither — reproduced bit-exactly by `PythonRandom`.
    /// (InsVP builds only train, seed 3407: `.pythonShuffled(seed: 3407, percent: 80)`'s `train` is its split.)
    case pythonShuffled(seed: Int, percent: Int)

    /// Python's `int(percentage * N)` with `percentage = 0.8` (a float): same double, truncated.
    static func head(_ percent: Int, _ n: Int) -> Int { Int((Double(percent) / 100) * Double(n)) }

    /// Indices into the official training list (in its order) that form `split` ("train" or "val").
    public func indices(split: String, count n: Int) throws -> [Int] {
        switch (self, split) {
        case (.official, "train"): return Array(0..<n)
        case let (.headTail(p), "train"): return Array(0..<TrainValRule.head(p, n))
        case let (.headTail(p), "val"): return Array(TrainValRule.head(p, n)..<n)
        case let (.pythonShuffled(seed, p), "train"), let (.pythonShuffled(seed, p), "val"):
            var rng = PythonRandom(seed: seed)
            var order = Array(0..<n)
            rng.shuffle(&order)
            let k = TrainValRule.head(p, n)
            if split == "train" { return Array(order[..<k]) }
            var again = Array(0..<n)
            rng.shuffle(&again)
            return Array(again[k...])
        default:
            throw DataError.badSplit(spec: split, reason: "rule \(self) has splits \(self.splitNames)")
        }
    }

    /// Split names this rule provides (plus the official `test`).
    public var splitNames: [String] {
        if case .official = self { return ["train", "test"] }
        return ["train", "val", "test"]
    }
}

/// Images held in memory as uint8 arrays (CIFAR pickles, SVHN .mat), a subset of rows selected by a split rule.
public struct ArrayImageDataset: ImageDataset {
    /// How sample pixels are laid out in `raw`.
    public enum Layout: Sendable {
        /// CIFAR: row n holds 3072 bytes, channel planes R, G, B of 32×32 (CHW).
        case cifarCHW
        /// SVHN .mat `X`: MATLAB column-major [H, W, C, N]; element (h, w, c, n) at h + H(w + W(c + C·n)).
        case matlabHWCN
    }
    public let id: String
    public let split: String
    public let numClasses: Int
    /// File(s) the arrays came from (named in reports).
    public let source: String
    let layout: Layout
    let raw: [UInt8]
    let side: Int
    let allLabels: [Int]
    /// Selected rows, in split order.
    public let rows: [Int]

    public var count: Int { rows.count }
    public func label(_ i: Int) -> Int { allLabels[rows[i]] }
    public var labels: [Int] { rows.map { allLabels[$0] } }

    public func image(_ i: Int) throws -> Image {
        let n = rows[i], s = side, plane = s * s
        var px = [UInt8](repeating: 0, count: plane * 3)
        raw.withUnsafeBufferPointer { src in
            switch layout {
            case .cifarCHW:
                let base = n * 3 * plane
                for p in 0..<plane { for c in 0..<3 { px[p * 3 + c] = src[base + c * plane + p] } }
            case .matlabHWCN:
                let base = n * 3 * plane
                for h in 0..<s { for w in 0..<s { for c in 0..<3 {
                    px[(h * s + w) * 3 + c] = src[base + c * plane + w * s + h]
                } } }
            }
        }
        return Image(width: s, height: s, channels: 3, pixels: px)
    }
}

// MARK: - CIFAR

/// Which CIFAR release (`cifar-10-batches-py` / `cifar-100-python`).
public enum CIFARVariant: String, Equatable, Sendable {
    case cifar10, cifar100
    var folder: String { self == .cifar10 ? "cifar-10-batches-py" : "cifar-100-python" }
    var trainFiles: [String] { self == .cifar10 ? (1...5).map { "data_batch_\($0)" } : ["train"] }
    var testFiles: [String] { self == .cifar10 ? ["test_batch"] : ["test"] }
    var classes: Int { self == .cifar10 ? 10 : 100 }
}

/// Reads the CIFAR python pickles under `<root>/<variant folder>` (torchvision's `root`), concatenating
/// the batches in torchvision's order; labels from `labels` (CIFAR-10) or `fine_labels` (CIFAR-100).
public func openCIFAR(id: String, root: String, variant: CIFARVariant, split: String, rule: TrainValRule) throws -> ArrayImageDataset {
    let dir = root + "/" + variant.folder
    guard FileManager.default.fileExists(atPath: dir) else { throw DataError.missingRoot(path: dir) }
    let isTest = split == "test"
    if !isTest && !rule.splitNames.contains(split) {
        throw DataError.badSplit(spec: split, reason: "\(id) has splits \(rule.splitNames)")
    }
    var raw: [UInt8] = [], labels: [Int] = []
    var files: [String] = []
    for name in isTest ? variant.testFiles : variant.trainFiles {
        let path = dir + "/" + name
        files.append(path)
        guard FileManager.default.fileExists(atPath: path) else { throw DataError.missingFile(path: path) }
        let value: PickleValue
        do { value = try PickleReader.load(URL(fileURLWithPath: path)) } catch {
            throw DataError.format(file: path, reason: "not a readable CIFAR pickle: \(error)")
        }
        guard let data = value["data"]?.storedTensor else {
            throw DataError.format(file: path, reason: "expected a dict with a numpy array \"data\"")
        }
        guard data.dtype == .u8, data.shape.count == 2, data.shape[1] == 3072 else {
            throw DataError.format(file: path, reason: "\"data\" is \(data.dtype.rawValue)\(data.shape), expected u1[N, 3072]")
        }
        guard let labs = (value["labels"] ?? value["fine_labels"])?.items else {
            throw DataError.format(file: path, reason: "expected a list \"labels\" or \"fine_labels\"")
        }
        guard labs.count == data.shape[0] else {
            throw DataError.format(file: path, reason: "\(labs.count) labels for \(data.shape[0]) images")
        }
        for (k, l) in labs.enumerated() {
            guard let v = l.intValue, v >= 0, v < Int64(variant.classes) else {
                throw DataError.format(file: path, reason: "label \(k) is \(l.shortDescription), expected 0..<\(variant.classes)")
            }
            labels.append(Int(v))
        }
        raw.append(contentsOf: data.data)
    }
    let rows = isTest ? Array(0..<labels.count) : try rule.indices(split: split, count: labels.count)
    return ArrayImageDataset(id: id, split: split, numClasses: variant.classes, source: files.joined(separator: ", "),
                             layout: .cifarCHW, raw: raw, side: 32, allLabels: labels, rows: rows)
}

// MARK: - SVHN

/// Reads `<root>/train_32x32.mat` (train, val) or `<root>/test_32x32.mat`: `X` uint8 [32, 32, 3, N],
/// `y` [N, 1] with digit 0 stored as 10, mapped to 0 as torchvision does.
public func openSVHN(id: String, root: String, split: String, rule: TrainValRule) throws -> ArrayImageDataset {
    guard FileManager.default.fileExists(atPath: root) else { throw DataError.missingRoot(path: root) }
    let isTest = split == "test"
    if !isTest && !rule.splitNames.contains(split) {
        throw DataError.badSplit(spec: split, reason: "\(id) has splits \(rule.splitNames)")
    }
    let path = root + "/" + (isTest ? "test_32x32.mat" : "train_32x32.mat")
    let mat = try readMatFile(path)
    guard let x = mat["X"], x.type == 2, x.dims.count == 4, x.dims[0] == 32, x.dims[1] == 32, x.dims[2] == 3,
          x.raw.count == 3072 * x.dims[3] else {
        throw DataError.format(file: path, reason: "expected uint8 array X of shape [32, 32, 3, N]")
    }
    guard let y = mat["y"] else { throw DataError.format(file: path, reason: "expected array y") }
    let ys = y.ints()
    guard ys.count == x.dims[3] else { throw DataError.format(file: path, reason: "\(ys.count) labels in y for \(x.dims[3]) images in X") }
    var labels: [Int] = []
    labels.reserveCapacity(ys.count)
    for (k, v) in ys.enumerated() {
        guard (0...10).contains(v) else { throw DataError.format(file: path, reason: "y[\(k)] = \(v), expected 1...10 (10 = digit 0)") }
        labels.append(v == 10 ? 0 : v)
    }
    let rows = isTest ? Array(0..<labels.count) : try rule.indices(split: split, count: labels.count)
    return ArrayImageDataset(id: id, split: split, numClasses: 10, source: path, layout: .matlabHWCN,
                             raw: x.raw, side: 32, allLabels: labels, rows: rows)
}

// MARK: - File-list datasets (GTSRB, DTD, Food-101)

/// Python's `sorted()` order on str: by code point, which is UTF-8 byte order.
func pySorted(_ a: [String]) -> [String] { a.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) } }

/// torchvision `make_dataset(dir, extensions=(ext,))`: classes = sorted sub-directory names, then for each
/// class every file below it (sorted `os.walk`, sorted file names) whose lowercased name ends in `ext`.
func imageFolderSamples(_ dir: String, ext: String, maxClasses: Int) throws -> (paths: [String], labels: [Int]) {
    let fm = FileManager.default
    guard let entries = try? fm.contentsOfDirectory(atPath: dir) else { throw DataError.missingRoot(path: dir) }
    func isDir(_ p: String) -> Bool { var d: ObjCBool = false; return fm.fileExists(atPath: p, isDirectory: &d) && d.boolValue }
    let classes = pySorted(entries.filter { isDir(dir + "/" + $0) })
    guard classes.count <= maxClasses else {
        throw DataError.format(file: dir, reason: "\(classes.count) class folders, expected at most \(maxClasses)")
    }
    var paths: [String] = [], labels: [Int] = []
    for (ci, cls) in classes.enumerated() {
        // sorted(os.walk(...)): (root, files) tuples ordered by root path string.
        var walk: [(String, [String])] = []
        var stack = [dir + "/" + cls]
        while let d = stack.popLast() {
            let items = (try? fm.contentsOfDirectory(atPath: d)) ?? []
            var files: [String] = []
            for it in items { if isDir(d + "/" + it) { stack.append(d + "/" + it) } else { files.append(it) } }
            walk.append((d, pySorted(files)))
        }
        walk.sort { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }
        for (d, files) in walk {
            for f in files where f.lowercased().hasSuffix(ext) { paths.append(d + "/" + f); labels.append(ci) }
        }
    }
    return (paths, labels)
}

/// GTSRB in torchvision's layout under `<root>/gtsrb`: train/val from `GTSRB/Training/<class>/*.ppm`
/// (DAM-VP and torchvision both read this folder), test from `GT-final_test.csv` (`;`-separated,
/// `Filename`, `ClassId`) with images in `GTSRB/Final_Test/Images`.
public func openGTSRB(id: String, root: String, split: String, rule: TrainValRule, checkFiles: Bool = true) throws -> ListedDataset {
    let base = root + "/gtsrb"
    guard FileManager.default.fileExists(atPath: base) else { throw DataError.missingRoot(path: base) }
    if split != "test" {
        guard rule.splitNames.contains(split) else { throw DataError.badSplit(spec: split, reason: "\(id) has splits \(rule.splitNames)") }
        let dir = base + "/GTSRB/Training"
        let (paths, labels) = try imageFolderSamples(dir, ext: ".ppm", maxClasses: 43)
        if paths.isEmpty { throw DataError.emptySplit(file: dir) }
        let rows = try rule.indices(split: split, count: paths.count)
        return ListedDataset(id: id, split: split, numClasses: 43, paths: rows.map { paths[$0] },
                             labels: rows.map { labels[$0] }, listFile: dir)
    }
    let csv = base + "/GT-final_test.csv"
    guard FileManager.default.fileExists(atPath: csv) else { throw DataError.missingFile(path: csv) }
    let table: (header: [String], records: [CSVRecord])
    do { table = try CSVReader.read(file: csv, delimiter: UInt8(ascii: ";")) } catch let e as CSVError {
        throw DataError.malformedLine(file: csv, line: e.line, text: "", expected: e.message)
    }
    let header = table.header.map { $0.trimmingCharacters(in: .whitespaces) }
    guard let fi = header.firstIndex(of: "Filename"), let ci = header.firstIndex(of: "ClassId") else {
        throw DataError.format(file: csv, reason: "header \(header) lacks Filename/ClassId")
    }
    let imageDir = base + "/GTSRB/Final_Test/Images"
    var paths: [String] = [], labels: [Int] = []
    for r in table.records {
        let name = r.fields[fi].trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty, let l = Int(r.fields[ci].trimmingCharacters(in: .whitespaces)) else {
            throw DataError.malformedLine(file: csv, line: r.line, text: r.fields.joined(separator: ";"), expected: "Filename;...;ClassId with an integer ClassId")
        }
        guard l >= 0 && l < 43 else { throw DataError.labelOutOfRange(file: csv, line: r.line, label: l, classes: 43) }
        let p = imageDir + "/" + name
        if checkFiles && !FileManager.default.fileExists(atPath: p) { throw DataError.missingImage(path: p, listedIn: csv, line: r.line) }
        paths.append(p); labels.append(l)
    }
    if paths.isEmpty { throw DataError.emptySplit(file: csv) }
    return ListedDataset(id: id, split: split, numClasses: 43, paths: paths, labels: labels, listFile: csv)
}

/// DTD in torchvision's layout: `<root>/dtd/dtd/labels/{train,val,test}<partition>.txt` with `class/name.jpg`
/// lines, images under `dtd/dtd/images`; classes = sorted distinct classes **of that file** (torchvision).
public func openDTD(id: String, root: String, split: String, partition: Int = 1, checkFiles: Bool = true) throws -> ListedDataset {
    let data = root + "/dtd/dtd"
    guard FileManager.default.fileExists(atPath: data) else { throw DataError.missingRoot(path: data) }
    guard ["train", "val", "test"].contains(split) else { throw DataError.badSplit(spec: split, reason: "DTD splits are train, val, test") }
    let list = data + "/labels/\(split)\(partition).txt"
    guard let raw = FileManager.default.contents(atPath: list) else { throw DataError.missingFile(path: list) }
    var paths: [String] = [], classes: [String] = []
    for (n, line0) in String(decoding: raw, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
        let line = line0.trimmingCharacters(in: .whitespacesAndNewlines)
        if line.isEmpty { continue }
        let parts = line.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw DataError.malformedLine(file: list, line: n + 1, text: line, expected: "\"class/image.jpg\"")
        }
        let p = data + "/images/" + line
        if checkFiles && !FileManager.default.fileExists(atPath: p) { throw DataError.missingImage(path: p, listedIn: list, line: n + 1) }
        paths.append(p); classes.append(String(parts[0]))
    }
    if paths.isEmpty { throw DataError.emptySplit(file: list) }
    let names = pySorted(Array(Set(classes)))
    guard names.count <= 47 else { throw DataError.format(file: list, reason: "\(names.count) classes, DTD has 47") }
    let idx = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
    return ListedDataset(id: id, split: split, numClasses: 47, paths: paths, labels: classes.map { idx[$0]! }, listFile: list)
}

/// Food-101 in torchvision's layout: `<root>/food-101/meta/{train,test}.json` (`{class: ["class/id", ...]}`),
/// images `food-101/images/<class>/<id>.jpg`; classes = sorted keys, samples in the file's key order
/// (that order is what `random.shuffle` permutes for DAM-VP's train/val).
public func openFood101(id: String, root: String, split: String, rule: TrainValRule, checkFiles: Bool = true) throws -> ListedDataset {
    let base = root + "/food-101"
    guard FileManager.default.fileExists(atPath: base) else { throw DataError.missingRoot(path: base) }
    let isTest = split == "test"
    if !isTest && !rule.splitNames.contains(split) { throw DataError.badSplit(spec: split, reason: "\(id) has splits \(rule.splitNames)") }
    let file = base + "/meta/\(isTest ? "test" : "train").json"
    guard let raw = FileManager.default.contents(atPath: file) else { throw DataError.missingFile(path: file) }
    let root = try parseOrderedJSON([UInt8](raw), file: file)
    guard case let .object(items, _) = root else { throw DataError.format(file: file, reason: "expected {\"class\": [\"class/id\", ...]}") }
    let names = pySorted(items.map(\.key))
    guard names.count <= 101 else { throw DataError.format(file: file, reason: "\(names.count) classes, Food-101 has 101") }
    let idx = Dictionary(names.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
    var paths: [String] = [], labels: [Int] = []
    for (cls, v) in items {
        guard let arr = v.arrayValue else { throw DataError.format(file: file, reason: "line \(v.line): value of \"\(cls)\" is not a list") }
        for e in arr {
            guard let rel = e.stringValue, !rel.isEmpty else { throw DataError.format(file: file, reason: "line \(e.line): expected an image id string in \"\(cls)\"") }
            let p = base + "/images/" + rel + ".jpg"
            if checkFiles && !FileManager.default.fileExists(atPath: p) { throw DataError.missingImage(path: p, listedIn: file, line: e.line) }
            paths.append(p); labels.append(idx[cls]!)
        }
    }
    if paths.isEmpty { throw DataError.emptySplit(file: file) }
    let rows = isTest ? Array(0..<paths.count) : try rule.indices(split: split, count: paths.count)
    return ListedDataset(id: id, split: split, numClasses: 101, paths: rows.map { paths[$0] }, labels: rows.map { labels[$0] }, listFile: file)
}

// MARK: - Flowers-102 (torchvision .mat layout)

/// Oxford Flowers-102 in torchvision's layout `<root>/flowers-102/{jpg/image_%05d.jpg, imagelabels.mat, setid.mat}`:
/// split ids from `setid.mat` (`trnid`, `valid`, `tstid`, 1-based image ids, file order), label =
/// `imagelabels[id − 1] − 1`. NOTE: DAM-VP's HTA Flowers reads VPT's json split instead (`hta/oxford_flowers`);
/// this reader serves the official split (torchvision `Flowers102`) and is not registered under `hta/`.
public func openFlowers102Mat(id: String, root: String, split: String, checkFiles: Bool = true) throws -> ListedDataset {
    let base = root + "/flowers-102"
    guard FileManager.default.fileExists(atPath: base) else { throw DataError.missingRoot(path: base) }
    let key: String
    switch split {
    case "train": key = "trnid"
    case "val": key = "valid"
    case "test": key = "tstid"
    default: throw DataError.badSplit(spec: split, reason: "Flowers-102 splits are train, val, test")
    }
    let setPath = base + "/setid.mat", labPath = base + "/imagelabels.mat"
    guard let ids = try readMatFile(setPath)[key]?.ints() else { throw DataError.format(file: setPath, reason: "expected array \(key)") }
    guard let labs = try readMatFile(labPath)["labels"]?.ints() else { throw DataError.format(file: labPath, reason: "expected array labels") }
    var paths: [String] = [], labels: [Int] = []
    for (k, i) in ids.enumerated() {
        guard i >= 1 && i <= labs.count else {
            throw DataError.format(file: setPath, reason: "\(key)[\(k)] = \(i), expected an image id in 1...\(labs.count)")
        }
        let l = labs[i - 1] - 1
        guard l >= 0 && l < 102 else { throw DataError.format(file: labPath, reason: "labels[\(i - 1)] = \(l + 1), expected 1...102") }
        let p = base + "/jpg/" + String(format: "image_%05d.jpg", i)
        if checkFiles && !FileManager.default.fileExists(atPath: p) { throw DataError.missingFile(path: p) }
        paths.append(p); labels.append(l)
    }
    if paths.isEmpty { throw DataError.emptySplit(file: setPath) }
    return ListedDataset(id: id, split: split, numClasses: 102, paths: paths, labels: labels, listFile: setPath)
}

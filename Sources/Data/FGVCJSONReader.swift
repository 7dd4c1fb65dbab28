// VPT's FGVC json splits (`<datasetDir>/{train,val,test}.json`: image path → class id), read as the
// published files are: CUB's ids are strings ("001"…"200"), NABirds/Flowers/Dogs/Cars' are integers.
//
// Official mapping (KMnP/vpt@4410440 src/data/datasets/json_dataset.py:60-61): each split file maps
// `sorted(list(set(anno.values())))` to 0..<C on its own, and samples keep the file's order
// (`anno.items()`, :65). Where a split lacks a class (the published NABirds val.json holds 553 of 555),
// that split's labels are shifted against train's. `FGVCLabelMapping.fixed` maps every split through
// train.json's ids instead, so a class keeps one label everywhere.

import Foundation

/// How FGVC class ids become labels 0..<C.
public enum FGVCLabelMapping: String, Codable, Sendable, CaseIterable {
    /// Each split file's own sorted distinct ids (the official code).
    case official
    /// train.json's sorted distinct ids for every split (`--label-mapping fixed`).
    case fixed
}

/// A class id as written in a split file: Python sorts strings by code point and ints numerically, and
/// refuses to compare the two.
enum FGVCClassID: Hashable, Comparable {
    case int(Int)
    case string(String)

    static func < (a: FGVCClassID, b: FGVCClassID) -> Bool {
        switch (a, b) {
        case let (.int(x), .int(y)): return x < y
        case let (.string(x), .string(y)): return x.unicodeScalars.lexicographicallyPrecedes(y.unicodeScalars) { $0.value < $1.value }
        case (.int, .string): return true  // never reached: mixed files are refused before sorting
        case (.string, .int): return false
        }
    }
    var text: String {
        switch self { case let .int(n): return "\(n)"; case let .string(s): return "\"\(s)\"" }
    }
}

/// One parsed split file: entries in file order (a repeated key keeps its first position and last value,
/// as Python's dict does) and the problems found.
struct FGVCSplitFile {
    var file: String
    var entries: [(key: String, id: FGVCClassID, line: Int)] = []
    var problems: [DataProblem] = []
    var classIDs: [FGVCClassID] { Array(Set(entries.map(\.id))).sorted() }

    init(file: String, split: String) throws {
        self.file = file
        guard let raw = FileManager.default.contents(atPath: file) else { throw DataError.missingFile(path: file) }
        guard case let .object(items, _) = try parseOrderedJSON([UInt8](raw), file: file) else {
            throw DataError.format(file: file, reason: "expected a JSON object {\"path\": label}")
        }
        var index: [String: Int] = [:]
        var firstString: (String, Int)? = nil, firstInt: (String, Int)? = nil
        for (key, value) in items {
            let id: FGVCClassID
            switch value {
            case let .string(s, _): id = .string(s); if firstString == nil { firstString = (key, value.line) }
            case .number:
                guard let n = value.intValue else {
                    problems.append(DataProblem(.badLabel, split: split, file: file, line: value.line, key: key,
                                                "label is not an integer or a string")); continue
                }
                id = .int(n); if firstInt == nil { firstInt = (key, value.line) }
            default:
                problems.append(DataProblem(.badLabel, split: split, file: file, line: value.line, key: key,
                                            "label is not an integer or a string")); continue
            }
            if let at = index[key] {
                problems.append(DataProblem(.duplicate, split: split, file: file, line: value.line, key: key,
                                            "key repeated (first on line \(entries[at].line)); Python keeps the last label"))
                entries[at].id = id
            } else {
                index[key] = entries.count
                entries.append((key, id, value.line))
            }
        }
        if let s = firstString, let i = firstInt {
            problems.append(DataProblem(.badLabel, split: split, file: file, line: max(s.1, i.1),
                                        "mixes string labels (\"\(s.0)\", line \(s.1)) and integer labels (\"\(i.0)\", line \(i.1)); "
                                        + "the official code's sorted() cannot order them"))
            entries = []
        }
    }
}

extension ListedDataset {
    /// VPT FGVC json split: `<datasetDir>/<split>.json` maps image paths (relative to `imageDir`) to class ids.
    /// Throws every problem of the split file at once (`DataError.problems`).
    public static func fgvcJSON(id: String, datasetDir: String, imageDir: String, split: String, numClasses: Int,
                                checkFiles: Bool = true, labelMapping: FGVCLabelMapping = .official) throws -> ListedDataset {
        let (d, problems) = try scanFGVCJSON(id: id, datasetDir: datasetDir, imageDir: imageDir, split: split,
                                             numClasses: numClasses, checkFiles: checkFiles, labelMapping: labelMapping)
        if !problems.isEmpty { throw DataError.problems(problems) }
        return d
    }

    /// The split's good entries plus every problem (bad or mixed label types, repeated keys, labels that map
    /// outside 0..<numClasses, missing images). Throws only when a split file cannot be read or parsed.
    public static func scanFGVCJSON(id: String, datasetDir: String, imageDir: String, split: String, numClasses: Int,
                                    checkFiles: Bool = true, labelMapping: FGVCLabelMapping = .official) throws -> (ListedDataset, [DataProblem]) {
        let fm = FileManager.default
        guard fm.fileExists(atPath: datasetDir) else { throw DataError.missingRoot(path: datasetDir) }
        let file = datasetDir + "/" + split + ".json"
        let anno = try FGVCSplitFile(file: file, split: split)
        var problems = anno.problems
        let mapFile = labelMapping == .fixed && split != "train" ? try FGVCSplitFile(file: datasetDir + "/train.json", split: "train") : anno
        let classIDs = mapFile.classIDs
        let cont = Dictionary(uniqueKeysWithValues: classIDs.enumerated().map { ($1, $0) })
        if labelMapping == .official && classIDs.count > numClasses {
            problems.append(DataProblem(.tooManyClasses, split: split, file: file,
                                        "\(classIDs.count) distinct class ids, the dataset has \(numClasses) classes"))
        }
        var paths: [String] = [], labels: [Int] = [], lines: [Int] = []
        for (key, raw, line) in anno.entries {
            var good = true
            if let l = cont[raw] {
                if l >= numClasses {
                    problems.append(DataProblem(.labelOutOfRange, split: split, file: file, line: line, key: key,
                                                "class id \(raw.text) maps to label \(l), outside 0..<\(numClasses)"))
                    good = false
                }
            } else {
                problems.append(DataProblem(.labelOutOfRange, split: split, file: file, line: line, key: key,
                                            "class id \(raw.text) is not one of the \(classIDs.count) class ids of train.json (--label-mapping fixed)"))
                good = false
            }
            let path = imageDir + "/" + key
            if checkFiles && !fm.fileExists(atPath: path) {
                problems.append(DataProblem(.missingImage, split: split, file: file, line: line, key: key, "image \(path) does not exist"))
                good = false
            }
            if good { paths.append(path); labels.append(cont[raw]!); lines.append(line) }
        }
        if anno.entries.isEmpty && problems.isEmpty {
            problems.append(DataProblem(.emptySplit, split: split, file: file, "split is empty"))
        }
        return (ListedDataset(id: id, split: split, numClasses: numClasses, paths: paths, labels: labels, listFile: file, lines: lines), problems)
    }
}

// Readers for the two file-list layouts: the VTAB-1k image-folder release (SSF/NOAH/SA²VP/DA-VPT:
// `<root>/<task>/<split>.txt` with `relative/path label` lines) and VPT's FGVC json splits
// (`<root>/<dataset>/{train,val,test}.json`, image path → class id).

import Foundation

/// Samples listed in a file: image paths (absolute) and labels, read eagerly and validated.
public struct ListedDataset: ImageDataset {
    public let id: String
    public let split: String
    public let numClasses: Int
    public let paths: [String]
    public let labels: [Int]
    /// The list file the samples came from (named in errors).
    public let listFile: String

    public var count: Int { paths.count }
    public func label(_ i: Int) -> Int { labels[i] }
    public func image(_ i: Int) throws -> Image { try ImageDecoder.decode(contentsOf: paths[i]) }

    /// VTAB-1k image-folder split: `<taskDir>/<split>.txt`, paths relative to `taskDir`.
    public static func vtabFolder(id: String, taskDir: String, split: VTABSplit, numClasses: Int,
                                  checkFiles: Bool = true) throws -> ListedDataset {
        let fm = FileManager.default
        guard fm.fileExists(atPath: taskDir) else { throw DataError.missingRoot(path: taskDir) }
        let list = taskDir + "/" + split.rawValue + ".txt"
        guard let raw = fm.contents(atPath: list) else { throw DataError.missingFile(path: list) }
        guard let text = String(data: raw, encoding: .utf8) else {
            throw DataError.format(file: list, reason: "not UTF-8 text")
        }
        var paths: [String] = [], labels: [Int] = []
        for (n, line0) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = line0.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty { continue }
            // The label is the last field; the path may contain spaces (split at the last blank).
            guard let sp = line.lastIndex(where: { $0 == " " || $0 == "\t" }),
                  let label = Int(line[line.index(after: sp)...]) else {
                throw DataError.malformedLine(file: list, line: n + 1, text: line, expected: "\"relative/path label\"")
            }
            let rel = line[..<sp].trimmingCharacters(in: .whitespaces)
            if rel.isEmpty {
                throw DataError.malformedLine(file: list, line: n + 1, text: line, expected: "\"relative/path label\"")
            }
            guard label >= 0 && label < numClasses else {
                throw DataError.labelOutOfRange(file: list, line: n + 1, label: label, classes: numClasses)
            }
            let path = taskDir + "/" + rel
            if checkFiles && !fm.fileExists(atPath: path) {
                throw DataError.missingImage(path: path, listedIn: list, line: n + 1)
            }
            paths.append(path); labels.append(label)
        }
        if paths.isEmpty { throw DataError.emptySplit(file: list) }
        return ListedDataset(id: id, split: split.rawValue, numClasses: numClasses, paths: paths, labels: labels, listFile: list)
    }

    /// VPT FGVC json split: `<datasetDir>/<split>.json` maps image paths (relative to `imageDir`) to class ids.
    /// Class ids are mapped to 0..<C through the sorted distinct ids of `train.json` (VPT maps each split's
    /// own sorted ids, `json_dataset.py:_class_id_cont_id`; identical when every split holds every class).
    /// NOTE: samples are ordered by path (JSONSerialization does not keep file order; eval order only).
    public static func fgvcJSON(id: String, datasetDir: String, imageDir: String, split: String, numClasses: Int,
                                checkFiles: Bool = true) throws -> ListedDataset {
        let fm = FileManager.default
        guard fm.fileExists(atPath: datasetDir) else { throw DataError.missingRoot(path: datasetDir) }
        func load(_ name: String) throws -> [String: Int] {
            let file = datasetDir + "/" + name + ".json"
            guard let raw = fm.contents(atPath: file) else { throw DataError.missingFile(path: file) }
            guard let obj = try? JSONSerialization.jsonObject(with: raw), let dict = obj as? [String: Any] else {
                throw DataError.format(file: file, reason: "expected a JSON object {\"path\": label}")
            }
            var out: [String: Int] = [:]
            for (k, v) in dict {
                guard let n = v as? NSNumber, Double(n.intValue) == n.doubleValue else {
                    throw DataError.format(file: file, reason: "label of \"\(k)\" is \(v), expected an integer")
                }
                out[k] = n.intValue
            }
            return out
        }
        let file = datasetDir + "/" + split + ".json"
        let anno = try load(split)
        let trainIds = split == "train" ? anno : try load("train")
        let classIds = Array(Set(trainIds.values)).sorted()
        let cont = Dictionary(uniqueKeysWithValues: classIds.enumerated().map { ($1, $0) })
        var paths: [String] = [], labels: [Int] = []
        for key in anno.keys.sorted() {
            let raw = anno[key]!
            guard let l = cont[raw], l < numClasses else {
                throw DataError.format(file: file, reason: "label \(raw) of \"\(key)\" is not one of the \(min(classIds.count, numClasses)) classes of train.json")
            }
            let path = imageDir + "/" + key
            if checkFiles && !fm.fileExists(atPath: path) {
                throw DataError.format(file: file, reason: "image \(path) does not exist")
            }
            paths.append(path); labels.append(l)
        }
        if paths.isEmpty { throw DataError.emptySplit(file: file) }
        return ListedDataset(id: id, split: split, numClasses: numClasses, paths: paths, labels: labels, listFile: file)
    }
}

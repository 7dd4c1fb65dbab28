// Readers for the two file-list layouts: the VTAB-1k image-folder release (SSF/NOAH/SA²VP/DA-VPT:
// `<root>/<task>/<split>.txt` with `relative/path label` lines) and VPT's FGVC json splits
// (`<root>/<dataset>/{train,val,test}.json`, image path → class id; FGVCJSONReader.swift).

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
    /// 1-based line (or JSON value line) of each sample in `listFile`, for messages.
    public var lines: [Int] = []

    public var count: Int { paths.count }
    public func label(_ i: Int) -> Int { labels[i] }
    public func image(_ i: Int) throws -> Image { try ImageDecoder.decode(contentsOf: paths[i]) }

    /// VTAB-1k image-folder split: `<taskDir>/<split>.txt`, paths relative to `taskDir`. Throws every
    /// problem of the list file at once (`DataError.problems`).
    public static func vtabFolder(id: String, taskDir: String, split: VTABSplit, numClasses: Int,
                                  checkFiles: Bool = true) throws -> ListedDataset {
        let (d, problems) = try scanVTABFolder(id: id, taskDir: taskDir, split: split, numClasses: numClasses, checkFiles: checkFiles)
        if !problems.isEmpty { throw DataError.problems(problems) }
        return d
    }

    /// Reads the list file and returns its good entries plus one problem per bad line (malformed line,
    /// label outside 0..<numClasses, missing image, duplicate path, empty split). Throws only when the list
    /// file itself cannot be read.
    public static func scanVTABFolder(id: String, taskDir: String, split: VTABSplit, numClasses: Int,
                                      checkFiles: Bool = true) throws -> (ListedDataset, [DataProblem]) {
        let fm = FileManager.default
        guard fm.fileExists(atPath: taskDir) else { throw DataError.missingRoot(path: taskDir) }
        let list = taskDir + "/" + split.rawValue + ".txt"
        guard let raw = fm.contents(atPath: list) else { throw DataError.missingFile(path: list) }
        guard let text = String(data: raw, encoding: .utf8) else {
            throw DataError.format(file: list, reason: "not UTF-8 text")
        }
        var paths: [String] = [], labels: [Int] = [], lines: [Int] = []
        var problems: [DataProblem] = []
        var firstLine: [Substring: Int] = [:]
        func problem(_ kind: DataProblem.Kind, _ n: Int, _ message: String) {
            problems.append(DataProblem(kind, split: split.rawValue, file: list, line: n, message))
        }
        for (i, line0) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let n = i + 1
            let line = line0.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty { continue }
            // The label is the last field; the path may contain spaces (split at the last blank).
            guard let sp = line.lastIndex(where: { $0 == " " || $0 == "\t" }),
                  !line[..<sp].trimmingCharacters(in: .whitespaces).isEmpty else {
                problem(.malformedLine, n, "malformed line \"\(line.prefix(80))\", expected \"relative/path label\""); continue
            }
            let field = line[line.index(after: sp)...]
            guard let label = Int(field) else {
                problem(.badLabel, n, "label \"\(field.prefix(40))\" is not an integer"); continue
            }
            let rel = Substring(line[..<sp].trimmingCharacters(in: .whitespaces))
            var good = true
            if label < 0 || label >= numClasses { problem(.labelOutOfRange, n, "label \(label) outside 0..<\(numClasses)"); good = false }
            let path = taskDir + "/" + rel
            if let first = firstLine[rel] {
                problem(.duplicate, n, "\(rel) is listed again (first on line \(first))")
            } else {
                firstLine[rel] = n
            }
            if checkFiles && !fm.fileExists(atPath: path) { problem(.missingImage, n, "image \(path) does not exist"); good = false }
            if good { paths.append(path); labels.append(label); lines.append(n) }
        }
        if paths.isEmpty && problems.isEmpty {
            problems.append(DataProblem(.emptySplit, split: split.rawValue, file: list, "split is empty"))
        }
        return (ListedDataset(id: id, split: split.rawValue, numClasses: numClasses, paths: paths, labels: labels,
                              listFile: list, lines: lines), problems)
    }
}

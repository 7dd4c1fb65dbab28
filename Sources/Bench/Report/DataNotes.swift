// Footer notes on the data behind a report, read from each run's metadata.json `data` (DataCheck.swift):
// the data source, the FGVC label mapping and which split each split file is, so a reproduced number is
// never set beside a paper's without saying which split produced it. A report that mixes VTAB-1k from TFDS
// records with VTAB-1k from the image-folder release says so.
import Foundation

extension RunAggregator {
    /// One note per distinct data description (datasets sharing one are listed together), plus a warning
    /// when VTAB-1k sources are mixed and a count of runs that record no data source.
    public static func dataNotes(runs: URL, summaries: [RunSummary]) -> [String] {
        var byText: [String: Set<String>] = [:]
        var sources = Set<String>()
        var without = 0
        for s in summaries {
            let url = RunStore.folder(runs: runs, cell: s.cell, seed: s.seed).appendingPathComponent("metadata.json")
            guard let raw = FileManager.default.contents(atPath: url.path),
                  let obj = try? JSONSerialization.jsonObject(with: raw) as? [String: Any] else { continue }
            guard let data = obj["data"] as? [String: Any], let source = data["source"] as? String else { without += 1; continue }
            sources.insert(source)
            var text = source
            if let m = data["labelMapping"] as? String { text += ", label mapping `\(m)`" }
            let files = (data["splitFiles"] as? [[String: Any]]) ?? []
            let verdicts = files.compactMap { f -> String? in
                guard let split = f["split"] as? String, let v = f["verdict"] as? String else { return nil }
                return "\(split): \(v)"
            }
            text += verdicts.isEmpty ? "; no split file identified" : "; split files: " + verdicts.joined(separator: ", ")
            byText[text, default: []].insert(s.dataset)
        }
        var notes = byText.keys.sorted().map { "Data: \(byText[$0]!.sorted().joined(separator: ", ")): \($0) (from metadata.json)." }
        if sources.contains(where: { $0.hasPrefix("vtab1k-tfds") }) && sources.contains(where: { $0.hasPrefix("vtab1k-image-folder") }) {
            notes.append("Data sources differ: this report mixes VTAB-1k read from TFDS records with VTAB-1k from the "
                         + "image-folder release (images re-written as files; a user reports about 70% against 80% on CIFAR-100, "
                         + "visinf/adapter_plus #3); their numbers are not comparable.")
        }
        if without > 0 && !notes.isEmpty {
            notes.append("Data: \(without) run(s) record no data source (built-in tasks, or runs recorded before metadata.json had `data`).")
        }
        return notes
    }
}

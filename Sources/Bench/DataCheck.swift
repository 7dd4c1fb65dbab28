// Before a run reads a data tree it is checked the way `bench verify-data` checks it (without decoding
// images): a tree with problems is refused with every problem named, not only the first. The run records
// where its data came from (data source, FGVC label mapping, which split each split file is) in
// metadata.json's `data`, which the report footer reads.
import Data
import Foundation

/// metadata.json's `data` object.
public struct RunDataRecord: Codable, Sendable, Equatable {
    public var dataset: String
    /// `vtab1k-tfds-records`, `vtab1k-image-folder`, `fgvc-json`, … (`dataSource(id:)`).
    public var source: String
    /// FGVC json datasets only: `official` (each split's own sorted ids) or `fixed` (train.json's ids).
    public var labelMapping: String?
    /// Each split file against the published splits.
    public var splitFiles: [SplitIdentity]
}

enum DataCheck {
    /// Checks splits `plan` of dataset `id` under `root` and returns them opened with the run's data record.
    static func open(id given: String, root: String, plan: SplitPlan, cell: String, labelMapping: FGVCLabelMapping,
                     log: (String) -> Void = { _ in }) throws -> (any ImageDataset, (any ImageDataset)?, any ImageDataset, RunDataRecord) {
        let id = resolveDatasetId(given).id  // an old spelling (`vtab/<task>`) reads as its registered id
        // Every split of the dataset, not only this run's: a grid run (train800 → val200) must not pass a tree
        // whose test split the final run would refuse.
        let all = datasetRegistry[id].map { Array($0.expected.splits.keys) } ?? []
        let names = Array(Set([plan.train, plan.test] + (plan.val.map { [$0] } ?? []) + all)).sorted()
        let report = verifyData(root: root, dataset: id, decodeImages: false, labelMapping: labelMapping, splits: names)
        guard report.ok else {
            let errors = report.errors
            throw CellError(message: "cell \(cell): \(root) has \(errors.count) data problem(s); fix them (details: "
                            + "bench verify-data --root \(root) --dataset \(id)):\n" + errors.map { "  \($0)" }.joined(separator: "\n"))
        }
        for w in report.warnings where w.kind == .splitIdentity { log("warning: \(w)") }
        func get(_ s: String) throws -> any ImageDataset {
            guard let d = report.opened[s] else { throw CellError(message: "cell \(cell): split \(s) of \(id) was not read") }
            return d
        }
        let fgvc: Bool
        if case .fgvcJSON? = datasetRegistry[id]?.layout { fgvc = true } else { fgvc = false }
        let record = RunDataRecord(dataset: id, source: report.dataSource, labelMapping: fgvc ? labelMapping.rawValue : nil,
                                   splitFiles: report.identities)
        return (try get(plan.train), try plan.val.map(get), try get(plan.test), record)
    }
}

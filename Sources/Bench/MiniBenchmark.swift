// The built-in mini benchmark: every method with a mini recipe, on the built-in tasks, on the mini ViT the
// suite pretrains itself. `bench` with no arguments runs it with one seed and prints its table; its
// recorded results (results/baselines/mini.csv) serve as the table's "reported" numbers.
import Foundation
import PaperTables

public enum MiniBenchmark {
    public static let tableId = "mini"

    /// The methods `bench` (the default job) runs: the seed papers' methods and the baselines they all print, 15 × 6
    /// cells in about 9 minutes on 2 cores. `bench reproduce --table mini` runs every method with a mini recipe;
    /// the default job stays inside its 10-minute budget however many baselines are added.
    public static let defaultMethods: Set<String> = [
        "linear", "full", "partial-1", "bias", "adapter", "vpt-shallow", "vpt-deep", "e2vpt", "sa2vp", "insvp", "da-vpt",
        "dam-vp", "ilm-vp", "flm-vp", "rlm-vp",
    ]

    /// The mini table's layout: from results/baselines/mini.csv when it exists, else from the catalog with no
    /// reported numbers.
    public static func spec(root: URL = CellCatalog.root()) throws -> TableSpec {
        let baseline = root.appendingPathComponent("results/baselines/mini.csv")
        if FileManager.default.fileExists(atPath: baseline.path) {
            // The recorded numbers, laid out in the benchmark's own task order.
            var spec = try TableSpec.baseline(id: tableId, file: baseline.path)
            let order = CellCatalog.miniTasks.map(\.rawValue)
            let datasets = order.filter(spec.datasetColumns.contains) + spec.datasetColumns.filter { !order.contains($0) }
            spec.columns = TableSpec.columns(benchmark: "mini", datasets: datasets, meanRule: .datasets)
            spec.caption = "built-in mini benchmark; reported = results/baselines/mini.csv"
            // Methods with a mini recipe but no recorded row yet still get a row (with no reported numbers).
            for c in CellCatalog.miniCells(root: root) where !spec.rows.contains(where: { $0.method == c.key.method }) {
                spec.rows.append(TableRow(method: c.key.method, backbone: c.key.backbone, label: c.key.method, ranked: true))
            }
            return spec
        }
        let cells = CellCatalog.miniCells(root: root)
        var rows: [TableRow] = []
        for c in cells where !rows.contains(where: { $0.method == c.key.method }) {
            rows.append(TableRow(method: c.key.method, backbone: c.key.backbone, label: c.key.method, ranked: true))
        }
        let datasets = CellCatalog.miniTasks.map(\.rawValue)
        return TableSpec(id: tableId, benchmark: "mini", backbone: "vit-mini",
                         columns: TableSpec.columns(benchmark: "mini", datasets: datasets, meanRule: .datasets),
                         rows: rows, meanRule: .datasets, reported: [:], caption: "built-in mini benchmark (no baseline recorded yet)")
    }
}

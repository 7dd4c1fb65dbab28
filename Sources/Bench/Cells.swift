// Cells: the unit of work. A cell is (benchmark, dataset, method, backbone) plus the recipe and data
// source that make it runnable. Tables list their cells; `bench run --cell <id>` runs one.
import Data
import Foundation
import Methods
import PaperTables

/// Where a cell's images come from.
public enum DataSource: Sendable, Equatable {
    /// A built-in procedurally generated task (no files).
    case builtin(BuiltinTask)
    /// A reader from Data's `datasetRegistry`, reading under `--data-root`.
    case registry(String)
}

/// Which splits a benchmark trains, validates and tests on.
public struct SplitPlan: Sendable, Equatable {
    public var train: String
    public var val: String?
    public var test: String
}

/// A runnable cell.
public struct Cell: Sendable {
    public var key: CellKey
    public var recipeFile: URL
    public var source: DataSource
    public var splits: SplitPlan
    public var id: String { key.id }
}

/// A problem finding or building a cell.
public struct CellError: Error, CustomStringConvertible {
    public let message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}

/// All cells the suite knows, by table.
public enum CellCatalog {
    /// The built-in mini benchmark's target tasks: natural-like, specialized-like and structured.
    public static let miniTasks: [BuiltinTask] = [.scenes, .texture, .shapes, .clevr_count, .dsprites_loc, .dsprites_ori]

    /// Repository root (recipes/, paper-tables/, weights/ live there): $VPT_ROOT, else the working directory when it
    /// has recipes/, else the repository the running `bench` was built in.
    public static func root() -> URL {
        if let r = ProcessInfo.processInfo.environment["VPT_ROOT"] { return URL(fileURLWithPath: r) }
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        if FileManager.default.fileExists(atPath: cwd.appendingPathComponent("recipes").path) { return cwd }
        return builtInRepository() ?? cwd
    }

    /// The first ancestor of the running executable with a Package.swift and recipes/ (a `bench` built in place).
    static func builtInRepository() -> URL? {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        while dir.path != "/" {
            let fm = FileManager.default
            if fm.fileExists(atPath: dir.appendingPathComponent("Package.swift").path), fm.fileExists(atPath: dir.appendingPathComponent("recipes").path) {
                return dir
            }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }

    /// Recipe for (benchmark, method, dataset, backbone): `recipes/<b>/<m>/<backbone>/<d>.yaml` (papers that publish
    /// other hyper-parameters per backbone, e.g. DA-VPT's `mae_*` configs), else `recipes/<b>/<m>/<d>.yaml`, else
    /// `recipes/<b>/<m>.yaml`.
    public static func recipeFile(benchmark: String, method: String, dataset: String, backbone: String? = nil, root: URL = root()) -> URL? {
        recipeCandidates(benchmark: benchmark, method: method, dataset: dataset, backbone: backbone, root: root)
            .first { FileManager.default.fileExists(atPath: $0.path) }
    }

    /// The paths `recipeFile` tries, most specific first.
    public static func recipeCandidates(benchmark: String, method: String, dataset: String, backbone: String? = nil, root: URL = root()) -> [URL] {
        let base = root.appendingPathComponent("recipes").appendingPathComponent(benchmark)
        var out: [URL] = []
        if let backbone, !backbone.isEmpty, !dataset.isEmpty {
            out.append(base.appendingPathComponent(method).appendingPathComponent(backbone).appendingPathComponent(dataset + ".yaml"))
        }
        out.append(base.appendingPathComponent(method).appendingPathComponent(dataset + ".yaml"))
        out.append(base.appendingPathComponent(method + ".yaml"))
        return out
    }

    static func splits(for benchmark: String) -> SplitPlan {
        switch benchmark {
        case "mini": return SplitPlan(train: "train800", val: "val200", test: "test")
        // VPT protocol final runs: train on train800val200, report test; val200 is inside the training data.
        case "vtab1k": return SplitPlan(train: "train800val200", val: "val200", test: "test")
        default: return SplitPlan(train: "train", val: "val", test: "test")
        }
    }

    static func registryId(benchmark: String, dataset: String) -> String {
        switch benchmark {
        case "vtab1k": return "vtab1k/" + dataset
        case "fgvc": return dataset
        default: return benchmark + "/" + dataset
        }
    }

    /// The mini table: every registered method with a `recipes/mini/<method>.yaml`, on every mini task, on the
    /// mini ViT unless the recipe names another backbone (`backbone: resnet-mini` for the CNN methods).
    public static func miniCells(root: URL = root()) -> [Cell] {
        var out: [Cell] = []
        for method in methodRegistry.keys.sorted() {
            guard let recipe = recipeFile(benchmark: "mini", method: method, dataset: "", root: root) else { continue }
            // An unreadable recipe keeps the default here and fails with its own message when the cell runs.
            let backbone = ((try? Recipe.load(recipe))?.backbone) ?? "vit-mini"
            for task in miniTasks {
                out.append(Cell(key: CellKey(benchmark: "mini", dataset: task.rawValue, method: method, backbone: backbone),
                                recipeFile: recipe, source: .builtin(task), splits: splits(for: "mini")))
            }
        }
        return out
    }

    /// Runnable cells of a table: `mini`, or a paper table's cells whose method, backbone, reader and recipe all
    /// resolve (`CellClassifier`); `skipped` receives the others, each with what it lacks.
    public static func cells(table: String, root: URL = root(), skipped: ((CellReadiness) -> Void)? = nil) throws -> [Cell] {
        if table == "mini" { return miniCells(root: root) }
        let bundle = try PaperTablesBundle(directory: root.appendingPathComponent("paper-tables").path)
        guard bundle.tables.contains(where: { $0.name == table + ".csv" }) else {
            let known = (["mini"] + bundle.tables.map { String($0.name.dropLast(4)) }).sorted().joined(separator: ", ")
            throw CellError(message: "unknown table '\(table)'; known: \(known)")
        }
        let classifier = CellClassifier(root: root)
        var out: [Cell] = []
        for key in bundle.registry.cellsByTable[table + ".csv", default: []].sorted() {
            let r = classifier.classify(key)
            guard r.runnable, let recipe = r.recipeFile else { skipped?(r); continue }
            out.append(Cell(key: key, recipeFile: recipe, source: .registry(registryId(benchmark: key.benchmark, dataset: key.dataset)),
                            splits: splits(for: key.benchmark)))
        }
        return out
    }

    /// A cell by id (`<benchmark>/<dataset>/<method>/<backbone>`); one that cannot start throws naming every
    /// missing piece (method, backbone, reader, recipe) at once.
    /// `classifier` lets a caller that looks up many cells share one (its method builds are cached).
    public static func cell(id: String, root: URL = root(), classifier: CellClassifier? = nil) throws -> Cell {
        let parts = id.split(separator: "/").map(String.init)
        guard parts.count == 4 else { throw CellError(message: "cell id '\(id)' must be <benchmark>/<dataset>/<method>/<backbone>") }
        let key = CellKey(benchmark: parts[0], dataset: parts[1], method: parts[2], backbone: parts[3])
        let r = (classifier ?? CellClassifier(root: root)).classify(key)
        guard r.runnable, let recipe = r.recipeFile else {
            var m = r.message
            if r.needs.contains(where: { if case .method = $0 { return true }; return false }) {
                m += " (implemented: \(methodRegistry.keys.sorted().joined(separator: ", ")))"
            }
            throw CellError(message: m)
        }
        if key.benchmark == "mini", let task = BuiltinTask(rawValue: key.dataset) {
            return Cell(key: key, recipeFile: recipe, source: .builtin(task), splits: splits(for: "mini"))
        }
        return Cell(key: key, recipeFile: recipe, source: .registry(registryId(benchmark: key.benchmark, dataset: key.dataset)),
                    splits: splits(for: key.benchmark))
    }
}

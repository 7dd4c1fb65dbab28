// `bench list`, `bench tables`, `bench inspect`, `bench verify-data`.
import ArgumentParser
import Bench
import Data
import Foundation
import Methods
import PaperTables

extension CellReadiness.Status: ExpressibleByArgument {}
extension FGVCLabelMapping: ExpressibleByArgument {}

/// The suite's classification of registry cells, for PaperTables' list and coverage texts.
func classification(_ classifier: CellClassifier = CellClassifier()) -> CellClassification {
    { key in
        let r = classifier.classify(key)
        return (r.status.rawValue, r.needs.map(\.description).joined(separator: "; "))
    }
}

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List the cells of the paper tables: status, what each lacks, and the reported values.",
        discussion: """
            Each line: cell id, status (runnable, needs-method, needs-backbone, needs-reader, needs-recipe), what the cell \
            lacks (`-` when runnable), and every reported value with its paper and table.
            Example: bench list --table insvp_hta_vit-b16-in21k --status needs-recipe
            """)
    @Option(help: "Only this table (paper-tables file stem).") var table: String?
    @Option(help: "Only cells with this status: runnable, needs-method, needs-backbone, needs-reader, needs-recipe.")
    var status: CellReadiness.Status?
    @Option(help: "Folder of paper tables.") var paperTables = "paper-tables"

    func run() throws {
        try exitingOnError {
            let bundle = try PaperTablesBundle(directory: paperTables)
            print(bundle.registry.listText(table: table.map { $0.hasSuffix(".csv") ? $0 : $0 + ".csv" }, status: status?.rawValue,
                                           classify: classification()), terminator: "")
            if table == nil || table == "mini" {
                let mini = CellCatalog.miniCells()
                print("mini (built-in): \(mini.count) runnable cells: " + mini.map(\.id).joined(separator: " "))
            }
        }
    }
}

struct TablesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tables",
        abstract: "Coverage per table and status; with --check, validate a table file before adding it.",
        discussion: """
            Without --check: per table, printed cells transcribed, cells with numbers, registry cells, and cells per status \
            (runnable = method, backbone, dataset reader and recipe all resolve; only data and weights may be missing).
            Example: bench tables
            With --check FILE: every problem of a paper table CSV, one line each as file:line (header, ids, numbers, \
            duplicates, its tables.csv and method-ids.csv lines, printed means, bold/underline marks); exit 1 on problems.
            Example: bench tables --check my-tables/sa2vp_fgvc_vit-b16-in21k.csv
            """)
    @Option(help: "Folder of paper tables (and their side files tables.csv, method-ids.csv, known-inconsistencies.csv).")
    var paperTables = "paper-tables"
    @Option(name: .customLong("check"), parsing: .upToNextOption, help: "Table CSV file(s) to validate.") var check: [String] = []

    func run() throws {
        if !check.isEmpty {
            var bad = false
            for f in check {
                let r = TableFileCheck.check(file: f, directory: paperTables)
                for p in r.problems { print(p) }
                print(r.summary)
                bad = bad || !r.ok
            }
            if bad { throw ExitCode.failure }
            return
        }
        try exitingOnError {
            let bundle = try PaperTablesBundle(directory: paperTables)
            print(bundle.registry.coverageText(statuses: CellReadiness.Status.allCases.map(\.rawValue), classify: classification()),
                  terminator: "")
            print("mini (built-in): \(CellCatalog.miniCells().count) cells, all runnable")
        }
    }
}

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect", abstract: "Describe a checkpoint file and the named backbone it matches.",
        discussion: "Example: bench inspect weights/imagenet21k_ViT-B_16.npz")
    @Argument(help: "A .npz, .npy, .safetensors, .pth, .pth.tar or .bin file.") var file: String
    func run() throws { try exitingOnError { print(try Inspect.report(URL(fileURLWithPath: file))) } }
}

struct VerifyDataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-data",
        abstract: "Check a dataset tree in one pass: every problem with its split file and line, counts, classes, split identity.",
        discussion: """
            Prints one line per problem (file:line), then a summary per split and which split each split file is \
            (the published split / another split with the published counts / a different split). Exits non-zero \
            when any problem exists; warnings alone exit 0.
            Example: bench verify-data --root /data/vtab-1k --dataset vtab1k/dtd
            """)
    @Option(help: "Data root.") var root: String
    @Option(help: "Dataset id (default: every registered id whose folder exists under the root).") var dataset: String?
    @Flag(help: "Skip decoding images (counts only).") var noDecode = false
    @Flag(help: "Print the report as JSON (schema vpt-bench/verify-data/1; one array of documents).") var json = false
    @Option(help: "FGVC label mapping: official (each split file's own sorted ids) or fixed (train.json's ids).")
    var labelMapping: FGVCLabelMapping = .official

    func run() throws {
        if let given = dataset, let note = resolveDatasetId(given).note {
            FileHandle.standardError.write(Foundation.Data((note + "\n").utf8))
        }
        let ids = dataset.map { [$0] } ?? datasetRegistry.keys.sorted()
        var bad = 0
        var docs: [String] = []
        var absent: [String] = []
        for id in ids {
            let r = verifyData(root: root, dataset: id, decodeImages: !noDecode, labelMapping: labelMapping)
            // Without --dataset, ids of which nothing could be read are listed at the end instead of reported.
            if dataset == nil && r.splits.isEmpty && r.identities.allSatisfy({ $0.split == manifestSplit }) { absent.append(id); continue }
            if json { docs.append(r.json) } else { print(r) }
            if !r.ok { bad += 1 }
        }
        if json { print("[\n" + docs.joined(separator: ",\n") + "\n]") }
        if !absent.isEmpty {
            let line = "not found under \(root) (not checked): \(absent.joined(separator: ", "))"
            if json { FileHandle.standardError.write(Foundation.Data((line + "\n").utf8)) } else { print(line) }
        }
        if bad > 0 { throw ExitCode.failure }
    }
}

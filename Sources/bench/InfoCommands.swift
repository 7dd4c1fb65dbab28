// `bench list`, `bench tables`, `bench inspect`, `bench verify-data`.
import ArgumentParser
import Bench
import Data
import Foundation
import Methods
import PaperTables

extension CellStatus: ExpressibleByArgument {}
extension FGVCLabelMapping: ExpressibleByArgument {}

/// Methods the suite can run: registered and with at least one recipe.
func runnableMethods() -> Set<String> { Set(methodRegistry.keys) }

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List the cells of the paper tables with their reported values and status.",
        discussion: "Example: bench list --table insvp_hta_vit-b16-in21k --status runnable")
    @Option(help: "Only this table (paper-tables file stem).") var table: String?
    @Option(help: "Only cells with this status: runnable, reported-only, missing.") var status: CellStatus?
    @Option(help: "Folder of paper tables.") var paperTables = "paper-tables"

    func run() throws {
        try exitingOnError {
            let bundle = try PaperTablesBundle(directory: paperTables)
            print(bundle.registry.listText(table: table.map { $0.hasSuffix(".csv") ? $0 : $0 + ".csv" }, status: status, runnable: runnableMethods()))
            if table == nil || table == "mini" {
                let mini = CellCatalog.miniCells()
                print("mini (built-in): \(mini.count) runnable cells: " + mini.map(\.id).joined(separator: " "))
            }
        }
    }
}

struct TablesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tables", abstract: "Coverage per table: cells transcribed, cells with numbers, cells the suite can run.")
    @Option(help: "Folder of paper tables.") var paperTables = "paper-tables"

    func run() throws {
        try exitingOnError {
            let bundle = try PaperTablesBundle(directory: paperTables)
            print(bundle.registry.coverageText(runnable: runnableMethods()))
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
            Example: bench verify-data --root /data/vtab-1k --dataset vtab/dtd
            """)
    @Option(help: "Data root.") var root: String
    @Option(help: "Dataset id (default: every registered id whose folder exists under the root).") var dataset: String?
    @Flag(help: "Skip decoding images (counts only).") var noDecode = false
    @Flag(help: "Print the report as JSON (schema vpt-bench/verify-data/1; one array of documents).") var json = false
    @Option(help: "FGVC label mapping: official (each split file's own sorted ids) or fixed (train.json's ids).")
    var labelMapping: FGVCLabelMapping = .official

    func run() throws {
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

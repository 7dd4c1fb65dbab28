// `bench prepare`: build a dataset's tree from its official downloads (+ split files), verify it, record
// what went in (prepared.json). `--list` says what each dataset needs.
import ArgumentParser
import Data
import Foundation

struct PrepareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prepare", abstract: "Build a dataset's tree from its official downloads and split files, verify it, record its inputs.",
        discussion: """
        Example: bench prepare --dataset cub200 --downloads ~/downloads --splits ~/splits/cub --out /data
        Nothing is put under --out unless the whole tree is built and passes verify-data; running it again on a prepared
        tree only verifies it. `bench prepare --list` names the files each dataset needs.
        """)
    @Option(help: "Dataset id (see --list), e.g. cub200, hta/food101.") var dataset: String?
    @Option(help: "Folder holding the downloaded files, under their official names.") var downloads: String = "."
    @Option(help: "Folder holding this dataset's split files (FGVC: train.json, val.json, test.json).") var splits: String?
    @Option(help: "Data root to write into (the --data-root of run/reproduce).") var out: String?
    @Flag(help: "Skip decoding every image during the final check (counts and files only).") var noDecode = false
    @Flag(help: "Put the tree in place even if verify-data finds problems (they are recorded in prepared.json and printed).")
    var acceptProblems = false
    @Flag(help: "List the datasets and the files each needs, then exit.") var list = false

    func run() throws {
        if list || dataset == nil {
            for id in prepareRecipes.keys.sorted() { print(describe(prepareRecipes[id]!)) }
            if !list { throw ValidationError("--dataset is required (one of the ids above)") }
            return
        }
        guard let out = out else { throw ValidationError("--out DATA_ROOT is required") }
        let id = dataset!
        do {
            let r = try prepareDataset(id, downloads: downloads, splits: splits ?? downloads, out: out,
                                       decodeImages: !noDecode, acceptProblems: acceptProblems) { print($0) }
            print(r.report)
            if !r.report.ok && !acceptProblems { throw ExitCode.failure }
            print(r.alreadyPrepared ? "\(id): already prepared, verified" : "\(id): prepared; inputs and hashes in \(r.recordPath)")
        } catch let e as PrepareError {
            FileHandle.standardError.write(Data("error: \(e)\n".utf8))
            throw ExitCode.failure
        } catch let e as DataError {
            FileHandle.standardError.write(Data("error: \(e)\n".utf8))
            throw ExitCode.failure
        }
    }

    private func describe(_ r: PrepareRecipe) -> String {
        var s = "\(r.dataset) → \(r.owns.joined(separator: ", "))\n"
        for i in r.inputs { s += "  \(i.folder == .downloads ? "--downloads" : "--splits   ")  \(i.name)   (\(i.source))\n" }
        if !r.note.isEmpty { s += "  note: \(r.note)\n" }
        return s
    }
}

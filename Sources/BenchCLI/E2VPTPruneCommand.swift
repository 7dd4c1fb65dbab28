// `bench e2vpt-prune`: the official E2VPT pruning + rewinding protocol for one cell.
import ArgumentParser
import Bench
import Engine
import Foundation
import Methods

struct E2VPTPruneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "e2vpt-prune",
        abstract: "E2VPT's pruning protocol: grid → before-pruning run → signed-gradient importance → official mask files → rewind runs → final seeds.",
        discussion: """
        Everything goes under <runs>/<cell-id>/prune/: grid/, before_pruning/, mask_tokens/ and mask_tokens_pieces/ (the official
        JSON mask files), rewind/t<n>_p<m>/, final/seed-<k>/ and prune.json (choice, importance, per-seed and mean last-epoch test
        accuracy). Finished runs are skipped, so the same command resumes.
        Example: bench e2vpt-prune --cell mini/shapes/e2vpt/vit-mini --seeds 0,1,2,3,4 --token-counts 2,5 --piece-counts 4,8
        """)

    @OptionGroup var common: CommonOptions
    @OptionGroup var where_: LocationOptions
    @Option(help: "Cell id <benchmark>/<dataset>/e2vpt/<backbone>.") var cell: String
    @Option(help: "Seeds of the final runs (official: 5 runs).") var seeds = "0,1,2,3,4"
    @Option(help: "Rewind only these cumulative masked-token counts (default: every scheduled count, as the official code).") var tokenCounts: String?
    @Option(help: "Rewind only these cumulative masked-piece counts (default: every scheduled count).") var pieceCounts: String?

    func run() throws {
        common.apply()
        try exitingOnError {
            func ints(_ s: String, _ what: String) throws -> [Int] {
                try s.split(separator: ",").map {
                    guard let v = Int($0.trimmingCharacters(in: .whitespaces)) else { throw CellError(message: "\(what): '\($0)' is not an integer") }
                    return v
                }
            }
            let c = try CellCatalog.cell(id: cell)
            let r = try E2VPTPruning.run(c, seeds: try ints(seeds, "--seeds"), options: where_.options,
                                         tokenCounts: try tokenCounts.map { try ints($0, "--token-counts") },
                                         pieceCounts: try pieceCounts.map { try ints($0, "--piece-counts") })
            print(String(format: "%@: lr %g, weight_decay %g, %d tokens and %d pieces/token masked; test %@ → mean %.2f%%",
                         r.cell, r.lr, r.weightDecay, r.maskedTokens, r.maskedPieces,
                         r.finalTestAccuracy.map { String(format: "%.2f", $0) }.joined(separator: ", "), r.meanTestAccuracy))
        }
    }
}

// `bench report`: reproduced vs reported numbers for one table, as CSV and Markdown.
import ArgumentParser
import Bench
import Foundation

extension Selection: ExpressibleByArgument {}

/// Runs library code, printing its error (which names the file) as one line and exiting with status 2,
/// so that scripts can tell "the check found regressions" (1) from "the check could not run" (2).
func exitingOnError<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch {
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        throw ExitCode(2)
    }
}

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write <out>/<table>.csv and .md: reproduced (mean±std over seeds) beside the reported numbers.",
        discussion: "Example: bench report --table insvp_hta_vit-b16-in21k --runs runs --out results/reports")

    @Option(help: "Table id: a paper-tables/<id>.csv file or a results/baselines/<id>.csv baseline (e.g. mini).")
    var table: String
    @Option(help: "Runs folder (runs/<cell-id>/seed-<n>/summary.json).") var runs = "runs"
    @Option(help: "Output folder.") var out = "results/reports"
    @Option(help: "Which accuracy to show: official (the official code's rule) or clean (no test labels).")
    var show: Selection = .official
    @Option(help: "Folder of paper tables.") var paperTables = "paper-tables"
    @Option(help: "Folder of baselines.") var baselines = "results/baselines"
    @Option(help: "Decimals of reproduced numbers in the Markdown table.") var decimals = 1

    func run() throws {
        try exitingOnError {
            // `mini`: the benchmark's own layout (task order), with results/baselines/mini.csv as "reported" once recorded.
            let useMini = table == MiniBenchmark.tableId && baselines == "results/baselines"
            let spec = useMini ? try MiniBenchmark.spec()
                : try TableSpec.resolve(id: table, paperTables: paperTables, baselines: baselines)
            let runsURL = URL(fileURLWithPath: runs)
            let summaries = try RunStore.summaries(in: runsURL)
            let report = try Report.build(spec: spec, summaries: summaries, runs: runsURL,
                                          options: ReportOptions(show: show, decimals: decimals))
            for f in try report.write(to: URL(fileURLWithPath: out)) { print("wrote \(f.path)") }
            print(report.markdown)
        }
    }
}

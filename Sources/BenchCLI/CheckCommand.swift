// `bench check`: fail (exit 1) when a cell of the baseline regressed beyond the tolerance or is missing.
import ArgumentParser
import Bench
import Foundation

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Compare the runs with a baseline CSV; exit 1 listing cells that fell by more than the tolerance or are missing.",
        discussion: """
            Example: bench check --baseline results/baselines/mini.csv --runs runs --tolerance 0.5
            Recreate a baseline from the runs: bench check --write-baseline results/baselines/mini.csv --runs runs
            Exit status: 0 passed, 1 regression or missing cell, 2 the check could not run (the error names the file).
            """)

    @Option(help: "Baseline CSV (method,dataset,backbone,seeds,mean,std,reported,delta,selection,variant).")
    var baseline: String?
    @Option(help: "Write a baseline from the current runs to this file instead of checking.")
    var writeBaseline: String?
    @Option(help: "Runs folder.") var runs = "runs"
    @Option(help: "Allowed drop in accuracy, absolute percentage points.") var tolerance = 0.5
    @Option(help: "Which accuracy to compare: official or clean.") var show: Selection = .official
    @Option(help: "Only runs of this benchmark (needed when two benchmarks share a method/dataset/backbone).")
    var benchmark: String?

    func validate() throws {
        if (baseline == nil) == (writeBaseline == nil) { throw ValidationError("give exactly one of --baseline FILE or --write-baseline FILE") }
        if tolerance < 0 { throw ValidationError("--tolerance must be ≥ 0") }
    }

    func run() throws {
        let status: Int32 = try exitingOnError {
            let summaries = try RunStore.summaries(in: URL(fileURLWithPath: runs))
                .filter { benchmark == nil || $0.benchmark == benchmark }
            let runsURL = URL(fileURLWithPath: runs)
            if let file = writeBaseline {
                let cells = try RegressionCheck.baselineCells(summaries: summaries, show: show)
                let cores = RegressionCheck.blasCores(runs: runsURL, summaries: summaries)
                try BaselineFile.write(cells, to: file, blasCores: cores.cores)
                let coreText = cores.cores.isEmpty ? "BLAS core unknown (no run names one in metadata.json)"
                    : "BLAS core \(cores.cores.joined(separator: ", "))"
                print("wrote \(file): \(cells.count) cell(s) from \(summaries.count) run(s), \(show.rawValue) accuracy, \(coreText)")
                return 0
            }
            let file = baseline!
            let outcome = try RegressionCheck.run(baselineFile: file, runs: runsURL, summaries: summaries, show: show, tolerance: tolerance)
            print(outcome.text, terminator: "")
            return outcome.exitStatus
        }
        if status != 0 { throw ExitCode(status) }
    }
}

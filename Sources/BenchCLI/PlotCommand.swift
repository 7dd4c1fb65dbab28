// `bench plot`: SVG learning curves (train loss, test accuracy per epoch) from the runs' metrics.jsonl.
import ArgumentParser
import Bench
import Foundation

struct PlotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plot",
        abstract: "Write <out>/curves_<benchmark>_<dataset>.svg: one line per method (mean over seeds), or per seed for one method.",
        discussion: "Example: bench plot --runs runs --out results/reports")

    @Option(help: "Runs folder.") var runs = "runs"
    @Option(help: "Output folder (the reports' folder by default).") var out = "results/reports"

    func run() throws {
        try exitingOnError {
            for f in try LearningCurves.write(runs: URL(fileURLWithPath: runs), out: URL(fileURLWithPath: out)) {
                print("wrote \(f.path)")
            }
        }
    }
}

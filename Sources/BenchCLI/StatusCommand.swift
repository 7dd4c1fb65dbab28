// `bench status`: done / running / failed / stopped / pending for every cell-seed of a table or a sweep's cell list.
import ArgumentParser
import Bench
import Foundation

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show which cell-seeds of a table are done, running, failed, stopped (resumable) or pending.",
        discussion: """
        done: summary.json; running: run.lock held by a live `bench run`; failed: failed.json (its error is shown);
        stopped: started but killed or preempted (resubmit to resume from the checkpoint); pending: not started.
        Example: bench status --table mini --seeds 0,1,2   or   bench status --cell-list sweep/cells.txt
        """)

    @Option(help: "Table id.") var table: String?
    @Option(help: "Comma-separated seeds.") var seeds = "0"
    @Option(help: "Only cells whose id matches this glob.") var cellsMatching: String?
    @Option(help: "A sweep's frozen cell list (instead of --table).") var cellList: String?
    @Option(help: "Runs folder.") var runs = "runs"
    @Flag(help: "List finished cell-seeds too.") var all = false

    func run() throws {
        try exitingOnError {
            let jobs: [SweepJob]
            if let list = cellList {
                jobs = try Slurm.readCellList(try String(contentsOfFile: list, encoding: .utf8))
            } else if let table {
                jobs = try Slurm.jobs(table: table, seeds: try parseSeeds(seeds), matching: cellsMatching)
            } else {
                throw SlurmError("pass --table <id> or --cell-list FILE")
            }
            let status = RunStatusReader.statuses(runs: URL(fileURLWithPath: runs), jobs: jobs)
            for (k, s) in status.enumerated() where all || s.state != .done {
                print("\(k)\t\(s.state.rawValue)\t\(s.job.cell)\tseed \(s.job.seed)" + (s.detail.isEmpty ? "" : "\t\(s.detail)"))
            }
            print(RunStatusReader.counts(status))
        }
    }
}

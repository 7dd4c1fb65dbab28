// `bench slurm`: write (and optionally submit) a Slurm job array for a table, plus a dependent report job.
import ArgumentParser
import Bench
import Foundation

/// `p` made absolute against the working directory (array tasks run elsewhere).
func absolutePath(_ p: String) -> String {
    let u = p.hasPrefix("/") ? URL(fileURLWithPath: p) : URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(p)
    return u.standardizedFileURL.path
}

func parseSeeds(_ s: String) throws -> [Int] {
    let xs = s.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    let seeds = xs.compactMap { Int($0) }
    guard !seeds.isEmpty, seeds.count == xs.count else { throw CellError(message: "--seeds must be comma-separated integers, got '\(s)'") }
    return seeds
}

struct SlurmCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "slurm", abstract: "Write a Slurm job array (one task per cell × seed) and a dependent report job; --submit submits them.",
        discussion: """
        Writes <out>/cells.txt (frozen, sorted cell list), <out>/array.sbatch (task K runs `bench run --cell-index K`),
        <out>/report.sbatch (`bench report` into <out>/report/) and <out>/logs/. With --submit, submits the array
        (only the unfinished cell-seeds when some are done) and the report with --dependency=afterok. Running the same
        command again after a task was killed or failed resubmits what is left; killed runs resume from their checkpoint.
        Example: bench slurm --table mini --seeds 0,1,2 --throttle 8 --partition cpu --time 02:00:00 --cpus-per-task 4 --submit
        """)

    @OptionGroup var location: LocationOptions
    @Option(help: "Table id (`mini` or a paper-tables file stem; see `bench tables`).") var table: String
    @Option(help: "Comma-separated seeds.") var seeds = "0"
    @Option(help: "Only cells whose id matches this glob.") var cellsMatching: String?
    @Option(help: "At most K array tasks at once (--array=0-N%K).") var throttle: Int?
    @Option(help: "Slurm partition.") var partition: String?
    @Option(help: "Time limit per task, HH:MM:SS (or any sbatch --time form).") var time: String?
    @Option(help: "CPUs per task (default 1); also each task's --threads unless --threads is given.") var cpusPerTask: Int?
    @Option(help: "Threads of each task's `bench run` (default: $SLURM_CPUS_PER_TASK). Same threads → same bits.") var threads: Int?
    @Option(help: "Extra #SBATCH option for both scripts, e.g. --sbatch-option=--account=abc (repeatable).") var sbatchOption: [String] = []
    @Option(help: "The bench executable the tasks run (default: this one).") var bench: String?
    @Option(help: "Sweep folder.") var out = "sweep"
    @Flag(help: "Submit with sbatch and print the job ids.") var submit = false
    @Flag(help: "Overwrite a different existing cell list (only when nothing of the old sweep is queued).") var force = false

    func run() throws {
        try exitingOnError {
            if let k = throttle, k < 1 { throw SlurmError("--throttle must be ≥ 1") }
            if let c = cpusPerTask, c < 1 { throw SlurmError("--cpus-per-task must be ≥ 1") }
            let jobs = try Slurm.jobs(table: table, seeds: try parseSeeds(seeds), matching: cellsMatching)
            let exe = bench ?? (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
            var sweep = SlurmSweep(table: table, jobs: jobs, out: absolutePath(out), bench: absolutePath(exe),
                                   root: absolutePath(CellCatalog.root().path), runs: absolutePath(location.runs))
            sweep.dataRoot = location.dataRoot.map(absolutePath); sweep.weights = location.weights.map(absolutePath)
            sweep.epochs = location.epochs; sweep.testCount = location.testCount; sweep.threads = threads
            sweep.throttle = throttle; sweep.partition = partition; sweep.time = time; sweep.cpusPerTask = cpusPerTask
            sweep.extra = sbatchOption
            for f in try Slurm.write(sweep, force: force) { print("wrote \(f)") }
            print("\(table): \(jobs.count) array task(s) (\(Set(jobs.map(\.cell)).count) cells × \(Set(jobs.map(\.seed)).count) seed(s))")
            let status = RunStatusReader.statuses(runs: URL(fileURLWithPath: sweep.runs), jobs: jobs)
            print(RunStatusReader.counts(status))
            guard submit else {
                print("submit: jid=$(sbatch --parsable \(sweep.arrayScript)) && sbatch --dependency=afterok:$jid \(sweep.reportScript)")
                return
            }
            let running = status.filter { $0.state == .running }
            if !running.isEmpty {
                throw SlurmError("\(running.count) run(s) still running (first: \(running[0].job.cell) seed \(running[0].job.seed): \(running[0].detail)); "
                                 + "resubmit once the old array has ended (squeue, bench status)")
            }
            let unfinished = status.enumerated().filter { $0.element.state != .done }.map(\.offset)
            let ids = try Slurm.submit(sweep, unfinished: unfinished)
            if let a = ids.array {
                print("array-job: \(a) (tasks \(Slurm.arraySpec(indices: unfinished, throttle: throttle)))")
            } else {
                print("array-job: none (every run is finished)")
            }
            print("report-job: \(ids.report)" + (ids.array.map { " (afterok:\($0)) → \(sweep.reportFolder)" } ?? " → \(sweep.reportFolder)"))
        }
    }
}

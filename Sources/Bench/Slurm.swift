// Scale-out on Slurm: a table's runnable cells × seeds become a frozen cell list (one `<cell-id> <seed>` per
// line, sorted) and a job array whose task K runs line K with `bench run --cell-index K --cell-list FILE`.
// A second script, submitted with `--dependency=afterok:<array>`, writes the report once every task succeeded.
// Tasks are idempotent (a finished run returns at once) and resumable (a killed run restarts from its checkpoint).
import Foundation

/// One unit of an array: a cell id and a seed.
public struct SweepJob: Sendable, Hashable, Comparable {
    public var cell: String
    public var seed: Int
    public init(cell: String, seed: Int) { self.cell = cell; self.seed = seed }
    public static func < (a: SweepJob, b: SweepJob) -> Bool { (a.cell, a.seed) < (b.cell, b.seed) }
}

/// Everything `bench slurm` needs to write a sweep. Paths should be absolute: tasks run on other nodes.
public struct SlurmSweep: Sendable {
    public var table: String
    public var jobs: [SweepJob]
    /// The sweep folder: array.sbatch, report.sbatch, cells.txt, logs/, report/.
    public var out: String
    /// The `bench` executable the tasks call.
    public var bench: String
    /// Repository root (recipes/, paper-tables/, weights/): tasks `cd` there and export VPT_ROOT.
    public var root: String
    public var runs: String
    public var dataRoot: String?
    public var weights: String?
    public var epochs: Int?
    public var testCount: Int?
    /// `--threads` of each task; nil: `$SLURM_CPUS_PER_TASK` (1 when unset).
    public var threads: Int?
    /// Simultaneously running tasks (`--array=0-N%K`).
    public var throttle: Int?
    public var partition: String?
    public var time: String?
    public var cpusPerTask: Int?
    /// Extra `#SBATCH` lines (e.g. `--account=x`), written verbatim after the generated ones.
    public var extra: [String] = []

    public init(table: String, jobs: [SweepJob], out: String, bench: String, root: String, runs: String) {
        self.table = table; self.jobs = jobs; self.out = out; self.bench = bench; self.root = root; self.runs = runs
    }

    public var cellList: String { (out as NSString).appendingPathComponent("cells.txt") }
    public var arrayScript: String { (out as NSString).appendingPathComponent("array.sbatch") }
    public var reportScript: String { (out as NSString).appendingPathComponent("report.sbatch") }
    public var reportFolder: String { (out as NSString).appendingPathComponent("report") }
    public var logs: String { (out as NSString).appendingPathComponent("logs") }
}

/// What went wrong writing or submitting a sweep.
public struct SlurmError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

public enum Slurm {
    /// Cells × seeds in a stable order: by cell id, then seed. Index K of the array is element K.
    public static func jobs(cells: [Cell], seeds: [Int]) -> [SweepJob] {
        var out = Set<SweepJob>()
        for c in cells { for s in seeds { out.insert(SweepJob(cell: c.id, seed: s)) } }
        return out.sorted()
    }

    /// The runnable cells of `table` (those whose id matches the glob `matching`) × seeds, sorted.
    public static func jobs(table: String, seeds: [Int], matching: String?, root: URL = CellCatalog.root()) throws -> [SweepJob] {
        var cells = try CellCatalog.cells(table: table, root: root)
        if let pattern = matching { cells = cells.filter { fnmatch(pattern, $0.id, 0) == 0 } }
        guard !cells.isEmpty, !seeds.isEmpty else {
            throw SlurmError("table \(table)\(matching.map { " (cells matching \($0))" } ?? ""): no runnable cells × seeds")
        }
        return jobs(cells: cells, seeds: seeds)
    }

    /// The frozen cell list `bench run --cell-list` reads: `#` comments, then one `<cell-id> <seed>` per line.
    public static func cellListText(_ sweep: SlurmSweep) -> String {
        var s = "# bench slurm: table \(sweep.table), \(sweep.jobs.count) run(s); line K (0-based, comments skipped) is array task K.\n"
        s += "# Do not edit while a sweep is queued: task indices refer to these lines.\n"
        for j in sweep.jobs { s += "\(j.cell) \(j.seed)\n" }
        return s
    }

    /// Reads a cell list (the format `bench run --cell-list` reads).
    public static func readCellList(_ text: String) throws -> [SweepJob] {
        var out: [SweepJob] = []
        for (n, line) in text.split(separator: "\n").enumerated() where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            guard !parts.isEmpty else { continue }
            guard parts.count <= 2, let seed = parts.count == 2 ? Int(parts[1]) : 0 else {
                throw SlurmError("cell list line \(n + 1): expected '<cell-id> <seed>', got '\(line)'")
            }
            out.append(SweepJob(cell: String(parts[0]), seed: seed))
        }
        return out
    }

    /// `0-N` or `0-N%K`, or for a subset of indices `1,3-5%K`.
    public static func arraySpec(indices: [Int], throttle: Int?) -> String {
        var parts: [String] = []
        var i = 0
        let xs = Array(Set(indices)).sorted()
        while i < xs.count {
            var j = i
            while j + 1 < xs.count && xs[j + 1] == xs[j] + 1 { j += 1 }
            parts.append(i == j ? "\(xs[i])" : "\(xs[i])-\(xs[j])")
            i = j + 1
        }
        return parts.joined(separator: ",") + (throttle.map { "%\($0)" } ?? "")
    }

    static func quote(_ s: String) -> String {
        if !s.isEmpty && s.allSatisfy({ $0.isLetter || $0.isNumber || "/._-:=+,%@".contains($0) }) { return s }
        return "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    static func header(_ sweep: SlurmSweep, name: String, output: String) -> [String] {
        var h = ["#SBATCH --job-name=\(name)", "#SBATCH --output=\(output)"]
        if let p = sweep.partition { h.append("#SBATCH --partition=\(p)") }
        if let t = sweep.time { h.append("#SBATCH --time=\(t)") }
        return h
    }

    static func preamble(_ sweep: SlurmSweep) -> String {
        """
        set -euo pipefail
        cd \(quote(sweep.root))
        export VPT_ROOT=\(quote(sweep.root))
        """
    }

    /// array.sbatch: one task per line of the cell list.
    public static func arrayScriptText(_ sweep: SlurmSweep) -> String {
        var h = header(sweep, name: "vpt-\(sweep.table)", output: (sweep.logs as NSString).appendingPathComponent("%A_%a.out"))
        h.insert("#SBATCH --array=\(arraySpec(indices: Array(0..<sweep.jobs.count), throttle: sweep.throttle))", at: 1)
        h.append("#SBATCH --cpus-per-task=\(sweep.cpusPerTask ?? 1)")
        h += sweep.extra.map { "#SBATCH \($0)" }
        var cmd = [quote(sweep.bench), "run", "--cell-index", "\"$SLURM_ARRAY_TASK_ID\"", "--cell-list", quote(sweep.cellList),
                   "--runs", quote(sweep.runs), "--threads", sweep.threads.map(String.init) ?? "\"${SLURM_CPUS_PER_TASK:-1}\""]
        if let d = sweep.dataRoot { cmd += ["--data-root", quote(d)] }
        if let w = sweep.weights { cmd += ["--weights", quote(w)] }
        if let e = sweep.epochs { cmd += ["--epochs", "\(e)"] }
        if let t = sweep.testCount { cmd += ["--test-count", "\(t)"] }
        return """
        #!/bin/bash
        # Generated by `bench slurm` for table \(sweep.table): \(sweep.jobs.count) run(s), task K = line K of \(sweep.cellList).
        # Idempotent: a finished run exits at once, a killed one resumes from its checkpoint; resubmit freely.
        \(h.joined(separator: "\n"))
        \(preamble(sweep))
        exec \(cmd.joined(separator: " "))

        """
    }

    /// report.sbatch: submitted with `--dependency=afterok:<array job>`; cancelled by Slurm if a task fails.
    public static func reportScriptText(_ sweep: SlurmSweep) -> String {
        var h = header(sweep, name: "vpt-\(sweep.table)-report", output: (sweep.logs as NSString).appendingPathComponent("report_%j.out"))
        h += ["#SBATCH --cpus-per-task=1", "#SBATCH --kill-on-invalid-dep=yes"]
        h += sweep.extra.map { "#SBATCH \($0)" }
        let cmd = [quote(sweep.bench), "report", "--table", quote(sweep.table), "--runs", quote(sweep.runs), "--out", quote(sweep.reportFolder)]
        return """
        #!/bin/bash
        # Generated by `bench slurm` for table \(sweep.table). Submit after the array:
        #   sbatch --dependency=afterok:<array job id> \(sweep.reportScript)
        \(h.joined(separator: "\n"))
        \(preamble(sweep))
        exec \(cmd.joined(separator: " "))

        """
    }

    /// Writes cells.txt, array.sbatch, report.sbatch and logs/. An existing, different cell list is an error unless
    /// `force` (queued tasks index into it).
    @discardableResult
    public static func write(_ sweep: SlurmSweep, force: Bool = false) throws -> [String] {
        let fm = FileManager.default
        try fm.createDirectory(atPath: sweep.logs, withIntermediateDirectories: true)
        let list = cellListText(sweep)
        if !force, let old = fm.contents(atPath: sweep.cellList), let oldText = String(data: old, encoding: .utf8),
           try readCellList(oldText) != sweep.jobs {
            throw SlurmError("\(sweep.cellList) exists with different cells; tasks of a queued sweep index into it. "
                             + "Use another --out, or --force once nothing of the old sweep is queued.")
        }
        try RunStore.writeAtomically(Data(list.utf8), to: URL(fileURLWithPath: sweep.cellList))
        for (path, text) in [(sweep.arrayScript, arrayScriptText(sweep)), (sweep.reportScript, reportScriptText(sweep))] {
            try RunStore.writeAtomically(Data(text.utf8), to: URL(fileURLWithPath: path))
            chmod(path, 0o755)
        }
        return [sweep.cellList, sweep.arrayScript, sweep.reportScript]
    }

    /// sbatch arguments: the array (only `indices` when given, overriding the script's `--array`), then the report.
    public static func arrayArguments(_ sweep: SlurmSweep, indices: [Int]? = nil) -> [String] {
        var a = ["--parsable"]
        if let i = indices { a.append("--array=\(arraySpec(indices: i, throttle: sweep.throttle))") }
        return a + [sweep.arrayScript]
    }

    public static func reportArguments(_ sweep: SlurmSweep, after arrayJob: String?) -> [String] {
        ["--parsable"] + (arrayJob.map { ["--dependency=afterok:\($0)"] } ?? []) + [sweep.reportScript]
    }

    /// Runs `sbatch` (found through PATH of `environment`) and returns the job id it prints with --parsable.
    public static func sbatch(_ arguments: [String], executable: String = "sbatch",
                              environment: [String: String]? = nil) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [executable] + arguments
        if let e = environment { p.environment = e }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out; p.standardError = err
        do { try p.run() } catch { throw SlurmError("cannot start \(executable): \(error)") }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard p.terminationStatus == 0 else {
            throw SlurmError("\(executable) \(arguments.joined(separator: " ")) failed (\(p.terminationStatus)): "
                             + String(decoding: errData, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        }
        // --parsable prints `<id>` or `<id>;<cluster>`.
        guard let id = text.split(separator: "\n").last?.split(separator: ";").first, Int(id) != nil else {
            throw SlurmError("\(executable) printed no job id: '\(text)'")
        }
        return String(id)
    }

    /// Submits the array (only the unfinished indices, or none when all are done) and the dependent report job.
    public static func submit(_ sweep: SlurmSweep, unfinished: [Int], executable: String = "sbatch",
                              environment: [String: String]? = nil) throws -> (array: String?, report: String) {
        var arrayJob: String? = nil
        if !unfinished.isEmpty {
            let subset = unfinished.count == sweep.jobs.count ? nil : unfinished
            arrayJob = try sbatch(arrayArguments(sweep, indices: subset), executable: executable, environment: environment)
        }
        let report = try sbatch(reportArguments(sweep, after: arrayJob), executable: executable, environment: environment)
        return (arrayJob, report)
    }
}

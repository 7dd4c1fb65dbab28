// Where each (cell, seed) of a sweep stands, read from its run folder:
//   done     summary.json exists
//   running  run.lock is held (flock) by a live `bench run` — on this host, or on another node over NFS
//   failed   failed.json exists (written by the runner on error, removed when the run succeeds)
//   stopped  started (config.json / checkpoint) but neither running nor failed: killed, preempted or
//            cancelled; resubmitting resumes it from its checkpoint
//   pending  nothing yet
// run.lock stays in the folder after a run; only a held lock means "running", so a killed process
// (whose lock the kernel releases) never looks alive.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The state of one (cell, seed).
public enum RunState: String, Sendable, CaseIterable, Codable {
    case done, running, failed, stopped, pending
}

/// failed.json: why the last attempt of a run failed.
public struct RunFailure: Codable, Sendable, Equatable {
    public var cell: String
    public var seed: Int
    public var error: String
    public var time: String
    public var host: String
    public var slurmJob: String?
    public init(cell: String, seed: Int, error: String, time: String, host: String, slurmJob: String?) {
        self.cell = cell; self.seed = seed; self.error = error; self.time = time; self.host = host; self.slurmJob = slurmJob
    }
}

/// run.lock's content: who holds (or last held) the run.
public struct RunHolder: Codable, Sendable, Equatable {
    public var pid: Int32
    public var host: String
    public var started: String
    /// `<array job>_<task>` or the job id, when inside Slurm.
    public var slurmJob: String?
}

/// What `bench status` prints for one (cell, seed).
public struct RunStatus: Sendable, Equatable {
    public var job: SweepJob
    public var state: RunState
    /// The failure message, the lock holder, or the last finished epoch.
    public var detail: String
}

/// A hard, exclusive claim on a run folder (flock on run.lock), held until `release()` or process exit.
public final class RunLock {
    let fd: Int32
    public let url: URL

    /// Runs elsewhere hold it: the error names the holder.
    public struct Busy: Error, CustomStringConvertible {
        public let folder: String
        public let holder: RunHolder?
        public var description: String {
            "\(folder) is being run by " + (holder.map { "pid \($0.pid) on \($0.host)" + ($0.slurmJob.map { " (Slurm job \($0))" } ?? "") + " since \($0.started)" } ?? "another process")
        }
    }

    static func host() -> String { ProcessInfo.processInfo.hostName }

    static func slurmJob(_ env: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let a = env["SLURM_ARRAY_JOB_ID"], let t = env["SLURM_ARRAY_TASK_ID"] { return "\(a)_\(t)" }
        return env["SLURM_JOB_ID"]
    }

    /// Takes the lock of `folder`, retrying for `wait` seconds (a `bench status` probe holds it for an instant).
    public init(folder: URL, wait: TimeInterval = 2) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        url = folder.appendingPathComponent("run.lock")
        fd = open(url.path, O_RDWR | O_CREAT, 0o644)
        guard fd >= 0 else { throw RunStoreError(file: url.path, message: "cannot open (errno \(errno))") }
        let deadline = Date().addingTimeInterval(wait)
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let e = errno
            if e != EWOULDBLOCK { break }  // no lock support on this filesystem: go on unlocked
            if Date() >= deadline {
                let holder = try? JSONDecoder().decode(RunHolder.self, from: FileManager.default.contents(atPath: url.path) ?? Data())
                close(fd)
                throw Busy(folder: folder.path, holder: holder)
            }
            usleep(100_000)
        }
        let me = RunHolder(pid: getpid(), host: Self.host(), started: ISO8601DateFormatter().string(from: Date()), slurmJob: Self.slurmJob())
        let data = (try? RunStore.encoder.encode(me)) ?? Data()
        ftruncate(fd, 0)
        _ = data.withUnsafeBytes { pwrite(fd, $0.baseAddress, data.count, 0) }
    }

    public func release() { flock(fd, LOCK_UN); close(fd) }

    /// Whether a live process holds the lock of `folder` (false when there is no lock file).
    public static func isHeld(folder: URL) -> Bool {
        let path = folder.appendingPathComponent("run.lock").path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        if flock(fd, LOCK_SH | LOCK_NB) == 0 { flock(fd, LOCK_UN); return false }
        return errno == EWOULDBLOCK
    }
}

public enum RunStatusReader {
    /// Classifies one run folder (see the file comment).
    public static func classify(folder: URL, job: SweepJob) -> RunStatus {
        let fm = FileManager.default
        func has(_ f: String) -> Bool { fm.fileExists(atPath: folder.appendingPathComponent(f).path) }
        if has("summary.json") {
            let s = try? RunStore.readJSON(RunSummary.self, from: folder.appendingPathComponent("summary.json"))
            return RunStatus(job: job, state: .done, detail: s.map { String(format: "%.2f%%", $0.official.accuracy) } ?? "")
        }
        let epochs = (try? RunStore.metrics(in: folder))?.count ?? 0
        let progress = epochs > 0 ? "\(epochs) epoch(s) checkpointed" : "no epoch finished"
        if RunLock.isHeld(folder: folder) {
            let h = try? JSONDecoder().decode(RunHolder.self, from: fm.contents(atPath: folder.appendingPathComponent("run.lock").path) ?? Data())
            let who = h.map { "pid \($0.pid) on \($0.host)" + ($0.slurmJob.map { ", job \($0)" } ?? "") } ?? "held"
            return RunStatus(job: job, state: .running, detail: "\(who); \(progress)")
        }
        if has("failed.json") {
            let f = try? RunStore.readJSON(RunFailure.self, from: folder.appendingPathComponent("failed.json"))
            return RunStatus(job: job, state: .failed, detail: f.map { $0.error + ($0.slurmJob.map { " (job \($0))" } ?? "") } ?? "failed.json unreadable")
        }
        if has("config.json") || has("checkpoint.safetensors") {
            return RunStatus(job: job, state: .stopped, detail: "\(progress); resubmit to resume")
        }
        return RunStatus(job: job, state: .pending, detail: "")
    }

    public static func statuses(runs: URL, jobs: [SweepJob]) -> [RunStatus] {
        jobs.map { classify(folder: RunStore.folder(runs: runs, cell: $0.cell, seed: $0.seed), job: $0) }
    }

    /// `done 3, running 1, failed 0, stopped 1, pending 7 (of 12)`.
    public static func counts(_ s: [RunStatus]) -> String {
        RunState.allCases.map { st in "\(st.rawValue) \(s.filter { $0.state == st }.count)" }.joined(separator: ", ") + " (of \(s.count))"
    }
}

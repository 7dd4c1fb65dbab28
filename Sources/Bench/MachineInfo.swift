// Facts recorded with every run and throughput measurement: BLAS kernel and threads change numbers.
import Engine
import Foundation

/// The machine a run executes on, as far as it changes results or speed.
public struct MachineInfo: Codable, Sendable, Equatable {
    public var host: String
    public var cpu: String
    public var cores: Int
    public var blasCore: String
    public var threads: Int
    public var openblasCoretypeEnv: String?

    public static func current() -> MachineInfo {
        MachineInfo(
            host: ProcessInfo.processInfo.hostName,
            cpu: cpuModel(),
            cores: ProcessInfo.processInfo.activeProcessorCount,
            blasCore: Threads.blasCore,
            threads: Threads.count,
            openblasCoretypeEnv: ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"])
    }

    static func cpuModel() -> String {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return "unknown" }
        for line in text.split(separator: "\n") where line.hasPrefix("model name") {
            return line.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown"
        }
        return "unknown"
    }

    /// One line for logs: `openblas Haswell, 2 threads, AMD EPYC …`.
    public var summary: String { "openblas \(blasCore), \(threads) thread\(threads == 1 ? "" : "s"), \(cpu)" }
}

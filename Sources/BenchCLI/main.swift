// The `bench` command line. With no arguments it runs the default job: the built-in mini benchmark.
import ArgumentParser
import Bench
import Engine
import Foundation

struct Root: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Reproduce visual prompt tuning papers' tables.",
        subcommands: [MiniCommand.self, RunCommand.self, ReproduceCommand.self, ReportCommand.self, CheckCommand.self, PlotCommand.self,
                      ListCommand.self, TablesCommand.self, InspectCommand.self, VerifyDataCommand.self,
                      ProbeCommand.self, PretrainCommand.self, SelfCheckCommand.self, SlurmCommand.self, StatusCommand.self,
                      ThroughputCommand.self, E2VPTPruneCommand.self, PrepareCommand.self, RecipeCommand.self],
        defaultSubcommand: MiniCommand.self)
}

/// Options every command shares.
struct CommonOptions: ParsableArguments {
    @Option(help: "Threads for OpenBLAS and the engine (default: all cores).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    func apply() { Threads.set(threads) }
}

struct SelfCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "selfcheck", abstract: "Train a tiny model on built-in data and print its accuracy.")

    @OptionGroup var common: CommonOptions
    @Option(help: "Training steps.") var steps = 300

    func run() throws {
        common.apply()
        let r = SelfCheck.run(steps: steps)
        if !r.passed { throw ExitCode.failure }
    }
}

// Line-buffered stdout so progress and results appear in logs (Slurm, CI) as they happen.
setvbuf(stdout, nil, _IOLBF, 0)
Root.main()

import XCTest
import Bench
import Foundation

/// The built `bench` executable, run as a user would.
struct BenchCLI {
    /// .build/<config>/bench, next to the test bundle.
    var benchURL: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("bench")
    }
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func launch(_ args: [String]) throws -> Process {
        let p = Process()
        p.executableURL = benchURL
        p.arguments = args
        p.currentDirectoryURL = root
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    func runToEnd(_ args: [String]) throws -> Int32 {
        let p = try launch(args)
        p.waitUntilExit()
        return p.terminationStatus
    }

    /// Runs `bench` to the end and returns its exit status, stdout and stderr (`mergeStderr`: stderr goes into stdout,
    /// as a terminal shows them).
    func capture(_ args: [String], mergeStderr: Bool = false) throws -> (status: Int32, out: String, err: String) {
        let p = Process()
        p.executableURL = benchURL
        p.arguments = args
        p.currentDirectoryURL = root
        // stderr goes to a file, so that neither stream can fill a pipe while the other is read.
        let errFile = FileManager.default.temporaryDirectory.appendingPathComponent("bench-stderr-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: errFile.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errFile) }
        let out = Pipe()
        p.standardOutput = out
        p.standardError = mergeStderr ? out : try FileHandle(forWritingTo: errFile)
        try p.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let errData = (try? Data(contentsOf: errFile)) ?? Data()
        return (p.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
    }
}

final class ResumeAfterKillTests: XCTestCase {
    let cli = BenchCLI()
    func launch(_ args: [String]) throws -> Process { try cli.launch(args) }
    func runToEnd(_ args: [String]) throws -> Int32 { try cli.runToEnd(args) }

    /// A run killed with SIGKILL mid-epoch and started again ends with the same numbers as an uninterrupted one.
    func testSIGKILLMidEpochThenResume() throws {
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("cli-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: tmp) }
        let cell = "mini/shapes/vpt-deep/vit-mini"
        func args(_ runs: String) -> [String] {
            ["run", "--cell", cell, "--seed", "0", "--epochs", "3", "--test-count", "200", "--threads", "2", "--runs", tmp.appendingPathComponent(runs).path]
        }
        XCTAssertEqual(try runToEnd(args("whole")), 0)
        let folder = tmp.appendingPathComponent("killed").appendingPathComponent(cell).appendingPathComponent("seed-0")
        let p = try launch(args("killed"))
        let ckpt = folder.appendingPathComponent("checkpoint.safetensors")
        let deadline = Date().addingTimeInterval(120)
        while !FileManager.default.fileExists(atPath: ckpt.path) && Date() < deadline && p.isRunning { usleep(20_000) }
        XCTAssertTrue(p.isRunning, "the run finished before it could be killed")
        usleep(300_000)  // into the next epoch
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationReason, .uncaughtSignal)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("summary.json").path))
        XCTAssertEqual(try runToEnd(args("killed")), 0)
        let a = try RunStore.readJSON(RunSummary.self, from: tmp.appendingPathComponent("whole").appendingPathComponent(cell).appendingPathComponent("seed-0/summary.json"))
        let b = try RunStore.readJSON(RunSummary.self, from: folder.appendingPathComponent("summary.json"))
        XCTAssertEqual(a.official, b.official)
        XCTAssertEqual(a.clean, b.clean)
        let ma = try RunStore.metrics(in: tmp.appendingPathComponent("whole").appendingPathComponent(cell).appendingPathComponent("seed-0"))
        let mb = try RunStore.metrics(in: folder)
        XCTAssertEqual(ma.map(\.trainLoss), mb.map(\.trainLoss))
    }

    func testUnknownCellExitsWithStatus2AndAMessage() throws {
        XCTAssertEqual(try runToEnd(["run", "--cell", "mini/shapes/nope/vit-mini"]), 2)
    }
}

/// `bench check` catches a deliberately broken method (debug builds honour VPT_TEST_FAULT).
final class RegressionCheckCLITests: XCTestCase {
    func testCheckFailsWhenTheMethodIsBroken() throws {
        let t = BenchCLI()
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("check-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: tmp) }
        func run(_ runs: String, fault: Bool) throws -> Int32 {
            let p = Process()
            p.executableURL = t.benchURL
            p.arguments = ["run", "--cell", "mini/scenes/vpt-deep/vit-mini", "--seed", "0", "--epochs", "4", "--test-count", "500",
                           "--threads", "2", "--runs", tmp.appendingPathComponent(runs).path]
            p.currentDirectoryURL = t.root
            var env = ProcessInfo.processInfo.environment
            if fault { env["VPT_TEST_FAULT"] = "zero-grad" } else { env.removeValue(forKey: "VPT_TEST_FAULT") }
            p.environment = env
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run(); p.waitUntilExit()
            return p.terminationStatus
        }
        XCTAssertEqual(try run("good", fault: false), 0)
        XCTAssertEqual(try run("broken", fault: true), 0)
        let baseline = tmp.appendingPathComponent("baseline.csv").path
        XCTAssertEqual(try t.runToEnd(["check", "--write-baseline", baseline, "--runs", tmp.appendingPathComponent("good").path]), 0)
        XCTAssertEqual(try t.runToEnd(["check", "--baseline", baseline, "--runs", tmp.appendingPathComponent("good").path, "--tolerance", "0.5"]), 0,
                       "an unchanged run must pass its own baseline")
        XCTAssertEqual(try t.runToEnd(["check", "--baseline", baseline, "--runs", tmp.appendingPathComponent("broken").path, "--tolerance", "0.5"]), 1,
                       "a method whose gradients are zeroed must be caught")
    }
}

import ArgumentParser
import Bench
import Engine
import Foundation

struct ThroughputCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "throughput",
        abstract: "Train-step and eval images/s of methods on a random backbone with synthetic input.",
        discussion: """
        Example: bench throughput --methods vpt-deep,linear --backbone vit-b16 --batch 32 --threads 2
        Appends to results/throughput/<machine>-<blas>-t<threads>.csv and prints a Markdown table.
        """)

    @OptionGroup var common: CommonOptions
    @Option(help: "Comma-separated method ids.") var methods: String = "vpt-deep"
    @Option(help: "Backbone: vit-b16, vit-mini, resnet50 or resnet18 (the CNN methods: ilm-vp, flm-vp, rlm-vp).") var backbone: String = "vit-b16"
    @Option(help: "Batch size.") var batch: Int = 32
    @Option(help: "Timed steps (after warm-up).") var steps: Int = 3
    @Option(help: "Warm-up steps.") var warmup: Int = 1
    @Option(help: "Classifier outputs.") var classes: Int = 100
    @Option(help: "Results root (results/throughput/ is created under it).") var root: String = "."
    @Flag(help: "Do not append to the CSV.") var noCSV = false
    @Flag(help: "Also measure the sgemm ceiling (ViT-B/16 fc1 shape at this batch, at most 32 images) and print it.") var sgemm = false

    func run() throws {
        common.apply()
        let machine = MachineInfo.current()
        print("# throughput: \(machine.summary)")
        if sgemm {
            // The larger of OpenBLAS's own threading and the engine's split gemm is the ceiling.
            let rows = 197 * min(batch, 32)
            let g = Throughput.sgemmGFLOPs(m: rows)
            print(String(format: "sgemm GFLOP/s: %.2f (OpenBLAS threaded %.2f, engine gemm %.2f; %d × 3072 × 768)",
                         g.ceiling, g.openBLAS, g.engine, rows))
        }
        var results: [ThroughputResult] = []
        for id in methods.split(separator: ",").map({ String($0).trimmingCharacters(in: .whitespaces) }) {
            let r = try Throughput.measure(method: id, backbone: backbone, batch: batch, steps: steps, warmup: warmup, classes: classes)
            results.append(r)
            print(Throughput.markdown([r]).split(separator: "\n").last.map(String.init) ?? "")
            if let s = r.cachedEpochSeconds {
                // Every epoch after the first trains on cached frozen features (see README, "Feature caching").
                print(String(format: "cached-feature epoch (%@, per 1000 images, batch %d): %.4f s = %.0f img/s", id, batch, s, 1000 / s))
            }
        }
        print("")
        print(Throughput.markdown(results), terminator: "")
        if !noCSV {
            let url = Throughput.csvURL(root: URL(fileURLWithPath: root), machine: machine)
            try Throughput.append(results, to: url, machine: machine)
            print("→ \(url.path)")
        }
    }
}

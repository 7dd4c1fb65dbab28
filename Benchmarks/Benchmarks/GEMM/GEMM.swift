// GEMM and linear-layer benchmarks on the ViT-B/16 layer shapes (batch 32 × 197 tokens = 6304 rows).
// Compare "linear forward" with "sgemm" for the layer's share of raw GEMM throughput, and the
// frozen-weight forward+backward with 2 × sgemm (the backward must be one GEMM, for dx only).
import Benchmark
import Engine
import Foundation

let rows = 32 * 197
let shapes: [(inF: Int, outF: Int)] = [(768, 2304), (768, 768), (768, 3072), (3072, 768)]

func filled(_ shape: [Int], _ seed: Int) -> Tensor {
    let t = Tensor(uninitialized: shape)
    for i in 0..<t.count { t.data[i] = Float((i &* 2654435761 &+ seed) % 2001 - 1000) * 1e-4 }
    return t
}

let benchmarks: @Sendable () -> Void = {
    let threads = Int(ProcessInfo.processInfo.environment["VPT_THREADS"] ?? "") ?? ProcessInfo.processInfo.activeProcessorCount
    Threads.set(threads)
    print("openblas core \(Threads.blasCore), \(threads) threads")
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .throughput], timeUnits: .milliseconds,
                                           maxDuration: .seconds(4), maxIterations: 12)
    for (inF, outF) in shapes {
        let tag = "\(rows)x\(inF)→\(outF)"
        let flops = 2 * rows * inF * outF
        Benchmark("sgemm \(tag) (\(flops / 1_000_000) MFLOP)") { benchmark in
            let x = filled([rows, inF], 1), w = filled([outF, inF], 2), y = Tensor(uninitialized: [rows, outF])
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                gemm(transA: false, transB: true, m: rows, n: outF, k: inF, a: x.data, b: w.data, c: y.data)
            }
            benchmark.stopMeasurement()
            blackHole(y)
        }
        Benchmark("linear forward \(tag)") { benchmark in
            let x = filled([rows, inF], 1), w = filled([outF, inF], 2), b = filled([outF], 3)
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations { blackHole(withoutGrad { Tensor.linear(x, w, b) }) }
            benchmark.stopMeasurement()
        }
        Benchmark("linear fwd+bwd frozen W \(tag)") { benchmark in
            let x = filled([rows, inF], 1).requiringGrad(), w = filled([outF, inF], 2), b = filled([outF], 3)
            let g = filled([rows, outF], 4)
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                x.grad = nil
                Tensor.linear(x, w, b).backward(g)
                blackHole(x.grad)
            }
            benchmark.stopMeasurement()
        }
        Benchmark("linear fwd+bwd trainable W \(tag)") { benchmark in
            let x = filled([rows, inF], 1).requiringGrad(), w = filled([outF, inF], 2).requiringGrad()
            let b = filled([outF], 3).requiringGrad(), g = filled([rows, outF], 4)
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                x.grad = nil; w.grad = nil; b.grad = nil
                Tensor.linear(x, w, b).backward(g)
                blackHole(w.grad)
            }
            benchmark.stopMeasurement()
        }
    }
}

// Thread control: one count for the engine's workers, set once. OpenBLAS itself stays single-threaded: `gemm`
// splits large products across the engine's workers (BLAS.swift says why).
// Work is split into chunks whose boundaries depend only on the problem size and the thread
// count, so results are bit-identical for a fixed thread count.
import CBLAS
import Foundation

/// Engine-wide thread settings and BLAS identity (recorded in every run's metadata).
public enum Threads {
    nonisolated(unsafe) public private(set) static var count = 1

    /// True while the engine's own workers run (set by `runOnWorkers` on the dispatching thread): a `gemm` called
    /// there runs whole on its worker instead of splitting again.
    nonisolated(unsafe) public fileprivate(set) static var insideWorkers = false

    /// Sets the engine's worker count; OpenBLAS is kept at one thread.
    public static func set(_ n: Int) {
        count = max(1, n)
        openblas_set_num_threads(1)
    }

    /// `openblas_get_corename()`, e.g. "Haswell" or "SkylakeX".
    public static var blasCore: String { String(cString: openblas_get_corename()) }
    public static var blasConfig: String { String(cString: openblas_get_config()) }
    public static var blasThreads: Int { Int(openblas_get_num_threads()) }
}

/// Runs `body(chunkStart, chunkEnd)` over 0..<n split into at most `Threads.count` contiguous chunks.
/// Small problems (below `grain` items) run inline.
@inline(__always)
public func parallelFor(_ n: Int, grain: Int = 16384, _ body: (Int, Int) -> Void) {
    let t = Threads.count
    if t <= 1 || n < grain * 2 {
        body(0, n)
        return
    }
    let chunks = min(t, (n + grain - 1) / grain)
    let per = (n + chunks - 1) / chunks
    runOnWorkers(chunks) { c in
        let s = c * per, e = min(n, s + per)
        if s < e { body(s, e) }
    }
}

/// Runs `body(i)` for every i in 0..<n across threads (for coarse items such as images or heads).
@inline(__always)
public func parallelItems(_ n: Int, _ body: (Int) -> Void) {
    if Threads.count <= 1 || n < 2 {
        for i in 0..<n { body(i) }
        return
    }
    runOnWorkers(n, body)
}

/// Runs `body(i)` for i in 0..<n on the engine's workers (the one place the engine dispatches them). A `gemm` inside
/// runs whole on its worker; nested calls leave the outer region's mark alone.
@inline(__always)
public func runOnWorkers(_ n: Int, _ body: (Int) -> Void) {
    let outermost = !Threads.insideWorkers
    if outermost { Threads.insideWorkers = true }
    defer { if outermost { Threads.insideWorkers = false } }
    withoutActuallyEscaping(body) { body in
        DispatchQueue.concurrentPerform(iterations: n) { body($0) }
    }
}

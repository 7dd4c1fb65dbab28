// The only place the engine calls cblas_sgemm. Transposes are passed as flags, never materialised.
//
// Threading: OpenBLAS always runs single-threaded; a large product is split by the engine itself into
// `Threads.count` contiguous blocks of C's rows (or columns, when C is wider than tall), one OpenBLAS call per
// worker. Why: OpenBLAS's idle worker threads spin on sched_yield for a while after every call, so during the
// engine's own parallel work (attention heads, GELU, LayerNorm) a third thread competed for the two cores (~7%
// of all samples in a 2-thread ViT-B/16 forward, perf), and OpenBLAS's threading of the many small per-head
// products was erratic. The block bounds depend only on the shape and the thread count, so a run repeats bit for bit
// at a fixed thread count; a block boundary moves OpenBLAS's edge tiles, so some elements differ in their last bits
// from the single-threaded product (as they did under OpenBLAS's own threading). Tests: GemmSplitTests.
import CBLAS

/// C[M×N] = alpha · op(A) · op(B) + beta · C, row-major; op = transpose when the flag is set.
/// `lda`/`ldb`/`ldc` default to the packed leading dimensions.
@inline(__always)
public func gemm(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
    alpha: Float = 1, a: UnsafePointer<Float>, lda: Int? = nil,
    b: UnsafePointer<Float>, ldb: Int? = nil,
    beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int? = nil
) {
    if m == 0 || n == 0 { return }
    if k == 0 {
        if beta == 0 { for i in 0..<m { (c + i * (ldc ?? n)).update(repeating: 0, count: n) } }
        return
    }
    let g = GemmCall(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda ?? (transA ? m : k),
                     b: b, ldb: ldb ?? (transB ? k : n), beta: beta, c: c, ldc: ldc ?? n)
    let workers = GemmCall.workers(m: m, n: n, k: k)
    if workers <= 1 { g.run() } else { g.runSplit(workers: workers) }
}

/// One sgemm call's arguments, and its split across the engine's workers.
struct GemmCall {
    var transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float
    var a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float
    var c: UnsafeMutablePointer<Float>, ldc: Int

    /// Products below this many multiply-adds (~10 µs of one core) run in the caller: a dispatch costs more.
    static let splitThreshold = 1 << 20
    /// Rows/columns per block are a multiple of this (whole kernel tiles for every worker but the last).
    static let blockAlignment = 16

    /// Workers for an M×N×K product: 1 inside the engine's own parallel regions, for small products and for a
    /// single thread; else up to `Threads.count`, each with at least 64 rows (or columns).
    @inline(__always)
    static func workers(m: Int, n: Int, k: Int) -> Int {
        let t = Threads.count
        if t <= 1 || Threads.insideWorkers || m * n * k < splitThreshold { return 1 }
        return Swift.min(t, Swift.max(m, n) / 64)
    }

    /// The whole product in one single-threaded OpenBLAS call on this thread.
    @inline(__always)
    func run() {
        cblas_sgemm(
            CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Rows (or columns) per block when `length` of them are split over `workers`: an even share rounded up to
    /// `blockAlignment`, so the bounds depend only on the shape and the worker count.
    static func blockLength(_ length: Int, workers: Int) -> Int {
        ((length + workers - 1) / workers + blockAlignment - 1) / blockAlignment * blockAlignment
    }

    /// The rows of C (or its columns, when N > M) in contiguous blocks of `blockLength`, one OpenBLAS call each.
    func runSplit(workers: Int) {
        let byRows = m >= n
        let length = byRows ? m : n
        let per = Self.blockLength(length, workers: workers)
        runOnWorkers((length + per - 1) / per) { w in
            let s = w * per, e = Swift.min(length, s + per)
            var part = self
            if byRows {
                // Rows s..<e of op(A): row s of A, or column s of the stored Aᵀ.
                part.m = e - s
                part.a = transA ? a + s : a + s * lda
                part.c = c + s * ldc
            } else {
                // Columns s..<e of op(B): column s of B, or row s of the stored Bᵀ.
                part.n = e - s
                part.b = transB ? b + s * ldb : b + s
                part.c = c + s
            }
            part.run()
        }
    }
}

/// sgemm with OpenBLAS's own threading over `threads` threads (the engine never calls it this way): the ceiling
/// `bench throughput --sgemm` reports beside the engine's split `gemm`.
public func openBLASThreadedGemm(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                                 c: UnsafeMutablePointer<Float>, threads: Int) {
    openblas_set_num_threads(Int32(Swift.max(1, threads)))
    defer { openblas_set_num_threads(1) }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), 1, a, Int32(k), b, Int32(n), 0, c, Int32(n))
}

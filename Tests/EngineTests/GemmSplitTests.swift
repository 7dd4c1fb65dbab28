import XCTest
@testable import Engine

/// `gemm` splits large products across the engine's workers (rows of C, or columns when C is wider than tall),
/// OpenBLAS single-threaded in each. The split must be exactly its blocks' own products (each block one
/// single-threaded OpenBLAS call at fixed bounds), hence the same bits on every run at a thread count, and equal the
/// whole product to rounding, for every transpose, leading dimension and beta.
final class GemmSplitTests: XCTestCase {
    override func tearDown() { Threads.set(1) }

    struct Case { var transA: Bool, transB: Bool, m: Int, n: Int, k: Int, beta: Float }

    /// A, B, C inside larger buffers (leading dimensions padded by 3).
    struct Operands {
        let a: Tensor, b: Tensor, c: Tensor, lda: Int, ldb: Int, ldc: Int
        init(_ t: Case) {
            let (ar, ac) = t.transA ? (t.k, t.m) : (t.m, t.k), (br, bc) = t.transB ? (t.n, t.k) : (t.k, t.n)
            lda = ac + 3; ldb = bc + 3; ldc = t.n + 3
            a = randomTensor([ar * lda], seed: 11); b = randomTensor([br * ldb], seed: 12); c = randomTensor([t.m * ldc], seed: 13)
        }
    }

    /// C = 0.75·op(A)·op(B) + beta·C through `gemm` at `threads`.
    func product(_ t: Case, threads: Int) -> [Float] {
        Threads.set(threads)
        let o = Operands(t)
        gemm(transA: t.transA, transB: t.transB, m: t.m, n: t.n, k: t.k, alpha: 0.75, a: o.a.data, lda: o.lda, b: o.b.data,
             ldb: o.ldb, beta: t.beta, c: o.c.data, ldc: o.ldc)
        return o.c.scalars
    }

    /// The same product assembled block by block on one thread, with the bounds the split must use.
    func blockwise(_ t: Case, threads: Int) -> [Float] {
        Threads.set(threads)
        let workers = GemmCall.workers(m: t.m, n: t.n, k: t.k)
        Threads.set(1)
        let o = Operands(t)
        let byRows = t.m >= t.n, length = byRows ? t.m : t.n
        let per = GemmCall.blockLength(length, workers: workers)
        for s in stride(from: 0, to: length, by: per) {
            let e = min(length, s + per)
            if byRows {
                gemm(transA: t.transA, transB: t.transB, m: e - s, n: t.n, k: t.k, alpha: 0.75,
                     a: t.transA ? o.a.data + s : o.a.data + s * o.lda, lda: o.lda, b: o.b.data, ldb: o.ldb, beta: t.beta,
                     c: o.c.data + s * o.ldc, ldc: o.ldc)
            } else {
                gemm(transA: t.transA, transB: t.transB, m: t.m, n: e - s, k: t.k, alpha: 0.75, a: o.a.data, lda: o.lda,
                     b: t.transB ? o.b.data + s * o.ldb : o.b.data + s, ldb: o.ldb, beta: t.beta, c: o.c.data + s, ldc: o.ldc)
            }
        }
        return o.c.scalars
    }

    func testSplitIsItsBlocksAndEqualsTheWholeProduct() {
        // Tall (split by rows), wide (split by columns), uneven lengths, and a block boundary inside a kernel tile.
        let shapes = [(m: 600, n: 96, k: 200), (m: 40, n: 1201, k: 200), (m: 333, n: 329, k: 97), (m: 777, n: 300, k: 64)]
        for s in shapes {
            for transA in [false, true] {
                for transB in [false, true] {
                    for beta: Float in [0, 1] {
                        let t = Case(transA: transA, transB: transB, m: s.m, n: s.n, k: s.k, beta: beta)
                        let whole = product(t, threads: 1)
                        for threads in [2, 3] {
                            Threads.set(threads)
                            XCTAssertGreaterThan(GemmCall.workers(m: s.m, n: s.n, k: s.k), 1, "\(s) must split")
                            let split = product(t, threads: threads)
                            let again = product(t, threads: threads)
                            let blocks = blockwise(t, threads: threads)
                            let label = "\(s) transA \(transA) transB \(transB) beta \(beta) threads \(threads)"
                            XCTAssertEqual(zip(split, blocks).filter { $0.bitPattern != $1.bitPattern }.count, 0, "\(label): split ≠ its blocks")
                            XCTAssertEqual(zip(split, again).filter { $0.bitPattern != $1.bitPattern }.count, 0, "\(label): not deterministic")
                            // Rounding only: |Δ| ≤ 1e-5 · Σ|terms| (k · 1 · 1 · 0.75 bounds it for inputs in [-1, 1]).
                            let worst = zip(split, whole).map { abs($0 - $1) }.max() ?? 0
                            XCTAssertLessThan(worst, 1e-5 * Float(s.k), "\(label): split far from the whole product")
                        }
                    }
                }
            }
        }
    }

    func testSplitRulesKeepSmallProductsAndNestedCallsWhole() {
        Threads.set(2)
        XCTAssertEqual(GemmCall.workers(m: 64, n: 64, k: 64), 1, "below the split threshold")
        XCTAssertEqual(GemmCall.workers(m: 100, n: 100, k: 100_000), 1, "fewer than 64 rows or columns per worker")
        XCTAssertEqual(GemmCall.workers(m: 6304, n: 3072, k: 768), 2)
        Threads.set(8)
        XCTAssertEqual(GemmCall.workers(m: 6304, n: 3072, k: 768), 8)
        XCTAssertEqual(GemmCall.workers(m: 32, n: 300, k: 768 * 64), 4, "CLS rows only: split by columns, 64 each at least")
        var inside = [Int](repeating: 0, count: 2)
        inside.withUnsafeMutableBufferPointer { p in runOnWorkers(2) { w in p[w] = GemmCall.workers(m: 6304, n: 3072, k: 768) } }
        XCTAssertEqual(inside, [1, 1], "inside the engine's own parallel regions a gemm runs on its worker")
        XCTAssertFalse(Threads.insideWorkers)
        parallelFor(100_000, grain: 1000) { _, _ in XCTAssertTrue(Threads.insideWorkers) }
        XCTAssertFalse(Threads.insideWorkers)
        Threads.set(1)
        XCTAssertEqual(GemmCall.workers(m: 6304, n: 3072, k: 768), 1)
    }
}

// The only place the engine calls cblas_sgemm. Transposes are passed as flags, never materialised.
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
    let la = lda ?? (transA ? m : k)
    let lb = ldb ?? (transB ? k : n)
    cblas_sgemm(
        CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
        Int32(m), Int32(n), Int32(k), alpha, a, Int32(la), b, Int32(lb), beta, c, Int32(ldc ?? n))
}

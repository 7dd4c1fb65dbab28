// Matrix products on cblas_sgemm. Transposes are GEMM flags; nothing is materialised.
//   matmul: a [M, K] · b [K, N] → [M, N]           (either side optionally transposed)
//   bmm:    a [B, M, K] · b [B, K, N] → [B, M, N]    (b may be 2-D and shared by the batch)
//   linear: x [..., I] · Wᵀ (W [O, I]) + b [O] → [..., O]   (PyTorch's nn.Linear layout)
import Foundation

extension Tensor {
    /// 2-D product with optional transposes: op(a) · op(b).
    public static func matmul(_ a: Tensor, _ b: Tensor, transA: Bool = false, transB: Bool = false) -> Tensor {
        precondition(a.rank == 2 && b.rank == 2, "matmul needs 2-D operands, got \(a.shape) \(b.shape)")
        let m = transA ? a.shape[1] : a.shape[0], k = transA ? a.shape[0] : a.shape[1]
        let n = transB ? b.shape[0] : b.shape[1], kb = transB ? b.shape[1] : b.shape[0]
        precondition(k == kb, "matmul inner dims \(k) vs \(kb)")
        let out = Tensor(uninitialized: [m, n])
        gemm(transA: transA, transB: transB, m: m, n: n, k: k, a: a.data, b: b.data, c: out.data)
        return out.record("matmul", [a, b]) { g in
            var da: Tensor? = nil, db: Tensor? = nil
            if a.requiresGrad {
                // C = op(A) op(B): dop(A) = G op(B)ᵀ; if A was transposed, dA = op(B) Gᵀ.
                let t = Tensor(uninitialized: a.shape)
                if transA { gemm(transA: transB, transB: true, m: k, n: m, k: n, a: b.data, b: g.data, c: t.data) }
                else { gemm(transA: false, transB: !transB, m: m, n: k, k: n, a: g.data, b: b.data, c: t.data) }
                da = t
            }
            if b.requiresGrad {
                let t = Tensor(uninitialized: b.shape)
                if transB { gemm(transA: true, transB: transA, m: n, n: k, k: m, a: g.data, b: a.data, c: t.data) }
                else { gemm(transA: !transA, transB: false, m: k, n: n, k: m, a: a.data, b: g.data, c: t.data) }
                db = t
            }
            return [da, db]
        }
    }

    /// Batched product: a [B, M, K] (or [B, K, M] with transA) with b [B, K, N] / [K, N] (transB flips).
    public static func bmm(_ a: Tensor, _ b: Tensor, transA: Bool = false, transB: Bool = false) -> Tensor {
        precondition(a.rank == 3 && (b.rank == 3 || b.rank == 2), "bmm shapes \(a.shape) \(b.shape)")
        let batch = a.shape[0], shared = b.rank == 2
        precondition(shared || b.shape[0] == batch, "bmm batch \(batch) vs \(b.shape[0])")
        let m = transA ? a.shape[2] : a.shape[1], k = transA ? a.shape[1] : a.shape[2]
        let bs = shared ? b.shape : Array(b.shape[1...])
        let n = transB ? bs[0] : bs[1], kb = transB ? bs[1] : bs[0]
        precondition(k == kb, "bmm inner dims \(k) vs \(kb)")
        let out = Tensor(uninitialized: [batch, m, n])
        let sa = m * k, sb = shared ? 0 : k * n, sc = m * n
        for i in 0..<batch {
            gemm(transA: transA, transB: transB, m: m, n: n, k: k, a: a.data + i * sa, b: b.data + i * sb, c: out.data + i * sc)
        }
        return out.record("bmm", [a, b]) { g in
            var da: Tensor? = nil, db: Tensor? = nil
            if a.requiresGrad {
                let t = Tensor(uninitialized: a.shape)
                for i in 0..<batch {
                    let gi = g.data + i * sc, bi = b.data + i * sb, ti = t.data + i * sa
                    if transA { gemm(transA: transB, transB: true, m: k, n: m, k: n, a: bi, b: gi, c: ti) }
                    else { gemm(transA: false, transB: !transB, m: m, n: k, k: n, a: gi, b: bi, c: ti) }
                }
                da = t
            }
            if b.requiresGrad {
                let t = Tensor(zeros: b.shape)
                for i in 0..<batch {
                    let gi = g.data + i * sc, ai = a.data + i * sa, ti = t.data + i * sb
                    let beta: Float = shared && i > 0 ? 1 : 0
                    if transB { gemm(transA: true, transB: transA, m: n, n: k, k: m, a: gi, b: ai, beta: beta, c: ti) }
                    else { gemm(transA: !transA, transB: false, m: k, n: n, k: m, a: ai, b: gi, beta: beta, c: ti) }
                }
                db = t
            }
            return [da, db]
        }
    }

    /// nn.Linear: y = x Wᵀ + b with W [O, I]. A frozen W costs one GEMM in backward (dx only).
    public static func linear(_ x: Tensor, _ w: Tensor, _ bias: Tensor? = nil) -> Tensor {
        let inF = w.shape[1], outF = w.shape[0]
        precondition(x.shape.last == inF, "linear: input \(x.shape) for weight \(w.shape)")
        let rowsN = x.count / inF
        var s = x.shape; s[s.count - 1] = outF
        let out = Tensor(uninitialized: s)
        if let bias {
            precondition(bias.count == outF, "linear bias \(bias.shape) for \(outF) outputs")
            // Bias pre-filled so the GEMM adds into it (beta = 1).
            let o = out.data, bp = bias.data
            parallelFor(rowsN, grain: Swift.max(1, 16384 / outF)) { s0, e0 in
                for r in s0..<e0 { (o + r * outF).update(from: bp, count: outF) }
            }
        }
        gemm(transA: false, transB: true, m: rowsN, n: outF, k: inF, a: x.data, b: w.data, beta: bias == nil ? 0 : 1, c: out.data)
        let inputs = bias.map { [x, w, $0] } ?? [x, w]
        // The input is kept only when W needs a gradient (a frozen layer's backward is dX = G W alone).
        let xForDW: Tensor? = w.requiresGrad ? x : nil
        let xNeedsGrad = x.requiresGrad, xShape = x.shape, biasNeedsGrad = bias?.requiresGrad ?? false, hasBias = bias != nil
        return out.record("linear", inputs) { g in
            var res: [Tensor?] = [nil, nil]
            if xNeedsGrad {
                let dx = Tensor(uninitialized: xShape)
                gemm(transA: false, transB: false, m: rowsN, n: inF, k: outF, a: g.data, b: w.data, c: dx.data)
                res[0] = dx
            }
            if let x = xForDW {
                let dw = Tensor(uninitialized: w.shape)
                gemm(transA: true, transB: false, m: outF, n: inF, k: rowsN, a: g.data, b: x.data, c: dw.data)
                res[1] = dw
            }
            if hasBias {
                res.append(biasNeedsGrad ? g.shapedView([rowsN, outF]).sumRaw(axis: 0) : nil)
            }
            return res
        }
    }
}

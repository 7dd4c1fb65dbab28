// Scaled dot-product attention. q [B, H, N, d], k/v [B, H, M, d], mask additive, broadcastable to
// [B, H, N, M] (shapes [N, M], [B, 1, N, M] or [B, H, N, M]). out [B, H, N, d].
//   S = q kᵀ · scale + mask;  P = softmax(S);  O = P v
// Backward: dV = Pᵀ dO; dP = dO Vᵀ; dS = P ⊙ (dP − rowsum(dP ⊙ P)); dQ = dS K · scale; dK = dSᵀ Q · scale.
import Foundation

extension Tensor {
    public static func attention(_ q: Tensor, _ k: Tensor, _ v: Tensor, mask: Tensor? = nil, scale: Float? = nil) -> Tensor {
        precondition(q.rank == 4 && k.rank == 4 && v.rank == 4, "attention expects 4-D q/k/v")
        let (b, h, n, d) = (q.shape[0], q.shape[1], q.shape[2], q.shape[3])
        let m = k.shape[2]
        precondition(k.shape == [b, h, m, d] && v.shape[0] == b && v.shape[1] == h && v.shape[2] == m, "attention shapes")
        let dv = v.shape[3]
        let sc = scale ?? 1 / Float(d).squareRoot()
        // Mask strides over (batch, head) so one [N, M] block is found per (b, h).
        var maskBStride = 0, maskHStride = 0
        if let mask {
            let ms = mask.shape
            precondition(ms.suffix(2) == [n, m][...], "attention mask \(ms) for scores [\(n), \(m)]")
            if ms.count == 4 {
                maskBStride = ms[0] == 1 ? 0 : ms[1] * n * m
                maskHStride = ms[1] == 1 ? 0 : n * m
            } else { precondition(ms.count == 2, "attention mask must be 2-D or 4-D") }
        }
        let probs = Tensor(uninitialized: [b, h, n, m])
        let out = Tensor(uninitialized: [b, h, n, dv])
        let qd = q.data, kd = k.data, vd = v.data, pd = probs.data, od = out.data
        for bi in 0..<b {
            for hi in 0..<h {
                let z = bi * h + hi
                let p = pd + z * n * m
                gemm(transA: false, transB: true, m: n, n: m, k: d, alpha: sc, a: qd + z * n * d, b: kd + z * m * d, c: p)
                if let mask {
                    let mp = mask.data + bi * maskBStride + hi * maskHStride
                    for i in 0..<(n * m) { p[i] += mp[i] }
                }
                softmaxRows(p, p, n, m)
                gemm(transA: false, transB: false, m: n, n: dv, k: m, a: p, b: vd + z * m * dv, c: od + z * n * dv)
            }
        }
        return out.record("attention", [q, k, v]) { g in
            let gd = g.data, pd = probs.data, qd = q.data, kd = k.data, vd = v.data
            let dq: Tensor? = q.requiresGrad ? Tensor(uninitialized: q.shape) : nil
            let dk: Tensor? = k.requiresGrad ? Tensor(uninitialized: k.shape) : nil
            let dvT: Tensor? = v.requiresGrad ? Tensor(uninitialized: v.shape) : nil
            let ds = Tensor(uninitialized: [n, m])
            for z in 0..<(b * h) {
                let p = pd + z * n * m, gz = gd + z * n * dv
                if let dvT { gemm(transA: true, transB: false, m: m, n: dv, k: n, a: p, b: gz, c: dvT.data + z * m * dv) }
                guard dq != nil || dk != nil else { continue }
                gemm(transA: false, transB: true, m: n, n: m, k: dv, a: gz, b: vd + z * m * dv, c: ds.data)
                let s = ds.data
                for i in 0..<n {
                    var dot: Float = 0
                    for j in 0..<m { dot += s[i * m + j] * p[i * m + j] }
                    for j in 0..<m { s[i * m + j] = p[i * m + j] * (s[i * m + j] - dot) }
                }
                if let dq { gemm(transA: false, transB: false, m: n, n: d, k: m, alpha: sc, a: s, b: kd + z * m * d, c: dq.data + z * n * d) }
                if let dk { gemm(transA: true, transB: false, m: m, n: d, k: n, alpha: sc, a: s, b: qd + z * n * d, c: dk.data + z * m * d) }
            }
            return [dq, dk, dvT]
        }
    }
}

// Packed multi-head self-attention, no permutes. qkv [B, N, 3D] is the qkv projection in timm's layout
// ([q | k | v] along the last axis, head h at columns h·d ..< (h+1)·d of each part); out [B, N, D] has the heads
// concatenated, as `proj` expects. Q, K, V of head (b, h) are read in place with leading dimension 3D and the
// output written with ldc = D; the backward writes dQ/dK/dV into one [B, N, 3D] gradient the same way.
// The B·H independent head problems are split across `Threads.count` workers in contiguous chunks, each calling
// single-threaded BLAS, so results do not depend on scheduling (bit-identical for a fixed thread count).
// `queries` = q < N computes only the first q query rows (out [B, q, D]); keys and values stay all N tokens
// (a ViT's last block when only the CLS row is read).
// `prefix` = (K, V), each [H, P, d] (any leading 1s), are P extra key/value tokens shared by every image (E2VPT's K/V
// prompts): head (b, h) attends over [prefix; own] keys (`prefixFirst`, else [own; prefix]). Their gradients
// are summed over the batch per worker, then over workers in a fixed order.
extension Tensor {
    public static func packedAttention(_ qkv: Tensor, heads: Int, mask: Tensor? = nil, scale: Float? = nil, queries: Int? = nil,
                                       prefix: (keys: Tensor, values: Tensor)? = nil, prefixFirst: Bool = true) -> Tensor {
        precondition(qkv.rank == 3 && qkv.shape[2] % (3 * heads) == 0, "packedAttention expects [B, N, 3D], got \(qkv.shape)")
        let (b, n, dim3) = (qkv.shape[0], qkv.shape[1], qkv.shape[2])
        let dim = dim3 / 3, h = heads, d = dim / h, nq = queries ?? n
        precondition(nq >= 1 && nq <= n, "packedAttention: \(nq) queries for \(n) tokens")
        let np = prefix.map { $0.keys.count / (h * d) } ?? 0
        if let prefix {
            precondition(prefix.keys.count == np * h * d && prefix.values.count == np * h * d && np > 0,
                         "packedAttention: prefix keys \(prefix.keys.shape) / values \(prefix.values.shape) for \(h) heads of \(d)")
            precondition(mask == nil, "packedAttention: a mask with prefix keys is not supported")
        }
        // Scores of one head: [nq, m] with m = np + n keys; own keys at column `ownAt`, prefix keys at `preAt`.
        let m = np + n, ownAt = prefixFirst ? np : 0, preAt = prefixFirst ? 0 : n
        let sc = scale ?? 1 / Float(d).squareRoot()
        var maskBStride = 0, maskHStride = 0
        if let mask {
            let ms = mask.shape
            precondition(ms.suffix(2) == [n, n][...], "attention mask \(ms) for scores [\(n), \(n)]")
            if ms.count == 4 {
                maskBStride = ms[0] == 1 ? 0 : ms[1] * n * n
                maskHStride = ms[1] == 1 ? 0 : n * n
            } else { precondition(ms.count == 2, "attention mask must be 2-D or 4-D") }
        }
        let out = Tensor(uninitialized: [b, nq, dim])
        let qd = qkv.data, od = out.data
        /// P = softmax(Q Kᵀ · scale + mask) of head problem z into `p` [nq, m]. The backward calls it again
        /// instead of keeping P (12·N² floats per image and layer, a quarter of a VPT-deep step's activations):
        /// same inputs, same single-threaded BLAS call, same arithmetic, so the same bits.
        /// It reads `qkv`, `mask` and `prefix` through the tensors (not saved pointers) so the backward keeps them alive.
        func probabilities(_ z: Int, into p: UnsafeMutablePointer<Float>) {
            let bi = z / h, hi = z % h
            let base = qkv.data + bi * n * dim3 + hi * d
            gemm(transA: false, transB: true, m: nq, n: n, k: d, alpha: sc, a: base, lda: dim3, b: base + dim, ldb: dim3, c: p + ownAt, ldc: m)
            if let prefix {
                gemm(transA: false, transB: true, m: nq, n: np, k: d, alpha: sc, a: base, lda: dim3, b: prefix.keys.data + hi * np * d, c: p + preAt, ldc: m)
            }
            if let mask {
                let mp = mask.data + bi * maskBStride + hi * maskHStride
                for i in 0..<(nq * n) { p[i] += mp[i] }
            }
            softmaxRowsSerial(p, nq, m)
        }
        let workers = headChunkCount(b * h)
        let forwardScratch = Tensor(uninitialized: [workers, nq, m])
        headChunks(b * h) { z, worker in
            let bi = z / h, hi = z % h
            let p = forwardScratch.data + worker * nq * m, o = od + bi * nq * dim + hi * d
            probabilities(z, into: p)
            gemm(transA: false, transB: false, m: nq, n: d, k: n, a: p + ownAt, lda: m, b: qd + bi * n * dim3 + hi * d + 2 * dim, ldb: dim3,
                 c: o, ldc: dim)
            if let prefix {
                gemm(transA: false, transB: false, m: nq, n: d, k: np, a: p + preAt, lda: m, b: prefix.values.data + hi * np * d,
                     beta: 1, c: o, ldc: dim)
            }
        }
        var inputs = [qkv]
        if let prefix { inputs += [prefix.keys, prefix.values] }
        return out.record("packedAttention", inputs) { g in
            // With fewer queries than tokens, dQ of the unused rows is zero.
            let dqkv = nq < n ? Tensor(zeros: qkv.shape) : Tensor(uninitialized: qkv.shape)
            let gd = g.data, dd = dqkv.data, qd = qkv.data
            let scratch = Tensor(uninitialized: [workers, 2, nq, m])
            // Per-worker sums of the prefix gradients, [workers, 2 (K, V), H, P, d].
            let preGrad: Tensor? = prefix == nil ? nil : Tensor(zeros: [workers, 2, h, np, d])
            headChunks(b * h) { z, worker in
                let bi = z / h, hi = z % h
                let base = qd + bi * n * dim3 + hi * d, dbase = dd + bi * n * dim3 + hi * d
                let gz = gd + bi * nq * dim + hi * d
                let p = scratch.data + worker * 2 * nq * m, s = p + nq * m
                probabilities(z, into: p)
                // dV = Pᵀ dO;  dP = dO Vᵀ;  dS = P ⊙ (dP − rowsum(dP ⊙ P));  dQ = dS K · scale;  dK = dSᵀ Q · scale
                gemm(transA: true, transB: false, m: n, n: d, k: nq, a: p + ownAt, lda: m, b: gz, ldb: dim, c: dbase + 2 * dim, ldc: dim3)
                gemm(transA: false, transB: true, m: nq, n: n, k: d, a: gz, lda: dim, b: base + 2 * dim, ldb: dim3, c: s + ownAt, ldc: m)
                if let prefix {
                    gemm(transA: false, transB: true, m: nq, n: np, k: d, a: gz, lda: dim, b: prefix.values.data + hi * np * d, c: s + preAt, ldc: m)
                }
                for i in 0..<nq {
                    let si = s + i * m, pi = p + i * m
                    let dot = vectorDot(si, pi, m)
                    for j in 0..<m { si[j] = pi[j] * (si[j] - dot) }
                }
                gemm(transA: false, transB: false, m: nq, n: d, k: n, alpha: sc, a: s + ownAt, lda: m, b: base + dim, ldb: dim3, c: dbase, ldc: dim3)
                gemm(transA: true, transB: false, m: n, n: d, k: nq, alpha: sc, a: s + ownAt, lda: m, b: base, ldb: dim3, c: dbase + dim, ldc: dim3)
                if let prefix, let preGrad {
                    let dK = preGrad.data + ((worker * 2) * h + hi) * np * d, dV = preGrad.data + ((worker * 2 + 1) * h + hi) * np * d
                    gemm(transA: false, transB: false, m: nq, n: d, k: np, alpha: sc, a: s + preAt, lda: m, b: prefix.keys.data + hi * np * d,
                         beta: 1, c: dbase, ldc: dim3)
                    gemm(transA: true, transB: false, m: np, n: d, k: nq, alpha: sc, a: s + preAt, lda: m, b: base, ldb: dim3, beta: 1, c: dK)
                    gemm(transA: true, transB: false, m: np, n: d, k: nq, a: p + preAt, lda: m, b: gz, ldb: dim, beta: 1, c: dV)
                }
            }
            guard let prefix, let preGrad else { return [dqkv] }
            let per = h * np * d
            let dK = Tensor(zeros: prefix.keys.shape), dV = Tensor(zeros: prefix.values.shape)
            for w in 0..<workers {
                let src = preGrad.data + w * 2 * per
                for i in 0..<per { dK.data[i] += src[i]; dV.data[i] += src[per + i] }
            }
            return [dqkv, dK, dV]
        }
    }

    /// Stable row softmax in place, single-threaded: `softmaxRowInPlace` per row (8-lane `fastExp8`, ≤ 2 ulp from
    /// libm's expf). Attention's scores are 12·N² exponentials per image and layer; libm's scalar expf took ~5% of a
    /// ViT-B/16 forward (perf, batch 16, 1 thread), which this cuts to a fraction.
    @inline(__always)
    static func softmaxRowsSerial(_ x: UnsafeMutablePointer<Float>, _ rowsN: Int, _ d: Int) {
        for i in 0..<rowsN { softmaxRowInPlace(x + i * d, d) }
    }
}

/// Number of workers `headChunks` uses for `items` head problems.
@inline(__always) func headChunkCount(_ items: Int) -> Int { max(1, min(Threads.count, items)) }

/// Runs `body(item)` for 0..<items in `headChunkCount` contiguous chunks on the engine's workers (each gemm inside whole).
@inline(__always) func headChunks(_ items: Int, _ body: (Int) -> Void) {
    headChunks(items) { i, _ in body(i) }
}

/// As above, also passing the worker index (for per-worker scratch).
func headChunks(_ items: Int, _ body: (Int, Int) -> Void) {
    let workers = headChunkCount(items)
    if workers <= 1 { for i in 0..<items { body(i, 0) }; return }
    let per = (items + workers - 1) / workers
    runOnWorkers(workers) { w in
        let s = w * per, e = min(items, s + per)
        if s < e { for i in s..<e { body(i, w) } }
    }
}

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

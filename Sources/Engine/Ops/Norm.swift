// LayerNorm over the last axis (x [..., C]) and BatchNorm2d over channels (x [B, C, H, W]).
import Foundation

extension Tensor {
    /// y = (x − μ) / √(σ² + eps) · weight + bias, statistics over the last axis (biased variance).
    public func layerNorm(weight: Tensor?, bias: Tensor?, eps: Float = 1e-5) -> Tensor {
        let c = shape.last!, rowsN = count / c
        let out = Tensor(uninitialized: shape)
        // Per-row mean and 1/σ kept for backward.
        let stats = Tensor(uninitialized: [rowsN, 2])
        let x = data, y = out.data, st = stats.data
        let w = weight?.data, b = bias?.data
        parallelFor(rowsN, grain: Swift.max(1, 4096 / c)) { s, e in
            for r in s..<e {
                let xb = x + r * c, yb = y + r * c
                // 16-lane sums (fixed lane order: same bits every call): the scalar sums did not vectorise.
                let mean = vectorSum(xb, c) / Float(c)
                let v = vectorSumOfSquaredDeviations(xb, c, from: mean)
                let rstd = 1 / (v / Float(c) + eps).squareRoot()
                st[2 * r] = mean; st[2 * r + 1] = rstd
                if let w, let b {  // the usual affine case as its own loop, so it vectorises
                    for j in 0..<c { yb[j] = (xb[j] - mean) * rstd * w[j] + b[j] }
                } else {
                    for j in 0..<c {
                        var t = (xb[j] - mean) * rstd
                        if let w { t *= w[j] }
                        if let b { t += b[j] }
                        yb[j] = t
                    }
                }
            }
        }
        var inputs = [self]
        if let weight { inputs.append(weight) }
        if let bias { inputs.append(bias) }
        return out.record("layerNorm", inputs) { [self] g in
            // Re-derive pointers from captured tensors so their buffers stay alive with the graph.
            let gd = g.data, x = self.data, st = stats.data, w = weight?.data
            var dx: Tensor? = nil, dw: Tensor? = nil, db: Tensor? = nil
            if let weight, weight.requiresGrad { dw = Tensor(zeros: [c]) }
            if let bias, bias.requiresGrad { db = Tensor(zeros: [c]) }
            if self.requiresGrad {
                let t = Tensor(uninitialized: self.shape)
                let dxp = t.data
                parallelFor(rowsN, grain: Swift.max(1, 4096 / c)) { s, e in
                    for r in s..<e {
                        let xb = x + r * c, gb = gd + r * c, db2 = dxp + r * c
                        let mean = st[2 * r], rstd = st[2 * r + 1]
                        // ĝ = g·w; dx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂))
                        let (sum1, sum2) = layerNormBackwardSums(gb, w, xb, c, mean: mean, rstd: rstd)
                        let s1 = sum1 / Float(c), s2 = sum2 / Float(c)
                        for j in 0..<c {
                            let gh = gb[j] * (w?[j] ?? 1)
                            let xh = (xb[j] - mean) * rstd
                            db2[j] = rstd * (gh - s1 - xh * s2)
                        }
                    }
                }
                dx = t
            }
            if dw != nil || db != nil {
                // Serial over rows in a fixed order: deterministic parameter gradients.
                let dwp = dw?.data, dbp = db?.data
                for r in 0..<rowsN {
                    let xb = x + r * c, gb = gd + r * c
                    let mean = st[2 * r], rstd = st[2 * r + 1]
                    if let dwp { for j in 0..<c { dwp[j] += gb[j] * (xb[j] - mean) * rstd } }
                    if let dbp { for j in 0..<c { dbp[j] += gb[j] } }
                }
            }
            var res: [Tensor?] = [dx]
            if weight != nil { res.append(dw) }
            if bias != nil { res.append(db) }
            return res
        }
    }

    /// BatchNorm2d. Training: batch statistics (biased variance to normalise, unbiased for the running
    /// update, momentum as PyTorch: running = (1−m)·running + m·batch). Eval: running statistics.
    public func batchNorm2d(
        weight: Tensor?, bias: Tensor?, runningMean: Tensor, runningVar: Tensor,
        training: Bool, momentum: Float = 0.1, eps: Float = 1e-5
    ) -> Tensor {
        precondition(rank == 4, "batchNorm2d expects [B, C, H, W], got \(shape)")
        let bsz = shape[0], c = shape[1], hw = shape[2] * shape[3]
        let n = bsz * hw
        let out = Tensor(uninitialized: shape)
        let mean = Tensor(uninitialized: [c]), rstd = Tensor(uninitialized: [c])
        let x = data, y = out.data, mp = mean.data, rp = rstd.data
        let w = weight?.data, b = bias?.data
        parallelItems(c) { ch in
            var m: Float, v: Float
            if training {
                var s: Double = 0
                for i in 0..<bsz { let p = x + (i * c + ch) * hw; for j in 0..<hw { s += Double(p[j]) } }
                m = Float(s / Double(n))
                var sv: Double = 0
                for i in 0..<bsz { let p = x + (i * c + ch) * hw; for j in 0..<hw { let d = Double(p[j] - m); sv += d * d } }
                v = Float(sv / Double(n))
                runningMean.data[ch] = (1 - momentum) * runningMean.data[ch] + momentum * m
                let unbiased = n > 1 ? Float(sv / Double(n - 1)) : v
                runningVar.data[ch] = (1 - momentum) * runningVar.data[ch] + momentum * unbiased
            } else {
                m = runningMean.data[ch]; v = runningVar.data[ch]
            }
            let r = 1 / (v + eps).squareRoot()
            mp[ch] = m; rp[ch] = r
            let scale = r * (w?[ch] ?? 1), shift = (b?[ch] ?? 0) - m * scale
            for i in 0..<bsz {
                let p = x + (i * c + ch) * hw, q = y + (i * c + ch) * hw
                for j in 0..<hw { q[j] = p[j] * scale + shift }
            }
        }
        var inputs = [self]
        if let weight { inputs.append(weight) }
        if let bias { inputs.append(bias) }
        return out.record("batchNorm2d", inputs) { [self] g in
            let gd = g.data, x = self.data, mp = mean.data, rp = rstd.data, w = weight?.data
            let dx: Tensor? = self.requiresGrad ? Tensor(uninitialized: self.shape) : nil
            let dw: Tensor? = (weight?.requiresGrad ?? false) ? Tensor(uninitialized: [c]) : nil
            let db: Tensor? = (bias?.requiresGrad ?? false) ? Tensor(uninitialized: [c]) : nil
            parallelItems(c) { ch in
                let m = mp[ch], r = rp[ch], wc = w?[ch] ?? 1
                var sg: Float = 0, sgx: Float = 0
                for i in 0..<bsz {
                    let p = x + (i * c + ch) * hw, q = gd + (i * c + ch) * hw
                    for j in 0..<hw { sg += q[j]; sgx += q[j] * (p[j] - m) * r }
                }
                dw?.data[ch] = sgx
                db?.data[ch] = sg
                guard let dx else { return }
                let o = dx.data
                if training {
                    let mg = sg / Float(n), mgx = sgx / Float(n)
                    for i in 0..<bsz {
                        let p = x + (i * c + ch) * hw, q = gd + (i * c + ch) * hw, d = o + (i * c + ch) * hw
                        for j in 0..<hw { d[j] = wc * r * (q[j] - mg - (p[j] - m) * r * mgx) }
                    }
                } else {
                    for i in 0..<bsz {
                        let q = gd + (i * c + ch) * hw, d = o + (i * c + ch) * hw
                        for j in 0..<hw { d[j] = q[j] * wc * r }
                    }
                }
            }
            var res: [Tensor?] = [dx]
            if weight != nil { res.append(dw) }
            if bias != nil { res.append(db) }
            return res
        }
    }
}

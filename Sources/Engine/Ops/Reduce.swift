// Reductions: sum / mean over axes, max over the last axis, logsumexp. Shapes: x [..., D, ...].
import Foundation

extension Tensor {
    /// Views this tensor as [outer, d, inner] around `axis`.
    @inline(__always)
    func around(_ axis: Int) -> (outer: Int, d: Int, inner: Int) {
        let a = normAxis(axis, rank)
        return (product(shape[..<a]), shape[a], product(shape[(a + 1)...]))
    }

    /// Sum over one axis, dropping it; no history.
    func sumRaw(axis: Int) -> Tensor {
        let a = normAxis(axis, rank)
        let (outer, d, inner) = around(a)
        var s = shape; s.remove(at: a)
        let out = Tensor(zeros: s)
        let x = data, o = out.data
        parallelFor(outer, grain: Swift.max(1, 4096 / Swift.max(1, d * inner))) { s0, e0 in
            for i in s0..<e0 {
                let ob = o + i * inner
                for j in 0..<d {
                    let xb = x + (i * d + j) * inner
                    for k in 0..<inner { ob[k] += xb[k] }
                }
            }
        }
        return out
    }

    /// Sum over `axes` (all axes when empty), keeping them as size 1 when `keepDims`.
    public func sum(axes: [Int] = [], keepDims: Bool = false) -> Tensor {
        let ax = axes.isEmpty ? Array(0..<rank) : axes.map { normAxis($0, rank) }
        var t: Tensor = self
        for a in ax.sorted(by: >) { t = t.sumRaw(axis: a) }
        var keptShape = shape
        for a in ax { keptShape[a] = 1 }
        let outShape = keepDims ? keptShape : t.shape
        let out = t.shape == outShape && t !== self ? t : t.copyRaw(shape: outShape)
        let inShape = shape
        return out.record("sum", [self]) { g in
            [g.copyRaw(shape: keptShape).broadcastRaw(to: inShape)]
        }
    }

    public func sum(axis: Int, keepDims: Bool = false) -> Tensor { sum(axes: [axis], keepDims: keepDims) }

    public func mean(axes: [Int] = [], keepDims: Bool = false) -> Tensor {
        let ax = axes.isEmpty ? Array(0..<rank) : axes.map { normAxis($0, rank) }
        let n = ax.reduce(1) { $0 * shape[$1] }
        return sum(axes: ax, keepDims: keepDims).scaled(1 / Float(n))
    }

    public func mean(axis: Int, keepDims: Bool = false) -> Tensor { mean(axes: [axis], keepDims: keepDims) }

    /// Materialises a broadcast of this tensor to `target` (no history).
    func broadcastRaw(to target: [Int]) -> Tensor {
        if shape == target { return self }
        let out = Tensor(uninitialized: target)
        let src = data, o = out.data
        let sa = broadcastStrides(shape, to: target)
        forEachBroadcast(target, sa, sa) { i, j, _ in o[i] = src[j] }
        return out
    }

    /// Broadcasts to `target` (materialised); backward sums back.
    public func expand(_ target: [Int]) -> Tensor {
        let inShape = shape
        return broadcastRaw(to: target).copyIfSame(self).record("expand", [self]) { g in [g.sumToShape(inShape)] }
    }

    /// Returns a distinct tensor object (a view) when `t` is `self`, so history is never attached twice.
    func copyIfSame(_ other: Tensor) -> Tensor { self === other ? detachedView() : self }

    /// log Σ exp over `axis` (stable), keeping dims when asked.
    public func logSumExp(axis: Int, keepDims: Bool = false) -> Tensor {
        let a = normAxis(axis, rank)
        let m = withoutGrad { self.maxRaw(axis: a) }  // [outer*inner] values, constant w.r.t. grad
        var ks = shape; ks[a] = 1
        let mt = m.copyRaw(shape: ks)
        let r = ((self - mt).exp().sum(axis: a, keepDims: true).log() + mt)
        if keepDims { return r }
        var s = shape; s.remove(at: a)
        return r.reshaped(s)
    }

    /// Max over an axis, dropping it; no history.
    func maxRaw(axis: Int) -> Tensor {
        let (outer, d, inner) = around(axis)
        var s = shape; s.remove(at: normAxis(axis, rank))
        let out = Tensor(repeating: -.infinity, shape: s)
        let x = data, o = out.data
        for i in 0..<outer {
            for j in 0..<d { for k in 0..<inner { o[i * inner + k] = Swift.max(o[i * inner + k], x[(i * d + j) * inner + k]) } }
        }
        return out
    }

    /// Index of the max along the last axis (first on ties), one per row.
    public func argmaxLastAxis() -> [Int] {
        let d = shape.last ?? 1, rows = count / Swift.max(d, 1)
        var res = [Int](repeating: 0, count: rows)
        let x = data
        for r in 0..<rows {
            var best = x[r * d], bi = 0
            for j in 1..<Swift.max(d, 1) where x[r * d + j] > best { best = x[r * d + j]; bi = j }
            res[r] = bi
        }
        return res
    }
}

// Layout ops: reshape (view), permute/transpose, concat/split/slice, index-select, gather.
import Foundation

extension Tensor {
    /// Same storage, new shape (one -1 allowed); no copy.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var s = newShape
        if let i = s.firstIndex(of: -1) {
            let known = s.enumerated().filter { $0.offset != i }.reduce(1) { $0 * $1.element }
            s[i] = known == 0 ? 0 : count / known
        }
        precondition(s.elementCount == count, "cannot reshape \(shape) to \(newShape)")
        let inShape = shape
        let out = Tensor(storage: storage, offset: offset, shape: s)
        return out.record("reshape", [self]) { g in [g.detachedView().shapedView(inShape)] }
    }

    public func reshaped(_ dims: Int...) -> Tensor { reshaped(dims) }

    /// No-history view with another shape.
    func shapedView(_ s: [Int]) -> Tensor { Tensor(storage: storage, offset: offset, shape: s) }
    func shaped(_ s: [Int]) -> Tensor { shapedView(s) }

    /// Rows [start, end) along axis 0, as a view sharing storage.
    public func rows(_ start: Int, _ end: Int) -> Tensor {
        precondition(start >= 0 && end <= shape[0] && start <= end, "rows \(start)..<\(end) of \(shape)")
        let inner = count / Swift.max(shape[0], 1)
        var s = shape; s[0] = end - start
        let out = Tensor(storage: storage, offset: offset + start * inner, shape: s)
        let inShape = shape
        return out.record("rows", [self]) { g in
            let dx = Tensor(zeros: inShape)
            (dx.data + start * inner).update(from: g.data, count: g.count)
            return [dx]
        }
    }

    /// General permutation of axes (materialised).
    public func permuted(_ perm: [Int]) -> Tensor {
        precondition(perm.sorted() == Array(0..<rank), "bad permutation \(perm) for rank \(rank)")
        let out = Tensor(uninitialized: perm.map { shape[$0] })
        Tensor.permuteCopy(src: data, srcShape: shape, perm: perm, dst: out.data)
        var inverse = [Int](repeating: 0, count: rank)
        for (i, p) in perm.enumerated() { inverse[p] = i }
        let outShape = out.shape
        return out.record("permute", [self]) { g in
            let dx = Tensor(uninitialized: inverse.map { outShape[$0] })
            Tensor.permuteCopy(src: g.data, srcShape: outShape, perm: inverse, dst: dx.data)
            return [dx]
        }
    }

    public func permuted(_ perm: Int...) -> Tensor { permuted(perm) }

    public func transposed(_ a: Int, _ b: Int) -> Tensor {
        var p = Array(0..<rank)
        p.swapAt(normAxis(a, rank), normAxis(b, rank))
        return permuted(p)
    }

    /// dst[i over permuted shape] = src[...]: walks the destination in order.
    static func permuteCopy(src: UnsafeMutablePointer<Float>, srcShape: [Int], perm: [Int], dst: UnsafeMutablePointer<Float>) {
        let r = srcShape.count
        var srcStrides = [Int](repeating: 1, count: r)
        for i in stride(from: r - 2, through: 0, by: -1) { srcStrides[i] = srcStrides[i + 1] * srcShape[i + 1] }
        let outShape = perm.map { srcShape[$0] }
        let st = perm.map { srcStrides[$0] }
        let n = outShape.elementCount
        if n == 0 { return }
        if r == 0 { dst[0] = src[0]; return }
        // Parallel over the outermost output axis.
        let outer = outShape[0], innerCount = n / outer
        parallelFor(outer, grain: Swift.max(1, 16384 / Swift.max(1, innerCount))) { s0, e0 in
            var idx = [Int](repeating: 0, count: r)
            for o0 in s0..<e0 {
                var o = o0 * innerCount
                let end = o + innerCount
                var si = o0 * st[0]
                for k in 1..<r { idx[k] = 0 }
                if r == 1 { dst[o] = src[si]; continue }
                let last = r - 1, inner = outShape[last], ls = st[last]
                while o < end {
                    var p = si
                    for _ in 0..<inner { dst[o] = src[p]; o += 1; p += ls }
                    var ax = last - 1
                    while ax >= 1 {
                        idx[ax] += 1; si += st[ax]
                        if idx[ax] < outShape[ax] { break }
                        si -= st[ax] * outShape[ax]; idx[ax] = 0; ax -= 1
                    }
                    if ax < 1 { break }
                }
            }
        }
    }

    /// Slice [start, end) along `axis` (materialised unless axis is 0).
    public func slice(axis: Int, _ start: Int, _ end: Int) -> Tensor {
        let a = normAxis(axis, rank)
        if a == 0 { return rows(start, end) }
        precondition(start >= 0 && end <= shape[a] && start <= end, "slice \(start)..<\(end) of axis \(a) in \(shape)")
        let (outer, d, inner) = around(a)
        let len = end - start
        var s = shape; s[a] = len
        let out = Tensor(uninitialized: s)
        let x = data, o = out.data
        for i in 0..<outer { (o + i * len * inner).update(from: x + (i * d + start) * inner, count: len * inner) }
        let inShape = shape
        return out.record("slice", [self]) { g in
            let dx = Tensor(zeros: inShape)
            let gd = g.data, dd = dx.data
            for i in 0..<outer { (dd + (i * d + start) * inner).update(from: gd + i * len * inner, count: len * inner) }
            return [dx]
        }
    }

    /// Concatenates along `axis`.
    public static func concat(_ ts: [Tensor], axis: Int) -> Tensor {
        precondition(!ts.isEmpty, "concat of nothing")
        let a = normAxis(axis, ts[0].rank)
        var s = ts[0].shape
        s[a] = ts.reduce(0) { $0 + $1.shape[a] }
        for t in ts {
            var ts2 = t.shape; ts2[a] = s[a]
            precondition(ts2 == s, "concat: \(t.shape) does not match \(ts[0].shape) off axis \(a)")
        }
        let out = Tensor(uninitialized: s)
        let outer = product(s[..<a]), inner = product(s[(a + 1)...]), total = s[a]
        let o = out.data
        var off = 0
        var offsets: [Int] = []
        for t in ts {
            let d = t.shape[a], x = t.data
            offsets.append(off)
            let offC = off
            parallelFor(outer, grain: Swift.max(1, 16384 / Swift.max(1, d * inner))) { s0, e0 in
                for i in s0..<e0 { (o + (i * total + offC) * inner).update(from: x + i * d * inner, count: d * inner) }
            }
            off += d
        }
        // Shapes and flags only (the pieces' values are not needed backward).
        let pieces = ts.map { (needs: $0.requiresGrad, shape: $0.shape) }
        return out.record("concat", ts) { g in
            var res: [Tensor?] = []
            for (t, offC) in zip(pieces, offsets) {
                guard t.needs else { res.append(nil); continue }
                let d = t.shape[a]
                let dx = Tensor(uninitialized: t.shape)
                let gd = g.data, dd = dx.data
                for i in 0..<outer { (dd + i * d * inner).update(from: gd + (i * total + offC) * inner, count: d * inner) }
                res.append(dx)
            }
            return res
        }
    }

    /// Splits along `axis` into pieces of the given sizes.
    public func split(_ sizes: [Int], axis: Int) -> [Tensor] {
        let a = normAxis(axis, rank)
        precondition(sizes.reduce(0, +) == shape[a], "split sizes \(sizes) for axis of \(shape[a])")
        var start = 0
        return sizes.map { n in defer { start += n }; return slice(axis: a, start, start + n) }
    }

    /// Selects `indices` along `axis` (repeats allowed); backward scatters-adds.
    public func indexSelect(axis: Int, _ indices: [Int]) -> Tensor {
        let a = normAxis(axis, rank)
        let (outer, d, inner) = around(a)
        for i in indices { precondition(i >= 0 && i < d, "index \(i) out of range 0..<\(d)") }
        var s = shape; s[a] = indices.count
        let out = Tensor(uninitialized: s)
        let x = data, o = out.data, k = indices.count
        for i in 0..<outer {
            for (j, idx) in indices.enumerated() { (o + (i * k + j) * inner).update(from: x + (i * d + idx) * inner, count: inner) }
        }
        let inShape = shape
        return out.record("indexSelect", [self]) { g in
            let dx = Tensor(zeros: inShape)
            let gd = g.data, dd = dx.data
            for i in 0..<outer {
                for (j, idx) in indices.enumerated() {
                    let src = gd + (i * k + j) * inner, dst = dd + (i * d + idx) * inner
                    for t in 0..<inner { dst[t] += src[t] }
                }
            }
            return [dx]
        }
    }

    /// torch.gather along the last axis: out[r, j] = x[r, index[r][j]] with x viewed as [rows, D].
    public func gatherLastAxis(_ index: [[Int]]) -> Tensor {
        let d = shape.last!, rowsN = count / d
        precondition(index.count == rowsN, "gather: \(index.count) index rows for \(rowsN) rows")
        let k = index.first?.count ?? 0
        var s = shape; s[rank - 1] = k
        let out = Tensor(uninitialized: s)
        let x = data, o = out.data
        for r in 0..<rowsN {
            precondition(index[r].count == k, "gather: ragged index")
            for j in 0..<k {
                let c = index[r][j]
                precondition(c >= 0 && c < d, "gather index \(c) out of range 0..<\(d)")
                o[r * k + j] = x[r * d + c]
            }
        }
        let inShape = shape
        return out.record("gather", [self]) { g in
            let dx = Tensor(zeros: inShape)
            for r in 0..<rowsN { for j in 0..<k { dx.data[r * d + index[r][j]] += g.data[r * k + j] } }
            return [dx]
        }
    }
}

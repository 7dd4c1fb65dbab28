// Vectorisable building blocks for hot backward loops (GELU's backward, attention's row dot): an exp made of plain
// arithmetic (so loops over it vectorise, unlike libm's expf) and a 16-lane dot product. Summation order is fixed
// by the lane layout, so results stay bit-identical run to run and across thread counts. (The attention softmax
// keeps libm's expf: the vectorised version measured slower there, Benchmarks/RESULTS.md.)

/// e^x to within ~2 ulp on [−87.3, 88.7] (Cephes expf: x = n·ln2 + r, degree-6 polynomial in r, 2^n from the
/// exponent bits); 0 below −87.3 (masked attention scores), +inf above, NaN stays NaN. Never traps.
@inline(__always) public func fastExp(_ x0: Float) -> Float {
    let x = Swift.min(Swift.max(x0, -87.33654), 88.72283)
    // n = round(x / ln2) by the 1.5·2^23 trick: the addition rounds, the low mantissa bits hold n.
    let k = x * 1.44269504088896341 + 12_582_912
    let n = k - 12_582_912
    let r = x - n * 0.693359375 + n * 2.12194440e-4
    var p: Float = 1.9875691500e-4
    p = p * r + 1.3981999507e-3
    p = p * r + 8.3334519073e-3
    p = p * r + 4.1665795894e-2
    p = p * r + 1.6666665459e-1
    p = p * r + 5.0000001201e-1
    let e = p * r * r + r + 1
    let scale = Float(bitPattern: (k.bitPattern &- 0x4B40_0000 &+ 127) << 23)
    return x0 < -87.33654 ? 0 : e * scale
}

/// Σ a[i]·b[i] for i < n.
@inline(__always) public func vectorDot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
    var acc = SIMD16<Float>(repeating: 0)
    var j = 0
    while j + 16 <= n {
        acc += UnsafeRawPointer(a + j).loadUnaligned(as: SIMD16<Float>.self) * UnsafeRawPointer(b + j).loadUnaligned(as: SIMD16<Float>.self)
        j += 16
    }
    var s = acc.sum()
    while j < n { s += a[j] * b[j]; j += 1 }
    return s
}

/// `fastExp` on 8 lanes at once (one AVX2 register on x86-64), the same operations in the same order lane by lane,
/// so a lane's result equals `fastExp` of it bit for bit. Written on SIMD8 because the scalar version's select and
/// bit casts keep the compiler from vectorising a loop over it.
@inline(__always) public func fastExp8(_ x0: SIMD8<Float>) -> SIMD8<Float> {
    // Clamp by compare-and-select: pointwiseMin/Max and clamped are not inlined (a generic call per vector). NaN
    // fails both comparisons and stays NaN.
    let lo = SIMD8<Float>(repeating: -87.33654), hi = SIMD8<Float>(repeating: 88.72283)
    let x = x0.replacing(with: lo, where: x0 .< lo).replacing(with: hi, where: x0 .> hi)
    let k = x * 1.44269504088896341 + 12_582_912
    let n = k - 12_582_912
    let r = x - n * 0.693359375 + n * 2.12194440e-4
    var p = SIMD8<Float>(repeating: 1.9875691500e-4)
    p = p * r + 1.3981999507e-3
    p = p * r + 8.3334519073e-3
    p = p * r + 4.1665795894e-2
    p = p * r + 1.6666665459e-1
    p = p * r + 5.0000001201e-1
    let e = p * r * r + r + 1
    let bits = (unsafeBitCast(k, to: SIMD8<Int32>.self) &- 0x4B40_0000 &+ 127) &<< 23
    let y = e * unsafeBitCast(bits, to: SIMD8<Float>.self)
    return y.replacing(with: 0, where: x0 .< lo)  // below the range: exactly 0 (masked scores)
}

/// Stable softmax of one row in place: max, e^(x − max) with `fastExp8`, sum, scale. Fixed lane layout (8 lanes,
/// then the tail in order), so the same row gives the same bits on every call and thread count. A row that is all
/// −inf (fully masked) becomes zeros.
@inline(__always) public func softmaxRowInPlace(_ x: UnsafeMutablePointer<Float>, _ n: Int) {
    let raw = UnsafeMutableRawPointer(x)
    var mv = SIMD8<Float>(repeating: -.infinity)
    var j = 0
    while j + 8 <= n {
        let v = raw.loadUnaligned(fromByteOffset: 4 * j, as: SIMD8<Float>.self)
        mv = mv.replacing(with: v, where: v .> mv)
        j += 8
    }
    var m = mv.max()
    while j < n { m = Swift.max(m, x[j]); j += 1 }
    if m == -.infinity { x.update(repeating: 0, count: n); return }
    let mb = SIMD8<Float>(repeating: m)
    var sv = SIMD8<Float>(repeating: 0)
    j = 0
    while j + 8 <= n {
        let e = fastExp8(raw.loadUnaligned(fromByteOffset: 4 * j, as: SIMD8<Float>.self) - mb)
        raw.storeBytes(of: e, toByteOffset: 4 * j, as: SIMD8<Float>.self)
        sv += e
        j += 8
    }
    var sum = sv.sum()
    while j < n { let e = fastExp(x[j] - m); x[j] = e; sum += e; j += 1 }
    let inv = 1 / sum, iv = SIMD8<Float>(repeating: inv)
    j = 0
    while j + 8 <= n {
        raw.storeBytes(of: raw.loadUnaligned(fromByteOffset: 4 * j, as: SIMD8<Float>.self) * iv, toByteOffset: 4 * j, as: SIMD8<Float>.self)
        j += 8
    }
    while j < n { x[j] *= inv; j += 1 }
}

/// Σ x[i] for i < n, 16 lanes then the tail in order.
@inline(__always) public func vectorSum(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
    var acc = SIMD16<Float>(repeating: 0)
    var j = 0
    while j + 16 <= n { acc += UnsafeRawPointer(x + j).loadUnaligned(as: SIMD16<Float>.self); j += 16 }
    var s = acc.sum()
    while j < n { s += x[j]; j += 1 }
    return s
}

/// Σ (x[i] − mean)² for i < n, 16 lanes then the tail in order (LayerNorm's biased variance · n).
@inline(__always) public func vectorSumOfSquaredDeviations(_ x: UnsafePointer<Float>, _ n: Int, from mean: Float) -> Float {
    let mv = SIMD16<Float>(repeating: mean)
    var acc = SIMD16<Float>(repeating: 0)
    var j = 0
    while j + 16 <= n {
        let d = UnsafeRawPointer(x + j).loadUnaligned(as: SIMD16<Float>.self) - mv
        acc += d * d
        j += 16
    }
    var s = acc.sum()
    while j < n { let d = x[j] - mean; s += d * d; j += 1 }
    return s
}

/// LayerNorm backward's two row sums, Σ ĝ and Σ ĝ·x̂ with ĝ = g·w (w = 1 when nil) and x̂ = (x − mean)·rstd,
/// 16 lanes then the tail in order.
@inline(__always) public func layerNormBackwardSums(_ g: UnsafePointer<Float>, _ w: UnsafePointer<Float>?, _ x: UnsafePointer<Float>,
                                                    _ n: Int, mean: Float, rstd: Float) -> (Float, Float) {
    let mv = SIMD16<Float>(repeating: mean), rv = SIMD16<Float>(repeating: rstd)
    var a1 = SIMD16<Float>(repeating: 0), a2 = SIMD16<Float>(repeating: 0)
    var j = 0
    while j + 16 <= n {
        var gh = UnsafeRawPointer(g + j).loadUnaligned(as: SIMD16<Float>.self)
        if let w { gh *= UnsafeRawPointer(w + j).loadUnaligned(as: SIMD16<Float>.self) }
        let xh = (UnsafeRawPointer(x + j).loadUnaligned(as: SIMD16<Float>.self) - mv) * rv
        a1 += gh
        a2 += gh * xh
        j += 16
    }
    var s1 = a1.sum(), s2 = a2.sum()
    while j < n {
        let gh = g[j] * (w?[j] ?? 1), xh = (x[j] - mean) * rstd
        s1 += gh; s2 += gh * xh
        j += 1
    }
    return (s1, s2)
}

/// (a0, b0, a1, b1, …, a7, b7): two 8-lane vectors zipped (two unpacks and two lane permutes on AVX2).
@inline(__always) public func interleave(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD16<Float> {
    SIMD16(a[0], b[0], a[1], b[1], a[2], b[2], a[3], b[3], a[4], b[4], a[5], b[5], a[6], b[6], a[7], b[7])
}

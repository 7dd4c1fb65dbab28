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

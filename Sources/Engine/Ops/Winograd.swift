// Winograd F(2×2, 3×3) for 3×3, stride-1, padding-1 convolutions (Lavin & Gray, "Fast Algorithms for Convolutional
// Neural Networks", 2016). Every 2×2 block of outputs comes from a 4×4 input tile d and the 3×3 filter g as
//   Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A
// so the convolution becomes 16 independent GEMMs (one per tile position ξ) of U[ξ] [O, C] by V[ξ] [C, tiles] with
// 16 products per 4 outputs instead of 36: 2.25× fewer multiply-adds in the GEMMs, which carry ResNet's 3×3
// convolutions (45% of a ResNet-50 forward). The transforms' coefficients are 0, ±1 and ±½, exact in float; results
// differ from im2col + GEMM by rounding only (ConvPlanTests checks both against the same reference).
//   Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1]   G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1]   Aᵀ = [1 1 1 0; 0 1 −1 −1]
// The input gradient of such a convolution is again one (flipped, transposed filter; same padding): its U is the
// forward's with ξ's rows and columns taken in the order 3, 1, 2, 0 and O, C swapped, so it reuses the forward's U.
import Foundation

enum Winograd {
    /// 3×3, stride 1, dilation 1, padding 1, no groups: the "same" convolutions of ResNet's bottlenecks and basic
    /// blocks. Tiny maps are left to im2col (a 2×2 map would waste most of each 4×4 tile).
    static func applies(_ g: Conv2dGeometry, groups: Int, h: Int, w: Int) -> Bool {
        g.kernel == (3, 3) && g.stride == (1, 1) && g.dilation == (1, 1) && g.padding == (1, 1) && groups == 1 && h >= 4 && w >= 4
    }

    /// Tiles per image: ⌈H/2⌉ × ⌈W/2⌉.
    static func tiles(_ h: Int, _ w: Int) -> (Int, Int) { ((h + 1) / 2, (w + 1) / 2) }

    /// Tile columns per GEMM: images are grouped until the GEMM's n reaches this (as ConvPlan's column target).
    static let targetTiles = 1024

    /// U[ξ, o, c] = (G g_{o,c} Gᵀ)[ξ] for w [O, C, 3, 3]: 16 matrices [O, C]. Eight (o, c) pairs at a time (their
    /// 72 weights gathered into 9 vectors, fewer in the last block), so each of the 16 outputs is one 8-float store.
    static func filterTransform(_ w: UnsafePointer<Float>, o: Int, c: Int) -> Tensor {
        let u = Tensor(uninitialized: [16, o, c])
        let up = u.data, plane = o * c
        parallelFor((plane + 7) / 8, grain: 512) { s, e in
            let half = SIMD8<Float>(repeating: 0.5)
            for blk in s..<e {
                let g = w + blk &* 72, dst = up + blk &* 8, n = Swift.min(8, plane - 8 * blk)
                /// Tap k of the block's n filters (0 in the lanes past them).
                func tap(_ k: Int) -> SIMD8<Float> {
                    if n == 8 { return SIMD8(g[k], g[9 + k], g[18 + k], g[27 + k], g[36 + k], g[45 + k], g[54 + k], g[63 + k]) }
                    var v = SIMD8<Float>(repeating: 0)
                    for i in 0..<n { v[i] = g[9 * i + k] }
                    return v
                }
                let (g0, g1, g2, g3, g4, g5, g6, g7, g8) = (tap(0), tap(1), tap(2), tap(3), tap(4), tap(5), tap(6), tap(7), tap(8))
                // G g's rows (a, b, c): g0–g2, ½(row0 + row1 + row2), ½(row0 − row1 + row2), g6–g8; each times Gᵀ is
                // (a, ½(a+b+c), ½(a−b+c), c) at ξ = 4·row + 0…3.
                func row(_ r: Int, _ a: SIMD8<Float>, _ b: SIMD8<Float>, _ c: SIMD8<Float>) {
                    let p = dst + 4 * r * plane
                    store(a, p, n); store(half * (a + b + c), p + plane, n)
                    store(half * (a - b + c), p + 2 * plane, n); store(c, p + 3 * plane, n)
                }
                row(0, g0, g1, g2)
                row(1, half * (g0 + g3 + g6), half * (g1 + g4 + g7), half * (g2 + g5 + g8))
                row(2, half * (g0 - g3 + g6), half * (g1 - g4 + g7), half * (g2 - g5 + g8))
                row(3, g6, g7, g8)
            }
        }
        return u
    }

    /// y [B, cout, H, W] = conv3×3(x [B, cin, H, W]) with padding 1, through the filter transform u. Forward: u is
    /// [16, cout, cin]. `forInputGradient`: x is the output gradient, y the input gradient, and u the forward's
    /// [16, cin, cout] read as the flipped, transposed filter; x is read through the ReLU (zero where `mask`, the
    /// forward's output, is ≤ 0) and times the epilogue's per-channel `scale`, as the input transform loads it. The
    /// epilogue (forward) runs on each output plane as it is written. y is overwritten.
    static func convolve(_ x: UnsafePointer<Float>, mask: UnsafePointer<Float>? = nil, scale: UnsafePointer<Float>? = nil,
                         batch b: Int, inChannels cin: Int, h: Int, w: Int,
                         u: Tensor, outChannels cout: Int, forInputGradient: Bool,
                         _ y: UnsafeMutablePointer<Float>, epilogue: ConvEpilogue?) {
        let (th, tw) = tiles(h, w), per = th * tw
        let nb = Swift.max(1, Swift.min(b, (targetTiles + per - 1) / per))
        // M has 7 floats of slack: the output transform loads 8 tiles at a time, past the last one.
        let v = Tensor(uninitialized: [16, cin, nb * per]), m = Tensor(uninitialized: [16 * cout * nb * per + 7])
        let up = UnsafePointer(u.data)
        for b0 in Swift.stride(from: 0, to: b, by: nb) {
            let n = Swift.min(nb, b - b0), t = n * per, ldt = nb * per
            let first = b0 * cin * h * w
            inputTransform(x + first, mask: mask.map { $0 + first }, scale: scale, images: n, channels: cin, h: h, w: w, v.data, ld: ldt)
            // The 16 products are independent: each runs whole on one worker (no split, no repacking per block).
            parallelItems(16) { xi in
                if forInputGradient {
                    // U'[ξ] = U[π(ξ)]ᵀ with π permuting each of ξ's two indices as 3, 1, 2, 0.
                    func perm(_ i: Int) -> Int { i == 0 || i == 3 ? 3 - i : i }
                    let src = perm(xi / 4) * 4 + perm(xi % 4)
                    gemm(transA: true, transB: false, m: cout, n: t, k: cin, a: up + src * cin * cout, lda: cout,
                         b: v.data + xi * cin * ldt, ldb: ldt, c: m.data + xi * cout * ldt, ldc: ldt)
                } else {
                    gemm(transA: false, transB: false, m: cout, n: t, k: cin, a: up + xi * cout * cin, lda: cin,
                         b: v.data + xi * cin * ldt, ldb: ldt, c: m.data + xi * cout * ldt, ldc: ldt)
                }
            }
            outputTransform(UnsafePointer(m.data), ld: ldt, images: n, firstImage: b0, channels: cout, h: h, w: w, y, epilogue: epilogue)
        }
    }

    /// V[ξ, c, i·per + t] = (Bᵀ d B)[ξ] for each image i, channel c and tile t (rows of V `ld` floats apart).
    /// Each plane is first copied into a zero-bordered scratch plane (padded column p, row r is image column p − 1,
    /// row r − 1), so the transform reads 8 tiles at a time without bounds checks: a tile row's 4 × 4 inputs for 8
    /// tiles are two 16-float loads per input row, split into even and odd columns. The arithmetic is the same, in
    /// the same order, as one tile at a time (Bᵀ d first, then · B), so results do not depend on the vector width.
    /// With a `mask` and a `scale` (see `convolve`), x is read as x·scale[c] where mask > 0 and 0 elsewhere.
    static func inputTransform(_ x: UnsafePointer<Float>, mask: UnsafePointer<Float>? = nil, scale: UnsafePointer<Float>? = nil,
                               images: Int, channels c: Int, h: Int, w: Int, _ v: UnsafeMutablePointer<Float>, ld: Int) {
        let (th, tw) = tiles(h, w), per = th * tw
        let xiStride = c * ld
        let blocks = (tw + 7) / 8
        // Loads reach padded column 2·(8·blocks − 8) + 17; rows 0 … 2·th + 1.
        let pw = 16 * blocks + 2, ph = 2 * th + 2
        parallelFor(images * c, grain: 1) { s, e in
            let pad = UnsafeMutablePointer<Float>.allocate(capacity: ph * pw)
            defer { pad.deallocate() }
            // The border (row 0, rows past h, column 0, columns past w) is zero for every plane: written once.
            pad.initialize(repeating: 0, count: ph * pw)
            for job in s..<e {
                let img = job / c, ch = job % c
                let plane = x + (img * c + ch) * h * w, maskPlane = mask.map { $0 + (img * c + ch) * h * w }
                copyPadded(plane, mask: maskPlane, scale: scale?[ch] ?? 1, h: h, w: w, into: pad, pw: pw)
                let out = v + ch * ld + img * per
                for ty in 0..<th {
                    let r0 = pad + 2 * ty * pw, r1 = r0 + pw, r2 = r1 + pw, r3 = r2 + pw
                    for blk in 0..<blocks {
                        let tx0 = 8 * blk, col = 2 * tx0
                        // d[k][j]: input row k, tile column j, for 8 tiles.
                        let (d00, d01, d02, d03) = quad(r0 + col), (d10, d11, d12, d13) = quad(r1 + col)
                        let (d20, d21, d22, d23) = quad(r2 + col), (d30, d31, d32, d33) = quad(r3 + col)
                        // Bᵀ d: rows d0 − d2, d1 + d2, d2 − d1, d1 − d3 (each of the 4 columns).
                        let t00 = d00 - d20, t01 = d01 - d21, t02 = d02 - d22, t03 = d03 - d23
                        let t10 = d10 + d20, t11 = d11 + d21, t12 = d12 + d22, t13 = d13 + d23
                        let t20 = d20 - d10, t21 = d21 - d11, t22 = d22 - d12, t23 = d23 - d13
                        let t30 = d10 - d30, t31 = d11 - d31, t32 = d12 - d32, t33 = d13 - d33
                        // (Bᵀ d) B: columns e0 − e2, e1 + e2, e2 − e1, e1 − e3 of each row a → ξ = 4a + j.
                        // Lanes past the tile row land on the next row's tiles of the same image, which this job
                        // writes afterwards; only the image's last tiles are stored lane by lane (the next image's
                        // may belong to another worker).
                        let o = out + ty * tw + tx0, n = ty * tw + tx0 + 8 <= per ? 8 : tw - tx0
                        func put(_ xi: Int, _ value: SIMD8<Float>) { store(value, o + xi * xiStride, n) }
                        put(0, t00 - t02); put(1, t01 + t02); put(2, t02 - t01); put(3, t01 - t03)
                        put(4, t10 - t12); put(5, t11 + t12); put(6, t12 - t11); put(7, t11 - t13)
                        put(8, t20 - t22); put(9, t21 + t22); put(10, t22 - t21); put(11, t21 - t23)
                        put(12, t30 - t32); put(13, t31 + t32); put(14, t32 - t31); put(15, t31 - t33)
                    }
                }
            }
        }
    }

    /// Rows 1 … h, columns 1 … w of the padded plane from x [h, w] (through the mask and the scale; × 1 is exact).
    @inline(__always)
    private static func copyPadded(_ x: UnsafePointer<Float>, mask: UnsafePointer<Float>?, scale a: Float, h: Int, w: Int,
                                   into pad: UnsafeMutablePointer<Float>, pw: Int) {
        let zero = SIMD8<Float>(repeating: 0)
        for r in 0..<h {
            let src = x + r * w, dst = pad + (r + 1) * pw + 1, m = mask.map { $0 + r * w }
            var i = 0
            while i + 8 <= w {
                var value = load(src + i) * a
                if let m { value = value.replacing(with: zero, where: .!(load(m + i) .> zero)) }
                UnsafeMutableRawPointer(dst + i).storeBytes(of: value, as: SIMD8<Float>.self)
                i += 8
            }
            while i < w {
                let value = src[i] * a
                dst[i] = m.map { $0[i] > 0 ? value : 0 } ?? value
                i += 1
            }
        }
    }

    /// Padded columns 2t, 2t + 1, 2t + 2, 2t + 3 of 8 tiles t starting at p: two 16-float loads, split into even and odd.
    @inline(__always)
    private static func quad(_ p: UnsafePointer<Float>) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
        let a = UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
        let b = UnsafeRawPointer(p + 2).loadUnaligned(as: SIMD16<Float>.self)
        return (a.evenHalf, a.oddHalf, b.evenHalf, b.oddHalf)
    }

    @inline(__always) private static func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }

    /// The first n lanes (n ≤ 8) of `value` at p; never touches p[n…] (a neighbouring row may belong to another worker).
    @inline(__always) private static func store(_ value: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>, _ n: Int) {
        if n == 8 { UnsafeMutableRawPointer(p).storeBytes(of: value, as: SIMD8<Float>.self); return }
        for i in 0..<n { p[i] = value[i] }
    }

    /// y[firstImage + i, o, 2ty + a, 2tx + b] = (Aᵀ M A)[a, b] for each tile (dropping the row and column past an odd
    /// edge), 8 tiles at a time, through the epilogue when given.
    static func outputTransform(_ m: UnsafePointer<Float>, ld: Int, images: Int, firstImage: Int, channels o: Int, h: Int, w: Int,
                                _ y: UnsafeMutablePointer<Float>, epilogue: ConvEpilogue?) {
        let (th, tw) = tiles(h, w), per = th * tw
        let xiStride = o * ld
        let blocks = (tw + 7) / 8
        parallelFor(images * o, grain: 1) { s, e in
            for job in s..<e {
                let img = job / o, ch = job % o
                let src = m + ch * ld + img * per
                let dst = y + ((firstImage + img) * o + ch) * h * w
                for ty in 0..<th {
                    // Right to left: only a row's last block spills past w, onto the start of the next row, which
                    // the first block then writes.
                    for blk in (0..<blocks).reversed() {
                        let tx0 = 8 * blk
                        let p = src + ty * tw + tx0
                        // Lanes past the tile row read the next tiles (or M's slack) and are never stored.
                        func at(_ xi: Int) -> SIMD8<Float> { load(p + xi * xiStride) }
                        // Aᵀ M over ξ's rows: s0 = m0 + m1 + m2, s1 = m1 − m2 − m3, for each of the 4 columns b; then
                        // each output row (s0 + s1 + s2, s1 − s2 − s3) over the columns.
                        let m4 = at(4), m5 = at(5), m6 = at(6), m7 = at(7), m8 = at(8), m9 = at(9), m10 = at(10), m11 = at(11)
                        let s00 = at(0) + m4 + m8, s01 = at(1) + m5 + m9, s02 = at(2) + m6 + m10, s03 = at(3) + m7 + m11
                        row(s00 + s01 + s02, s01 - s02 - s03, dst, at: 2 * ty, tx0: tx0, h: h, w: w)
                        if 2 * ty + 1 < h {
                            let s10 = m4 - m8 - at(12), s11 = m5 - m9 - at(13), s12 = m6 - m10 - at(14), s13 = m7 - m11 - at(15)
                            row(s10 + s11 + s12, s11 - s12 - s13, dst, at: 2 * ty + 1, tx0: tx0, h: h, w: w)
                        }
                    }
                }
                epilogue?.apply(y, image: firstImage + img, channels: ch..<(ch + 1))
            }
        }
    }

    /// Columns 2(tx0 + i) (even[i]) and 2(tx0 + i) + 1 (odd[i]) of row r of the plane at dst, dropping those at or past
    /// w. Columns past w spill onto the following rows of the same plane, which are written afterwards (tile rows in
    /// order, blocks right to left), so one 16-float store is right unless it would run past the plane's end.
    @inline(__always)
    private static func row(_ even: SIMD8<Float>, _ odd: SIMD8<Float>, _ plane: UnsafeMutablePointer<Float>, at r: Int,
                            tx0: Int, h: Int, w: Int) {
        let first = 2 * tx0, dst = plane + r * w
        if r * w + first + 16 <= h * w {
            UnsafeMutableRawPointer(dst + first).storeBytes(of: interleave(even, odd), as: SIMD16<Float>.self)
            return
        }
        for i in 0..<8 {
            let col = first + 2 * i
            guard col < w else { break }
            dst[col] = even[i]
            if col + 1 < w { dst[col + 1] = odd[i] }
        }
    }
}

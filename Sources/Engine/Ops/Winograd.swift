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

    /// U[ξ, o, c] = (G g_{o,c} Gᵀ)[ξ] for w [O, C, 3, 3]: 16 matrices [O, C].
    static func filterTransform(_ w: UnsafePointer<Float>, o: Int, c: Int) -> Tensor {
        let u = Tensor(uninitialized: [16, o, c])
        let up = u.data, plane = o * c
        parallelFor(plane, grain: 4096) { s, e in
            for oc in s..<e {
                let g = w + oc &* 9
                // G g (rows: g0, ½(g0+g1+g2), ½(g0−g1+g2), g2), then each of its rows (a, b, c) times Gᵀ:
                // (a, ½(a+b+c), ½(a−b+c), c).
                for r in 0..<4 {
                    let a: Float, b: Float, c: Float
                    switch r {
                    case 0: a = g[0]; b = g[1]; c = g[2]
                    case 1: a = 0.5 * (g[0] + g[3] + g[6]); b = 0.5 * (g[1] + g[4] + g[7]); c = 0.5 * (g[2] + g[5] + g[8])
                    case 2: a = 0.5 * (g[0] - g[3] + g[6]); b = 0.5 * (g[1] - g[4] + g[7]); c = 0.5 * (g[2] - g[5] + g[8])
                    default: a = g[6]; b = g[7]; c = g[8]
                    }
                    let dst = up + ((4 &* r) &* plane &+ oc)
                    dst[0] = a
                    dst[plane] = 0.5 * (a + b + c)
                    dst[2 &* plane] = 0.5 * (a - b + c)
                    dst[3 &* plane] = c
                }
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
        let v = Tensor(uninitialized: [16, cin, nb * per]), m = Tensor(uninitialized: [16, cout, nb * per])
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
    /// A tile row's four input rows are split into even and odd padded columns as they are read (padded column p is
    /// image column p − 1), so both passes of the transform run on contiguous arrays. With a `mask` and a `scale`
    /// (see `convolve`), x is read as x·scale[c] where mask > 0 and 0 elsewhere.
    static func inputTransform(_ x: UnsafePointer<Float>, mask: UnsafePointer<Float>? = nil, scale: UnsafePointer<Float>? = nil,
                               images: Int, channels c: Int, h: Int, w: Int, _ v: UnsafeMutablePointer<Float>, ld: Int) {
        let (th, tw) = tiles(h, w), per = th * tw, n = tw + 1
        let xiStride = c * ld
        // E[j] = column 2j − 1 (valid for 1 ≤ j ≤ w/2), O[j] = column 2j (valid for j ≤ (w − 1)/2).
        let eHi = w / 2, oHi = (w - 1) / 2
        parallelFor(images * c, grain: 1) { s, e in
            // Rows 0–3 even/odd, then their vertical transforms: 16 arrays of n floats.
            var scratch = [Float](repeating: 0, count: 16 * n)
            scratch.withUnsafeMutableBufferPointer { sb in
                let ev = sb.baseAddress!, od = ev + 4 * n, tev = od + 4 * n, tod = tev + 4 * n
                for job in s..<e {
                    let img = job / c, ch = job % c
                    let plane = x + (img * c + ch) * h * w, maskPlane = mask.map { $0 + (img * c + ch) * h * w }
                    let a = scale?[ch] ?? 1
                    let out = v + ch * ld + img * per
                    for ty in 0..<th {
                        for k in 0..<4 {
                            let iy = 2 * ty - 1 + k, er = ev + k * n, orow = od + k * n
                            if iy < 0 || iy >= h { er.update(repeating: 0, count: n); orow.update(repeating: 0, count: n); continue }
                            let src = plane + iy * w, mrow = maskPlane.map { $0 + iy * w }
                            /// x[iy, k], through the mask and the scale when given (× 1 is exact).
                            @inline(__always) func at(_ k: Int) -> Float {
                                let value = src[k] * a
                                guard let mrow else { return value }
                                return mrow[k] > 0 ? value : 0
                            }
                            er[0] = 0
                            for j in 1..<(eHi + 1) { er[j] = at(2 &* j &- 1) }
                            for j in (eHi + 1)..<n { er[j] = 0 }
                            for j in 0..<(oHi + 1) { orow[j] = at(2 &* j) }
                            for j in (oHi + 1)..<n { orow[j] = 0 }
                        }
                        // Bᵀ d: t0 = d0 − d2, t1 = d1 + d2, t2 = d2 − d1, t3 = d1 − d3, on the even and the odd columns.
                        for half in 0..<2 {
                            let src = half == 0 ? ev : od, dst = half == 0 ? tev : tod
                            let d0 = src, d1 = src + n, d2 = src + 2 * n, d3 = src + 3 * n
                            let t0 = dst, t1 = dst + n, t2 = dst + 2 * n, t3 = dst + 3 * n
                            for j in 0..<n { t0[j] = d0[j] - d2[j]; t1[j] = d1[j] + d2[j]; t2[j] = d2[j] - d1[j]; t3[j] = d1[j] - d3[j] }
                        }
                        // (Bᵀ d) B on each row: with e0…e3 = E[tx], O[tx], E[tx+1], O[tx+1]:
                        // e0 − e2, e1 + e2, e2 − e1, e1 − e3.
                        let base = out + ty * tw
                        for a in 0..<4 {
                            let er = tev + a * n, orow = tod + a * n
                            let o0 = base + (4 * a) * xiStride, o1 = o0 + xiStride, o2 = o1 + xiStride, o3 = o2 + xiStride
                            for tx in 0..<tw {
                                o0[tx] = er[tx] - er[tx + 1]; o1[tx] = orow[tx] + er[tx + 1]
                                o2[tx] = er[tx + 1] - orow[tx]; o3[tx] = orow[tx] - orow[tx + 1]
                            }
                        }
                    }
                }
            }
        }
    }

    /// y[firstImage + i, o, 2ty + a, 2tx + b] = (Aᵀ M A)[a, b] for each tile (dropping the row and column past an odd
    /// edge), through the epilogue when given.
    static func outputTransform(_ m: UnsafePointer<Float>, ld: Int, images: Int, firstImage: Int, channels o: Int, h: Int, w: Int,
                                _ y: UnsafeMutablePointer<Float>, epilogue: ConvEpilogue?) {
        let (th, tw) = tiles(h, w), per = th * tw
        let xiStride = o * ld
        parallelFor(images * o, grain: 1) { s, e in
            var rows = [Float](repeating: 0, count: 4 * tw)
            rows.withUnsafeMutableBufferPointer { rb in
                let sr = rb.baseAddress!
                let s1 = sr + tw, s2 = sr + 2 * tw, s3 = sr + 3 * tw
                /// One output row from the row-combined columns s0…s3: (s0 + s1 + s2, s1 − s2 − s3) per tile, the
                /// second dropped past an odd edge.
                func store(_ row: UnsafeMutablePointer<Float>) {
                    for tx in 0..<(w / 2) {
                        row[2 &* tx] = sr[tx] + s1[tx] + s2[tx]
                        row[2 &* tx &+ 1] = s1[tx] - s2[tx] - s3[tx]
                    }
                    if w % 2 == 1 { row[w - 1] = sr[tw - 1] + s1[tw - 1] + s2[tw - 1] }
                }
                for job in s..<e {
                    let img = job / o, ch = job % o
                    let src = m + ch * ld + img * per
                    let dst = y + ((firstImage + img) * o + ch) * h * w
                    for ty in 0..<th {
                        // Aᵀ M over ξ's rows: s0 = m0 + m1 + m2, s1 = m1 − m2 − m3, for each of the 4 columns.
                        for bcol in 0..<4 {
                            let p0 = src + ty * tw + bcol * xiStride
                            let p1 = p0 + 4 * xiStride, p2 = p1 + 4 * xiStride
                            let s0 = sr + bcol * tw
                            for tx in 0..<tw { s0[tx] = p0[tx] + p1[tx] + p2[tx] }
                        }
                        store(dst + 2 * ty * w)
                        if 2 * ty + 1 < h {
                            for bcol in 0..<4 {
                                let p1 = src + ty * tw + (4 + bcol) * xiStride, p2 = p1 + 4 * xiStride, p3 = p2 + 4 * xiStride
                                let s1 = sr + bcol * tw
                                for tx in 0..<tw { s1[tx] = p1[tx] - p2[tx] - p3[tx] }
                            }
                            store(dst + (2 * ty + 1) * w)
                        }
                    }
                    epilogue?.apply(y, image: firstImage + img, channels: ch..<(ch + 1))
                }
            }
        }
    }
}


// Direct convolution for few output channels on large maps (InsVP's pixel-prompt convolutions: 3 → 6 → 3 channels,
// 11×11 and 25×25 kernels on 224×224 images). There im2col would write Cin·kh·kw × H·W floats per image (752 MB
// for the 25×25 one) only for a GEMM with m = 3 to read them once: memory-bound twice over. Here every (c, i, j)
// tap is a row-wise multiply-add of a shifted input row into each output row, in cache.
//   y[o, oy, ox] = Σ_c Σ_i Σ_j w[o, c, i, j] · x[c, oy·s − p + i, ox·s − p + j]   (groups 1, dilation 1)
import Foundation

enum DirectConv {
    /// Few output channels and many positions: the shapes where the direct loops beat im2col + GEMM.
    static func applies(outChannels o: Int, positions l: Int, groups: Int, _ g: Conv2dGeometry) -> Bool {
        groups == 1 && o <= 16 && l >= ConvPlan.targetColumns && g.dilation == (1, 1)
            && g.kernel.0 * g.kernel.1 > 1
    }

    /// Output columns ox with 0 ≤ ox·s − p + j < w, as lo..<hi.
    @inline(__always)
    static func cols(_ g: Conv2dGeometry, j: Int, w: Int, wo: Int) -> (Int, Int) {
        Im2col.validRange(out: wo, size: w, offset: -g.padding.1 + j, stride: g.stride.1)
    }

    /// y (one image, [O, Ho, Wo]) = conv(x [C, H, W], w [O, C, kh, kw]); y is overwritten. Parallel over output rows.
    static func forward(_ x: UnsafePointer<Float>, c: Int, h: Int, w: Int, _ wt: UnsafePointer<Float>, o: Int,
                        _ g: Conv2dGeometry, _ y: UnsafeMutablePointer<Float>) {
        let (kh, kw) = g.kernel, (ho, wo) = g.outSize(h, w), (sh, sw) = g.stride
        parallelFor(ho, grain: 8) { s, e in
            for oy in s..<e {
                for oc in 0..<o { (y + (oc * ho + oy) * wo).update(repeating: 0, count: wo) }
                for ci in 0..<c {
                    for i in 0..<kh {
                        let iy = oy * sh - g.padding.0 + i
                        if iy < 0 || iy >= h { continue }
                        let xrow = x + (ci * h + iy) * w
                        for j in 0..<kw {
                            let (lo, hi) = cols(g, j: j, w: w, wo: wo)
                            if lo >= hi { continue }
                            let src = xrow - g.padding.1 + j
                            for oc in 0..<o {
                                let wv = wt[((oc * c + ci) * kh + i) * kw + j]
                                let yrow = y + (oc * ho + oy) * wo
                                if sw == 1 {
                                    for ox in lo..<hi { yrow[ox] += wv * src[ox] }
                                } else {
                                    for ox in lo..<hi { yrow[ox] += wv * src[ox * sw] }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// dW[o, c, i, j] += Σ_{oy, ox} gy[o, oy, ox] · x[c, oy·s − p + i, ox·s − p + j]. Parallel over (c, i): each task
    /// owns its dW entries.
    static func weightGradient(_ x: UnsafePointer<Float>, c: Int, h: Int, w: Int, _ gy: UnsafePointer<Float>, o: Int,
                               _ g: Conv2dGeometry, _ dw: UnsafeMutablePointer<Float>) {
        let (kh, kw) = g.kernel, (ho, wo) = g.outSize(h, w), (sh, sw) = g.stride
        parallelFor(c * kh, grain: 1) { s, e in
            for r in s..<e {
                let ci = r / kh, i = r % kh
                for oc in 0..<o {
                    for j in 0..<kw {
                        let (lo, hi) = cols(g, j: j, w: w, wo: wo)
                        if lo >= hi { continue }
                        var acc: Float = 0
                        for oy in 0..<ho {
                            let iy = oy * sh - g.padding.0 + i
                            if iy < 0 || iy >= h { continue }
                            let src = x + (ci * h + iy) * w - g.padding.1 + j, grow = gy + (oc * ho + oy) * wo
                            if sw == 1 {
                                acc += vectorDot(grow + lo, src + lo, hi - lo)
                            } else {
                                var a: Float = 0
                                for ox in lo..<hi { a += grow[ox] * src[ox * sw] }
                                acc += a
                            }
                        }
                        dw[((oc * c + ci) * kh + i) * kw + j] += acc
                    }
                }
            }
        }
    }

    /// dx[c, iy, ix] += Σ_{o, i, j} w[o, c, i, j] · gy[o, oy, ox] over the taps that read (iy, ix). Parallel over input
    /// channels: each task owns its dx plane.
    static func inputGradient(_ gy: UnsafePointer<Float>, o: Int, _ wt: UnsafePointer<Float>, c: Int, h: Int, w: Int,
                              _ g: Conv2dGeometry, _ dx: UnsafeMutablePointer<Float>) {
        let (kh, kw) = g.kernel, (ho, wo) = g.outSize(h, w), (sh, sw) = g.stride
        parallelFor(c, grain: 1) { s, e in
            for ci in s..<e {
                for oy in 0..<ho {
                    for i in 0..<kh {
                        let iy = oy * sh - g.padding.0 + i
                        if iy < 0 || iy >= h { continue }
                        let drow = dx + (ci * h + iy) * w - g.padding.1
                        for j in 0..<kw {
                            let (lo, hi) = cols(g, j: j, w: w, wo: wo)
                            if lo >= hi { continue }
                            let dst = drow + j
                            for oc in 0..<o {
                                let wv = wt[((oc * c + ci) * kh + i) * kw + j]
                                let grow = gy + (oc * ho + oy) * wo
                                if sw == 1 {
                                    for ox in lo..<hi { dst[ox] += wv * grow[ox] }
                                } else {
                                    for ox in lo..<hi { dst[ox * sw] += wv * grow[ox] }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

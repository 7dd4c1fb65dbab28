// conv2d via im2col + GEMM, and unfold/fold (the same column layout as an op).
//   x [B, C, H, W], w [O, C/g, kh, kw], b [O] → y [B, O, Ho, Wo]
//   Ho = (H + 2·ph − dh·(kh−1) − 1) / sh + 1   (same for W)
// Columns for one image and group: [Cg·kh·kw, Ho·Wo], row = (c, i, j) in that order (PyTorch's unfold).
import Foundation

/// Geometry of a 2-D sliding window.
public struct Conv2dGeometry: Equatable, Sendable {
    public var kernel: (Int, Int)
    public var stride: (Int, Int) = (1, 1)
    public var padding: (Int, Int) = (0, 0)
    public var dilation: (Int, Int) = (1, 1)

    public init(kernel: (Int, Int), stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1)) {
        self.kernel = kernel; self.stride = stride; self.padding = padding; self.dilation = dilation
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.kernel == b.kernel && a.stride == b.stride && a.padding == b.padding && a.dilation == b.dilation
    }

    func outSize(_ h: Int, _ w: Int) -> (Int, Int) {
        ((h + 2 * padding.0 - dilation.0 * (kernel.0 - 1) - 1) / stride.0 + 1,
         (w + 2 * padding.1 - dilation.1 * (kernel.1 - 1) - 1) / stride.1 + 1)
    }
}

enum Im2col {
    /// cols[(c·kh + i)·kw + j, oy·Wo + ox] = x[c, oy·sh − ph + i·dh, ox·sw − pw + j·dw] (0 outside). Rows are `ld`
    /// floats apart (default Ho·Wo), so several images can sit side by side in one column matrix.
    static func im2col(_ x: UnsafePointer<Float>, channels: Int, h: Int, w: Int, _ g: Conv2dGeometry, _ cols: UnsafeMutablePointer<Float>,
                       ld: Int? = nil) {
        let (kh, kw) = g.kernel, (ho, wo) = g.outSize(h, w)
        let rowsN = channels * kh * kw, l = ho * wo, ldc = ld ?? l
        if ConvPlan.isPointwise(g) {
            // 1×1, stride 1: each row is one input channel as is.
            parallelFor(rowsN, grain: Swift.max(1, 8192 / Swift.max(l, 1))) { s, e in
                for r in s..<e { (cols + r * ldc).update(from: x + r * h * w, count: l) }
            }
            return
        }
        parallelFor(rowsN, grain: Swift.max(1, 8192 / Swift.max(l, 1))) { s, e in
            for r in s..<e {
                let c = r / (kh * kw), i = (r / kw) % kh, j = r % kw
                let dst = cols + r * ldc, src = x + c * h * w
                // Output columns whose input column is inside the image: ox in lo..<hi.
                let (lo, hi) = validRange(out: wo, size: w, offset: -g.padding.1 + j * g.dilation.1, stride: g.stride.1)
                for oy in 0..<ho {
                    let iy = oy * g.stride.0 - g.padding.0 + i * g.dilation.0
                    let row = dst + oy * wo
                    if iy < 0 || iy >= h || lo >= hi { row.update(repeating: 0, count: wo); continue }
                    if lo > 0 { row.update(repeating: 0, count: lo) }
                    if hi < wo { (row + hi).update(repeating: 0, count: wo - hi) }
                    let srow = src + iy * w - g.padding.1 + j * g.dilation.1
                    if g.stride.1 == 1 {
                        (row + lo).update(from: srow + lo, count: hi - lo)
                    } else if g.stride.1 == 2 {
                        // Every other input column: 16-float loads split into even and odd, while they stay in the row.
                        var ox = lo
                        let rowEnd = w + g.padding.1 - j * g.dilation.1  // srow[k] is in the row for k < rowEnd
                        while ox + 8 <= hi && 2 * ox + 16 <= rowEnd {
                            let v = UnsafeRawPointer(srow + 2 * ox).loadUnaligned(as: SIMD16<Float>.self)
                            UnsafeMutableRawPointer(row + ox).storeBytes(of: v.evenHalf, as: SIMD8<Float>.self)
                            ox += 8
                        }
                        while ox < hi { row[ox] = srow[2 * ox]; ox += 1 }
                    } else {
                        for ox in lo..<hi { row[ox] = srow[ox * g.stride.1] }
                    }
                }
            }
        }
    }

    /// Output positions o in 0..<out with 0 ≤ offset + o·stride < size, as lo..<hi.
    @inline(__always)
    static func validRange(out: Int, size: Int, offset: Int, stride: Int) -> (Int, Int) {
        let lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride
        let hi = size - offset <= 0 ? 0 : Swift.min(out, (size - offset + stride - 1) / stride)
        return (Swift.min(lo, out), hi)
    }

    /// The adjoint of im2col: x[c, iy, ix] += cols[...]. Parallel over channels (no write conflicts). Rows of
    /// `cols` are `ld` floats apart (default Ho·Wo).
    static func col2im(_ cols: UnsafePointer<Float>, channels: Int, h: Int, w: Int, _ g: Conv2dGeometry, _ x: UnsafeMutablePointer<Float>,
                       ld: Int? = nil) {
        let (kh, kw) = g.kernel, (ho, wo) = g.outSize(h, w)
        let l = ho * wo, ldc = ld ?? l
        parallelFor(channels, grain: 1) { s, e in
            for c in s..<e {
                let dst = x + c * h * w
                for i in 0..<kh {
                    for j in 0..<kw {
                        let src = cols + ((c * kh + i) * kw + j) * ldc
                        let (lo, hi) = validRange(out: wo, size: w, offset: -g.padding.1 + j * g.dilation.1, stride: g.stride.1)
                        if lo >= hi { continue }
                        for oy in 0..<ho {
                            let iy = oy * g.stride.0 - g.padding.0 + i * g.dilation.0
                            if iy < 0 || iy >= h { continue }
                            let drow = dst + iy * w - g.padding.1 + j * g.dilation.1, srow = src + oy * wo
                            if g.stride.1 == 1 {
                                for ox in lo..<hi { drow[ox] += srow[ox] }
                            } else if g.stride.1 == 2 {
                                // 16 floats of the row at a time: the even ones get the columns, the odd ones + (−0),
                                // which leaves every float as it was (+0 included).
                                var ox = lo
                                let rowEnd = w + g.padding.1 - j * g.dilation.1
                                while ox + 8 <= hi && 2 * ox + 16 <= rowEnd {
                                    let p = UnsafeMutableRawPointer(drow + 2 * ox)
                                    let add = interleave(UnsafeRawPointer(srow + ox).loadUnaligned(as: SIMD8<Float>.self),
                                                         SIMD8<Float>(repeating: -0.0))
                                    p.storeBytes(of: p.loadUnaligned(as: SIMD16<Float>.self) + add, as: SIMD16<Float>.self)
                                    ox += 8
                                }
                                while ox < hi { drow[2 * ox] += srow[ox]; ox += 1 }
                            } else {
                                for ox in lo..<hi { drow[ox * g.stride.1] += srow[ox] }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// conv2d's output epilogue, applied to one image's channel range right after its GEMM (while it is in cache):
/// y = relu?(z·scale[c] + bias[c] + residual), where z is the GEMM's result, read from `source` rows `ld` floats
/// apart (the GEMM's multi-image buffer) or, without a source, from y itself.
struct ConvEpilogue {
    let scale: UnsafeMutablePointer<Float>?, bias: UnsafeMutablePointer<Float>?, residual: UnsafeMutablePointer<Float>?
    let relu: Bool, channels: Int, positions: Int

    var isIdentity: Bool { scale == nil && bias == nil && residual == nil && !relu }

    func apply(_ y: UnsafeMutablePointer<Float>, image: Int, channels range: Range<Int>,
               source: (rows: UnsafePointer<Float>, ld: Int)? = nil) {
        let l = positions
        if isIdentity && source == nil { return }
        parallelFor(range.count, grain: Swift.max(1, 16384 / Swift.max(l, 1))) { s, e in
            for r in s..<e {
                let oc = range.lowerBound + r
                let p = y + (image * channels + oc) * l
                let z = source.map { $0.rows + r * $0.ld } ?? UnsafePointer(p)
                let a = scale?[oc] ?? 1, v = bias?[oc] ?? 0
                if let residual {
                    let q = residual + (image * channels + oc) * l
                    if relu { for t in 0..<l { p[t] = Swift.max(z[t] * a + (v + q[t]), 0) } } else { for t in 0..<l { p[t] = z[t] * a + (v + q[t]) } }
                } else if relu {
                    for t in 0..<l { p[t] = Swift.max(z[t] * a + v, 0) }
                } else if scale != nil || bias != nil {
                    for t in 0..<l { p[t] = z[t] * a + v }
                } else if source != nil {
                    p.update(from: z, count: l)
                }
            }
        }
    }
}

/// How conv2d groups images per GEMM: small feature maps (ResNet's later stages, ViT patches) put `imagesPerGEMM`
/// images side by side in one column matrix so the GEMM's n is ≥ `targetColumns` instead of Ho·Wo; large ones
/// (≥ `targetColumns` positions) run one image per GEMM, and a 1×1 stride-1 convolution then reads the input
/// directly, without im2col.
enum ConvPlan {
    static let targetColumns = 2048
    static func imagesPerGEMM(positions l: Int, batch: Int) -> Int {
        Swift.max(1, Swift.min(batch, (targetColumns + l - 1) / l))
    }
    static func isPointwise(_ g: Conv2dGeometry) -> Bool {
        g.kernel == (1, 1) && g.stride == (1, 1) && g.padding == (0, 0)
    }
    /// dst[r, t] = src[r, t] · scale[r] for an [rows, n] matrix (dst may be src): W·scale for dX, dW's rows after.
    static func scaleRows(_ rows: Int, _ n: Int, _ src: UnsafePointer<Float>, by scale: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>) {
        parallelFor(rows, grain: Swift.max(1, 16384 / Swift.max(n, 1))) { s, e in
            for r in s..<e { let a = scale[r]; for t in 0..<n { dst[r * n + t] = src[r * n + t] * a } }
        }
    }
    /// dst[r, 0..<n] = src[at + r·n + t] · scale[r], zero where mask[at + r·n + t] ≤ 0 (the ReLU's output), for r in
    /// 0..<rows, dst rows `ld` floats apart: one image's output gradient gathered into the multi-image GEMM operand,
    /// through the ReLU and the constant scale in the same pass.
    static func gatherGradient(_ rows: Int, _ n: Int, from src: UnsafePointer<Float>, at: Int, mask: UnsafePointer<Float>?,
                               scale: UnsafePointer<Float>?, to dst: UnsafeMutablePointer<Float>, ld ldd: Int) {
        parallelFor(rows, grain: Swift.max(1, 8192 / Swift.max(n, 1))) { s, e in
            for r in s..<e {
                let z = src + at + r * n, d = dst + r * ldd, a = scale?[r] ?? 1
                if let mask {
                    let y = mask + at + r * n
                    // z is loaded whatever the mask: a load under the condition compiles to a masked load (vmaskmovps),
                    // several times slower than a load and a select on AMD cores.
                    for t in 0..<n { let v = z[t] * a; d[t] = y[t] > 0 ? v : 0 }
                } else if scale != nil {
                    for t in 0..<n { d[t] = z[t] * a }
                } else {
                    d.update(from: z, count: n)
                }
            }
        }
    }
}

extension Tensor {
    /// 2-D convolution (cross-correlation, as PyTorch), any kernel/stride/padding/dilation and groups, with an
    /// optional fused epilogue: y = relu?(conv(x)·scale + bias + residual), scale and bias per output channel. The
    /// epilogue runs in the pass that writes the output (no separate add/ReLU tensors: ResNet's conv → frozen BN →
    /// [+ shortcut] → ReLU is one op). `scale` is a constant (eval-mode BatchNorm's γ/√(σ²+ε) of a frozen network):
    /// it takes no gradient.
    public func conv2d(weight: Tensor, scale: Tensor? = nil, bias: Tensor? = nil, stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0),
                       dilation: (Int, Int) = (1, 1), groups: Int = 1, residual: Tensor? = nil, relu: Bool = false) -> Tensor {
        precondition(rank == 4 && weight.rank == 4, "conv2d expects x [B,C,H,W] and w [O,C/g,kh,kw]")
        let (b, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
        let o = weight.shape[0], cg = weight.shape[1]
        precondition(c == cg * groups && o % groups == 0, "conv2d: \(c) channels, weight \(weight.shape), groups \(groups)")
        let geo = Conv2dGeometry(kernel: (weight.shape[2], weight.shape[3]), stride: stride, padding: padding, dilation: dilation)
        let (ho, wo) = geo.outSize(h, w)
        precondition(ho > 0 && wo > 0, "conv2d: output would be empty for input \(shape)")
        let og = o / groups, kk = cg * geo.kernel.0 * geo.kernel.1, l = ho * wo
        let nb = ConvPlan.imagesPerGEMM(positions: l, batch: b)
        let readsInputDirectly = nb == 1 && ConvPlan.isPointwise(geo)
        let viaDirectLoops = DirectConv.applies(outChannels: o, positions: l, groups: groups, geo)
        let viaWinograd = !viaDirectLoops && Winograd.applies(geo, groups: groups, h: h, w: w)
        if let residual { precondition(residual.shape == [b, o, ho, wo], "conv2d: residual \(residual.shape) for output \([b, o, ho, wo])") }
        if let scale { precondition(scale.count == o && !scale.requiresGrad, "conv2d: scale must be a constant of \(o) channels") }
        let out = Tensor(uninitialized: [b, o, ho, wo])
        let x = data, wp = weight.data, yp = out.data
        let epilogue = ConvEpilogue(scale: scale?.data, bias: bias?.data, residual: residual?.data, relu: relu, channels: o, positions: l)
        // Columns of up to nb images, [kk, nb·l]; the GEMM's result [og, nb·l] is scattered to [b, o, l].
        let cols: Tensor? = readsInputDirectly || viaDirectLoops || viaWinograd ? nil : Tensor(uninitialized: [kk, nb * l])
        let tmp: Tensor? = nb > 1 && !viaWinograd ? Tensor(uninitialized: [og, nb * l]) : nil
        if viaDirectLoops {
            for bi in 0..<b {
                DirectConv.forward(x + bi * c * h * w, c: c, h: h, w: w, wp, o: o, geo, yp + bi * o * l)
                epilogue.apply(yp, image: bi, channels: 0..<o)
            }
        }
        // Winograd's filter transform, kept for the input gradient when there will be one.
        let winogradFilter: Tensor? = viaWinograd ? Winograd.filterTransform(wp, o: o, c: c) : nil
        if let winogradFilter {
            Winograd.convolve(x, batch: b, inChannels: c, h: h, w: w, u: winogradFilter, outChannels: o, forInputGradient: false, yp, epilogue: epilogue)
        }
        for b0 in Swift.stride(from: 0, to: viaDirectLoops || viaWinograd ? 0 : b, by: nb) {
            let n = Swift.min(nb, b - b0)
            for gi in 0..<groups {
                let wg = wp + gi * og * kk
                if n == 1 && nb == 1 {
                    let xi = x + (b0 * c + gi * cg) * h * w
                    let bmat: UnsafePointer<Float>
                    if let cols { Im2col.im2col(xi, channels: cg, h: h, w: w, geo, cols.data); bmat = UnsafePointer(cols.data) } else { bmat = UnsafePointer(xi) }
                    gemm(transA: false, transB: false, m: og, n: l, k: kk, a: wg, b: bmat, c: yp + (b0 * o + gi * og) * l)
                    epilogue.apply(yp, image: b0, channels: gi * og..<(gi + 1) * og)
                    continue
                }
                let colsP = cols!.data, tmpP = tmp!.data, ld = nb * l
                for i in 0..<n {
                    let xi = x + ((b0 + i) * c + gi * cg) * h * w
                    Im2col.im2col(xi, channels: cg, h: h, w: w, geo, colsP + i * l, ld: ld)
                }
                gemm(transA: false, transB: false, m: og, n: n * l, k: kk, a: wg, b: colsP, ldb: ld, c: tmpP, ldc: ld)
                for i in 0..<n {
                    epilogue.apply(yp, image: b0 + i, channels: gi * og..<(gi + 1) * og, source: (UnsafePointer(tmpP + i * l), ld))
                }
            }
        }
        var inputs = [self, weight]
        if let bias { inputs.append(bias) }
        if let residual { inputs.append(residual) }
        // Capture the output's storage, not the output: a node must not retain its own tensor.
        let ys = out.storage, yOffset = out.offset
        return out.record("conv2d", inputs) { [self] gOut in
            // g, the gradient before the epilogue's scale: gOut through the ReLU (zero where y ≤ 0). It is the bias's
            // and the residual's gradient; the convolution's own is g·scale. The multi-image gather and Winograd's
            // input transform apply the mask and the scale themselves, so g is only materialised when something else
            // reads it: the bias or the residual, or a one-image-per-GEMM product (im2col, direct loops, dW).
            let needsG = (nb == 1 && (!viaWinograd || weight.requiresGrad)) || (bias?.requiresGrad ?? false) || (residual?.requiresGrad ?? false)
            let g: Tensor?
            if relu && needsG {
                let m = Tensor(uninitialized: gOut.shape)
                ConvPlan.gatherGradient(b * o, l, from: gOut.data, at: 0, mask: ys.ptr + yOffset, scale: nil, to: m.data, ld: l)
                g = m
            } else {
                g = needsG ? gOut : nil
            }
            // Without a gather (one image per GEMM) the scale goes into a copy of the weights for dX (O·K floats, small
            // next to the GEMM: these convolutions have ≥ 2048 positions) and into dW's rows at the end.
            let scaleInGather = scale != nil && nb > 1
            let wScaled: Tensor? = scale.flatMap { sc in
                guard !scaleInGather && self.requiresGrad && !viaWinograd else { return nil }
                let ws = Tensor(uninitialized: weight.shape)
                ConvPlan.scaleRows(o, weight.count / o, wp, by: sc.data, into: ws.data)
                return ws
            }
            let wd = UnsafePointer(wScaled?.data ?? wp)
            // A 1×1 stride-1 convolution's dX (a GEMM, or a copy of its column gradient) and Winograd write every
            // element; col2im and the direct loops accumulate.
            let pointwise = ConvPlan.isPointwise(geo)
            let dx: Tensor? = self.requiresGrad ? (pointwise || viaWinograd ? Tensor(uninitialized: self.shape) : Tensor(zeros: self.shape)) : nil
            let dw: Tensor? = weight.requiresGrad ? Tensor(zeros: weight.shape) : nil
            if viaDirectLoops, let gd = g?.data {
                for bi in 0..<b {
                    let xi = x + bi * c * h * w, gi = UnsafePointer(gd + bi * o * l)
                    if let dw { DirectConv.weightGradient(xi, c: c, h: h, w: w, gi, o: o, geo, dw.data) }
                    if let dx { DirectConv.inputGradient(gi, o: o, wd, c: c, h: h, w: w, geo, dx.data + bi * c * h * w) }
                }
            }
            if viaWinograd, let dx {
                // dX is the 3×3 convolution of g·scale with the flipped, transposed filter (same padding); the input
                // transform reads gOut through the ReLU and the scale itself when g was not materialised.
                Winograd.convolve(g?.data ?? gOut.data, mask: g == nil && relu ? ys.ptr + yOffset : nil, scale: scale?.data,
                                  batch: b, inChannels: o, h: h, w: w, u: winogradFilter!, outChannels: c, forInputGradient: true,
                                  dx.data, epilogue: nil)
            }
            let dcols: Tensor? = dx == nil || readsInputDirectly || viaDirectLoops || viaWinograd ? nil : Tensor(uninitialized: [kk, nb * l])
            let cols: Tensor? = dw == nil || readsInputDirectly || viaDirectLoops ? nil : Tensor(uninitialized: [kk, nb * l])
            // The output gradient of up to nb images side by side, [og, nb·l] (a view of g when nb = 1).
            let gcat: Tensor? = nb > 1 && (dw != nil || !viaWinograd) ? Tensor(uninitialized: [og, nb * l]) : nil
            // (Winograd's dX is done: the loop is left for dW.)
            for b0 in Swift.stride(from: 0, to: viaDirectLoops || (viaWinograd && dw == nil) ? 0 : b, by: nb) {
                let n = Swift.min(nb, b - b0)
                for gi in 0..<groups {
                    let wg = wd + gi * og * kk
                    let gz: UnsafePointer<Float>
                    if let gcat {
                        for i in 0..<n {
                            let at = ((b0 + i) * o + gi * og) * l
                            // From g when it exists (already through the ReLU), else from gOut through the ReLU here.
                            ConvPlan.gatherGradient(og, l, from: g?.data ?? gOut.data, at: at, mask: g == nil && relu ? ys.ptr + yOffset : nil,
                                                    scale: scale.map { $0.data + gi * og }, to: gcat.data + i * l, ld: nb * l)
                        }
                        gz = UnsafePointer(gcat.data)
                    } else {
                        gz = UnsafePointer(g!.data + (b0 * o + gi * og) * l)
                    }
                    if let dw {
                        let bmat: UnsafePointer<Float>
                        if let cols {
                            for i in 0..<n {
                                Im2col.im2col(x + ((b0 + i) * c + gi * cg) * h * w, channels: cg, h: h, w: w, geo, cols.data + i * l, ld: nb * l)
                            }
                            bmat = UnsafePointer(cols.data)
                        } else {
                            bmat = UnsafePointer(x + (b0 * c + gi * cg) * h * w)
                        }
                        gemm(transA: false, transB: true, m: og, n: kk, k: n * l, a: gz, lda: nb * l, b: bmat, ldb: nb * l,
                             beta: 1, c: dw.data + gi * og * kk)
                    }
                    if let dx, !viaWinograd {
                        guard let dcols else {
                            // 1×1 stride 1: the column gradient is the input gradient.
                            gemm(transA: true, transB: false, m: kk, n: l, k: og, a: wg, b: gz, c: dx.data + (b0 * c + gi * cg) * h * w)
                            continue
                        }
                        gemm(transA: true, transB: false, m: kk, n: n * l, k: og, a: wg, b: gz, ldb: nb * l, c: dcols.data, ldc: nb * l)
                        if pointwise {
                            // Each column-gradient row is one input channel of one image: scattered into place as the
                            // forward scatters its GEMM's rows (an epilogue that only copies).
                            let scatter = ConvEpilogue(scale: nil, bias: nil, residual: nil, relu: false, channels: c, positions: l)
                            for i in 0..<n {
                                scatter.apply(dx.data, image: b0 + i, channels: gi * cg..<(gi + 1) * cg, source: (UnsafePointer(dcols.data + i * l), nb * l))
                            }
                            continue
                        }
                        for i in 0..<n {
                            Im2col.col2im(dcols.data + i * l, channels: cg, h: h, w: w, geo, dx.data + ((b0 + i) * c + gi * cg) * h * w, ld: nb * l)
                        }
                    }
                }
            }
            if let dw, let sp = scale?.data, !scaleInGather { ConvPlan.scaleRows(o, weight.count / o, dw.data, by: sp, into: dw.data) }
            var res: [Tensor?] = [dx, dw]
            if let bias { res.append(bias.requiresGrad ? g!.shapedView([b, o, l]).sumRaw(axis: 2).sumRaw(axis: 0) : nil) }
            if let residual { res.append(residual.requiresGrad ? g : nil) }
            return res
        }
    }

    /// F.unfold: [B, C, H, W] → [B, C·kh·kw, L].
    public func unfold(kernel: (Int, Int), stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1)) -> Tensor {
        let (b, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
        let geo = Conv2dGeometry(kernel: kernel, stride: stride, padding: padding, dilation: dilation)
        let (ho, wo) = geo.outSize(h, w)
        let kk = c * kernel.0 * kernel.1, l = ho * wo
        let out = Tensor(uninitialized: [b, kk, l])
        for bi in 0..<b { Im2col.im2col(data + bi * c * h * w, channels: c, h: h, w: w, geo, out.data + bi * kk * l) }
        let inShape = shape
        return out.record("unfold", [self]) { g in
            let dx = Tensor(zeros: inShape)
            for bi in 0..<b { Im2col.col2im(g.data + bi * kk * l, channels: c, h: h, w: w, geo, dx.data + bi * c * h * w) }
            return [dx]
        }
    }

    /// F.fold: [B, C·kh·kw, L] → [B, C, H, W] (overlaps summed).
    public func fold(outputSize: (Int, Int), kernel: (Int, Int), stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1)) -> Tensor {
        let (h, w) = outputSize
        let b = shape[0], kk = shape[1], c = kk / (kernel.0 * kernel.1)
        let geo = Conv2dGeometry(kernel: kernel, stride: stride, padding: padding, dilation: dilation)
        let (ho, wo) = geo.outSize(h, w)
        precondition(shape[2] == ho * wo, "fold: \(shape[2]) blocks, expected \(ho * wo)")
        let l = ho * wo
        let out = Tensor(zeros: [b, c, h, w])
        for bi in 0..<b { Im2col.col2im(data + bi * kk * l, channels: c, h: h, w: w, geo, out.data + bi * c * h * w) }
        let inShape = shape
        return out.record("fold", [self]) { g in
            let dx = Tensor(uninitialized: inShape)
            for bi in 0..<b { Im2col.im2col(g.data + bi * c * h * w, channels: c, h: h, w: w, geo, dx.data + bi * kk * l) }
            return [dx]
        }
    }
}

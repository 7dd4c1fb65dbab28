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
    /// cols[(c·kh + i)·kw + j, oy·Wo + ox] = x[c, oy·sh − ph + i·dh, ox·sw − pw + j·dw] (0 outside).
    static func im2col(_ x: UnsafePointer<Float>, channels: Int, h: Int, w: Int, _ g: Conv2dGeometry, _ cols: UnsafeMutablePointer<Float>) {
        let (kh, kw) = g.kernel, (ho, wo) = g.outSize(h, w)
        let rowsN = channels * kh * kw, l = ho * wo
        parallelFor(rowsN, grain: Swift.max(1, 8192 / Swift.max(l, 1))) { s, e in
            for r in s..<e {
                let c = r / (kh * kw), i = (r / kw) % kh, j = r % kw
                let dst = cols + r * l, src = x + c * h * w
                for oy in 0..<ho {
                    let iy = oy * g.stride.0 - g.padding.0 + i * g.dilation.0
                    let row = dst + oy * wo
                    if iy < 0 || iy >= h { row.update(repeating: 0, count: wo); continue }
                    let srow = src + iy * w
                    var ix = -g.padding.1 + j * g.dilation.1
                    for ox in 0..<wo {
                        row[ox] = (ix >= 0 && ix < w) ? srow[ix] : 0
                        ix += g.stride.1
                    }
                }
            }
        }
    }

    /// The adjoint of im2col: x[c, iy, ix] += cols[...]. Parallel over channels (no write conflicts).
    static func col2im(_ cols: UnsafePointer<Float>, channels: Int, h: Int, w: Int, _ g: Conv2dGeometry, _ x: UnsafeMutablePointer<Float>) {
        let (kh, kw) = g.kernel, (ho, wo) = g.outSize(h, w)
        let l = ho * wo
        parallelFor(channels, grain: 1) { s, e in
            for c in s..<e {
                let dst = x + c * h * w
                for i in 0..<kh {
                    for j in 0..<kw {
                        let src = cols + ((c * kh + i) * kw + j) * l
                        for oy in 0..<ho {
                            let iy = oy * g.stride.0 - g.padding.0 + i * g.dilation.0
                            if iy < 0 || iy >= h { continue }
                            let drow = dst + iy * w, srow = src + oy * wo
                            var ix = -g.padding.1 + j * g.dilation.1
                            for ox in 0..<wo {
                                if ix >= 0 && ix < w { drow[ix] += srow[ox] }
                                ix += g.stride.1
                            }
                        }
                    }
                }
            }
        }
    }
}

extension Tensor {
    /// 2-D convolution (cross-correlation, as PyTorch), any kernel/stride/padding/dilation and groups.
    public func conv2d(weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0),
                       dilation: (Int, Int) = (1, 1), groups: Int = 1) -> Tensor {
        precondition(rank == 4 && weight.rank == 4, "conv2d expects x [B,C,H,W] and w [O,C/g,kh,kw]")
        let (b, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
        let o = weight.shape[0], cg = weight.shape[1]
        precondition(c == cg * groups && o % groups == 0, "conv2d: \(c) channels, weight \(weight.shape), groups \(groups)")
        let geo = Conv2dGeometry(kernel: (weight.shape[2], weight.shape[3]), stride: stride, padding: padding, dilation: dilation)
        let (ho, wo) = geo.outSize(h, w)
        precondition(ho > 0 && wo > 0, "conv2d: output would be empty for input \(shape)")
        let og = o / groups, kk = cg * geo.kernel.0 * geo.kernel.1, l = ho * wo
        let out = Tensor(uninitialized: [b, o, ho, wo])
        let cols = Tensor(uninitialized: [kk, l])
        let x = data, wp = weight.data, yp = out.data
        for bi in 0..<b {
            for gi in 0..<groups {
                Im2col.im2col(x + (bi * c + gi * cg) * h * w, channels: cg, h: h, w: w, geo, cols.data)
                gemm(transA: false, transB: false, m: og, n: l, k: kk, a: wp + gi * og * kk, b: cols.data, c: yp + (bi * o + gi * og) * l)
            }
            if let bias {
                for oc in 0..<o { let v = bias.data[oc], p = yp + (bi * o + oc) * l; for t in 0..<l { p[t] += v } }
            }
        }
        var inputs = [self, weight]
        if let bias { inputs.append(bias) }
        return out.record("conv2d", inputs) { [self] g in
            let gd = g.data
            let dx: Tensor? = self.requiresGrad ? Tensor(zeros: self.shape) : nil
            let dw: Tensor? = weight.requiresGrad ? Tensor(zeros: weight.shape) : nil
            let dcols = Tensor(uninitialized: [kk, l])
            for bi in 0..<b {
                for gi in 0..<groups {
                    let gz = gd + (bi * o + gi * og) * l
                    if let dw {
                        Im2col.im2col(x + (bi * c + gi * cg) * h * w, channels: cg, h: h, w: w, geo, cols.data)
                        gemm(transA: false, transB: true, m: og, n: kk, k: l, a: gz, b: cols.data, beta: 1, c: dw.data + gi * og * kk)
                    }
                    if let dx {
                        gemm(transA: true, transB: false, m: kk, n: l, k: og, a: wp + gi * og * kk, b: gz, c: dcols.data)
                        Im2col.col2im(dcols.data, channels: cg, h: h, w: w, geo, dx.data + (bi * c + gi * cg) * h * w)
                    }
                }
            }
            var res: [Tensor?] = [dx, dw]
            if let bias { res.append(bias.requiresGrad ? g.shapedView([b, o, l]).sumRaw(axis: 2).sumRaw(axis: 0) : nil) }
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

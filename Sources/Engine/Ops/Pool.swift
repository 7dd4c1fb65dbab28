// Pooling and padding on [B, C, H, W].
import Foundation

extension Tensor {
    /// Max pooling (floor mode, implicit −∞ padding). Backward routes to the first max in each window.
    public func maxPool2d(kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0)) -> Tensor {
        let (b, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
        let geo = Conv2dGeometry(kernel: kernel, stride: stride ?? kernel, padding: padding)
        let (ho, wo) = geo.outSize(h, w)
        let out = Tensor(uninitialized: [b, c, ho, wo])
        var argmax = [Int32](repeating: 0, count: out.count)
        let x = data, y = out.data
        argmax.withUnsafeMutableBufferPointer { am in
            let amp = am.baseAddress!
            parallelFor(b * c, grain: 1) { s, e in
                for plane in s..<e {
                    let src = x + plane * h * w
                    for oy in 0..<ho {
                        for ox in 0..<wo {
                            var best = -Float.infinity, bi = -1
                            for i in 0..<kernel.0 {
                                let iy = oy * geo.stride.0 - padding.0 + i
                                if iy < 0 || iy >= h { continue }
                                for j in 0..<kernel.1 {
                                    let ix = ox * geo.stride.1 - padding.1 + j
                                    if ix < 0 || ix >= w { continue }
                                    let v = src[iy * w + ix]
                                    if v > best || bi < 0 || v.isNaN { best = v; bi = iy * w + ix }
                                }
                            }
                            let o = (plane * ho + oy) * wo + ox
                            y[o] = best; amp[o] = Int32(bi)
                        }
                    }
                }
            }
        }
        let inShape = shape
        return out.record("maxPool2d", [self]) { g in
            let dx = Tensor(zeros: inShape)
            let gd = g.data, d = dx.data, per = ho * wo
            for plane in 0..<(b * c) {
                for t in 0..<per { let o = plane * per + t; d[plane * h * w + Int(argmax[o])] += gd[o] }
            }
            return [dx]
        }
    }

    /// Average pooling; `countIncludePad` as PyTorch's default (true).
    public func avgPool2d(kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0), countIncludePad: Bool = true) -> Tensor {
        let (b, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
        let geo = Conv2dGeometry(kernel: kernel, stride: stride ?? kernel, padding: padding)
        let (ho, wo) = geo.outSize(h, w)
        // Window bounds and divisor per output position (shared by all planes).
        var windows: [(Int, Int, Int, Int, Float)] = []
        for oy in 0..<ho {
            for ox in 0..<wo {
                let y0 = oy * geo.stride.0 - padding.0, x0 = ox * geo.stride.1 - padding.1
                let y1 = Swift.min(y0 + kernel.0, h + padding.0), x1 = Swift.min(x0 + kernel.1, w + padding.1)
                let padCount = (y1 - y0) * (x1 - x0)
                let ys = Swift.max(y0, 0), xs = Swift.max(x0, 0), ye = Swift.min(y1, h), xe = Swift.min(x1, w)
                let div = countIncludePad ? Float(padCount) : Float((ye - ys) * (xe - xs))
                windows.append((ys, ye, xs, xe, div))
            }
        }
        let out = Tensor(uninitialized: [b, c, ho, wo])
        let x = data, y = out.data
        for plane in 0..<(b * c) {
            for (t, win) in windows.enumerated() {
                var s: Float = 0
                for iy in win.0..<win.1 { for ix in win.2..<win.3 { s += x[plane * h * w + iy * w + ix] } }
                y[plane * ho * wo + t] = s / win.4
            }
        }
        let inShape = shape
        return out.record("avgPool2d", [self]) { g in
            let dx = Tensor(zeros: inShape)
            for plane in 0..<(b * c) {
                for (t, win) in windows.enumerated() {
                    let v = g.data[plane * ho * wo + t] / win.4
                    for iy in win.0..<win.1 { for ix in win.2..<win.3 { dx.data[plane * h * w + iy * w + ix] += v } }
                }
            }
            return [dx]
        }
    }

    /// Adaptive average pooling to (oh, ow) with PyTorch's bins: [⌊i·H/oh⌋, ⌈(i+1)·H/oh⌉).
    public func adaptiveAvgPool2d(_ oh: Int, _ ow: Int) -> Tensor {
        let (b, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
        var bins: [(Int, Int, Int, Int)] = []
        for i in 0..<oh {
            for j in 0..<ow {
                bins.append((i * h / oh, ((i + 1) * h + oh - 1) / oh, j * w / ow, ((j + 1) * w + ow - 1) / ow))
            }
        }
        let out = Tensor(uninitialized: [b, c, oh, ow])
        for plane in 0..<(b * c) {
            for (t, bin) in bins.enumerated() {
                var s: Float = 0
                for iy in bin.0..<bin.1 { for ix in bin.2..<bin.3 { s += data[plane * h * w + iy * w + ix] } }
                out.data[plane * oh * ow + t] = s / Float((bin.1 - bin.0) * (bin.3 - bin.2))
            }
        }
        let inShape = shape
        return out.record("adaptiveAvgPool2d", [self]) { g in
            let dx = Tensor(zeros: inShape)
            for plane in 0..<(b * c) {
                for (t, bin) in bins.enumerated() {
                    let v = g.data[plane * oh * ow + t] / Float((bin.1 - bin.0) * (bin.3 - bin.2))
                    for iy in bin.0..<bin.1 { for ix in bin.2..<bin.3 { dx.data[plane * h * w + iy * w + ix] += v } }
                }
            }
            return [dx]
        }
    }

    /// Constant padding of the last two axes (F.pad with (left, right, top, bottom)); negative values crop.
    public func pad2d(left: Int, right: Int, top: Int, bottom: Int, value: Float = 0) -> Tensor {
        precondition(rank >= 2, "pad2d needs at least 2 axes")
        let h = shape[rank - 2], w = shape[rank - 1]
        let planes = count / Swift.max(h * w, 1)
        let nh = h + top + bottom, nw = w + left + right
        precondition(nh > 0 && nw > 0, "pad2d would produce an empty tensor")
        var s = shape; s[rank - 2] = nh; s[rank - 1] = nw
        let out = Tensor(repeating: value, shape: s)
        let x = data, y = out.data
        let ys = Swift.max(0, -top), ye = Swift.min(h, nh - top), xs = Swift.max(0, -left), xe = Swift.min(w, nw - left)
        for p in 0..<planes {
            for iy in ys..<Swift.max(ys, ye) {
                (y + p * nh * nw + (iy + top) * nw + xs + left).update(from: x + p * h * w + iy * w + xs, count: Swift.max(0, xe - xs))
            }
        }
        let inShape = shape
        return out.record("pad2d", [self]) { g in
            let dx = Tensor(zeros: inShape)
            for p in 0..<planes {
                for iy in ys..<Swift.max(ys, ye) {
                    (dx.data + p * h * w + iy * w + xs).update(from: g.data + p * nh * nw + (iy + top) * nw + xs + left, count: Swift.max(0, xe - xs))
                }
            }
            return [dx]
        }
    }
}

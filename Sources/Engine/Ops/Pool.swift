// Pooling and padding on [B, C, H, W].
import Foundation

extension Tensor {
    /// Max pooling (floor mode, implicit −∞ padding). Backward routes to the first max in each window (the last NaN
    /// if the window holds one, as PyTorch).
    public func maxPool2d(kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0)) -> Tensor {
        let (b, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
        // PyTorch's rule; it keeps every window non-empty.
        precondition(2 * padding.0 <= kernel.0 && 2 * padding.1 <= kernel.1, "maxPool2d: padding \(padding) exceeds half the kernel \(kernel)")
        let geo = Conv2dGeometry(kernel: kernel, stride: stride ?? kernel, padding: padding)
        let (ho, wo) = geo.outSize(h, w)
        precondition(ho > 0 && wo > 0, "maxPool2d: input \(shape) is smaller than the kernel \(kernel)")
        let out = Tensor(uninitialized: [b, c, ho, wo])
        var argmax = [Int32](repeating: 0, count: out.count)
        let x = data, y = out.data
        let (kh, kw) = kernel, (sh, sw) = geo.stride, (ph, pw) = padding
        // Output columns whose window lies inside the image horizontally: no bounds checks there.
        let oxLo = Swift.min(wo, (pw + sw - 1) / sw), oxHi = Swift.max(oxLo, Swift.min(wo, w + pw - kw >= 0 ? (w + pw - kw) / sw + 1 : 0))
        argmax.withUnsafeMutableBufferPointer { am in
            let amp = am.baseAddress!
            parallelFor(b * c, grain: 1) { s, e in
                for plane in s..<e {
                    let src = x + plane * h * w
                    for oy in 0..<ho {
                        let iy0 = oy * sh - ph, i0 = Swift.max(0, -iy0), i1 = Swift.min(kh, h - iy0)
                        let yrow = y + (plane * ho + oy) * wo, arow = amp + (plane * ho + oy) * wo
                        /// The window at ox with its columns clipped to j0..<j1 (rows to i0..<i1), scanned row-major.
                        @inline(__always) func window(_ ox: Int, _ j0: Int, _ j1: Int) {
                            let ix0 = ox * sw - pw
                            // Selects instead of branches: with ties everywhere (ReLU zeros) a branch here mispredicts.
                            var bi = (iy0 + i0) * w + ix0 + j0, best = src[bi]
                            for i in i0..<i1 {
                                let r = (iy0 + i) * w + ix0
                                for j in j0..<j1 {
                                    let v = src[r + j]
                                    let take = (v > best) != v.isNaN  // (never both: a NaN compares false)
                                    best = take ? v : best
                                    bi = take ? r + j : bi
                                }
                            }
                            yrow[ox] = best; arow[ox] = Int32(bi)
                        }
                        for ox in 0..<oxLo { let ix0 = ox * sw - pw; window(ox, Swift.max(0, -ix0), Swift.min(kw, w - ix0)) }
                        // Interior: the window's taps in row-major order, each over the whole row of outputs (the same
                        // first-max / last-NaN result as `window`, without a branch per tap).
                        var vx = oxLo
                        if sw == 2 {
                            // Stride 2: 8 outputs at a time, each tap a 16-float load's even lanes, the running max and
                            // its index kept in registers across the taps (same row-major order, same selects).
                            let lanes = SIMD8<Int32>(0, 2, 4, 6, 8, 10, 12, 14)
                            let planeEnd = h * w
                            while vx + 8 <= oxHi && (iy0 + i1 - 1) * w - pw + kw - 1 + 2 * vx + 16 <= planeEnd {
                                /// Tap (i, j) of the 8 windows and its input indices.
                                func tap(_ i: Int, _ j: Int) -> (SIMD8<Float>, SIMD8<Int32>) {
                                    let k = (iy0 + i) &* w &- pw &+ j &+ 2 &* vx
                                    return (UnsafeRawPointer(src + k).loadUnaligned(as: SIMD16<Float>.self).evenHalf,
                                            SIMD8<Int32>(repeating: Int32(truncatingIfNeeded: k)) &+ lanes)
                                }
                                var (best, bi) = tap(i0, 0)
                                for i in i0..<i1 {
                                    for j in (i == i0 ? 1 : 0)..<kw {
                                        let (v, kv) = tap(i, j)
                                        let take = (v .> best) .^ (v .!= v)
                                        best.replace(with: v, where: take)
                                        bi.replace(with: kv, where: take)
                                    }
                                }
                                UnsafeMutableRawPointer(yrow + vx).storeBytes(of: best, as: SIMD8<Float>.self)
                                UnsafeMutableRawPointer(arow + vx).storeBytes(of: bi, as: SIMD8<Int32>.self)
                                vx += 8
                            }
                        }
                        if vx < oxHi {
                            let oxLo = vx
                            let first = (iy0 + i0) &* w &- pw
                            for ox in oxLo..<oxHi { let k = first &+ ox &* sw; yrow[ox] = src[k]; arow[ox] = Int32(truncatingIfNeeded: k) }
                            for i in i0..<i1 {
                                for j in (i == i0 ? 1 : 0)..<kw {
                                    let base = (iy0 + i) &* w &- pw &+ j
                                    for ox in oxLo..<oxHi {
                                        let k = base &+ ox &* sw, v = src[k], best = yrow[ox]
                                        let take = (v > best) != v.isNaN
                                        yrow[ox] = take ? v : best
                                        arow[ox] = take ? Int32(truncatingIfNeeded: k) : arow[ox]
                                    }
                                }
                            }
                        }
                        for ox in oxHi..<wo { let ix0 = ox * sw - pw; window(ox, Swift.max(0, -ix0), Swift.min(kw, w - ix0)) }
                    }
                }
            }
        }
        let inShape = shape
        return out.record("maxPool2d", [self]) { g in
            let dx = Tensor(zeros: inShape)
            let gd = g.data, d = dx.data, per = ho * wo
            argmax.withUnsafeBufferPointer { am in
                let amp = am.baseAddress!
                // Each plane's indices point into its own plane of dx: planes run in parallel without conflicts.
                parallelFor(b * c, grain: Swift.max(1, 16384 / Swift.max(per, 1))) { s, e in
                    for plane in s..<e {
                        let dp = d + plane * h * w
                        for t in 0..<per { let o = plane * per + t; dp[Int(amp[o])] += gd[o] }
                    }
                }
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

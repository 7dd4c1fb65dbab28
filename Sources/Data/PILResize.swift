// PIL's resampling (Pillow `libImaging/Resample.c` algorithm, re-implemented): separable convolution
// whose kernel support grows with the downscale factor (antialiasing), coefficients normalised per
// output pixel and quantised to 22-bit fixed point for 8-bit images; horizontal pass first into an
// 8-bit intermediate (only the rows the vertical pass needs), then the vertical pass. torchvision's
// `Resize` on PIL images calls exactly this, so matching it bit-for-bit matches those pipelines.

/// PIL resampling filters used by the pipelines.
public enum PILFilter: String, Codable, Sendable {
    case bilinear, bicubic

    /// Half-width of the kernel at scale 1.
    var support: Double { self == .bilinear ? 1.0 : 2.0 }

    @inline(__always)
    func weight(_ x0: Double) -> Double {
        let x = abs(x0)
        switch self {
        case .bilinear:
            return x < 1 ? 1 - x : 0
        case .bicubic:
            // Keys cubic with a = -0.5 (PIL's choice).
            let a = -0.5
            if x < 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
            if x < 2 { return (((x - 5) * x + 8) * x - 4) * a }
            return 0
        }
    }
}

/// Fixed-point coefficient tables for one axis.
struct PILCoefficients {
    var ksize: Int
    var bounds: [Int]      // (first input index, tap count) per output index
    var weights: [Int32]   // outSize × ksize, fixed point with `precisionBits`

    static let precisionBits = 32 - 8 - 2

    init(inSize: Int, outSize: Int, filter: PILFilter) {
        let scale = Double(inSize) / Double(outSize)
        let filterscale = max(scale, 1.0)           // widen the kernel only when downscaling
        let support = filter.support * filterscale
        ksize = Int(support.rounded(.up)) * 2 + 1
        bounds = [Int](repeating: 0, count: outSize * 2)
        weights = [Int32](repeating: 0, count: outSize * ksize)
        var k = [Double](repeating: 0, count: ksize)
        let one = Double(1 << PILCoefficients.precisionBits)
        for xx in 0..<outSize {
            let center = (Double(xx) + 0.5) * scale
            let ss = 1.0 / filterscale
            // C's (int) cast truncates toward zero; values below zero are clamped to 0 anyway.
            var xmin = Int(center - support + 0.5)
            if xmin < 0 { xmin = 0 }
            var xmax = Int(center + support + 0.5)
            if xmax > inSize { xmax = inSize }
            xmax -= xmin
            var ww = 0.0
            for x in 0..<xmax {
                let w = filter.weight((Double(x + xmin) - center + 0.5) * ss)
                k[x] = w
                ww += w
            }
            for x in 0..<ksize {
                var w = x < xmax ? k[x] : 0
                if x < xmax, ww != 0 { w /= ww }
                // Round half away from zero into fixed point, as PIL's normalize_coeffs_8bpc.
                weights[xx * ksize + x] = Int32(w < 0 ? (-0.5 + w * one).rounded(.towardZero) : (0.5 + w * one).rounded(.towardZero))
            }
            bounds[2 * xx] = xmin
            bounds[2 * xx + 1] = xmax
        }
    }
}

@inline(__always)
private func clip8(_ v: Int32) -> UInt8 {
    let s = v >> Int32(PILCoefficients.precisionBits)
    return s < 0 ? 0 : (s > 255 ? 255 : UInt8(s))
}

/// PIL `Image.resize((width, height), filter)` on an 8-bit image, bit-exact.
public func pilResize(_ img: Image, width: Int, height: Int, filter: PILFilter) -> Image {
    precondition(width > 0 && height > 0, "pilResize: target size must be positive")
    let C = img.channels
    var cur = img
    let needH = width != img.width, needV = height != img.height
    if !needH && !needV { return img }
    let vert = PILCoefficients(inSize: img.height, outSize: height, filter: filter)
    var vbounds = vert.bounds
    // Rows of the source the vertical pass reads: only those go through the horizontal pass.
    let yFirst = needV ? vbounds[0] : 0
    let yLast = needV ? vbounds[2 * height - 2] + vbounds[2 * height - 1] : img.height
    let half = Int32(1 << (PILCoefficients.precisionBits - 1))
    if needH {
        if needV { for i in 0..<height { vbounds[2 * i] -= yFirst } }
        let hc = PILCoefficients(inSize: img.width, outSize: width, filter: filter)
        let rows = yLast - yFirst
        var out = [UInt8](repeating: 0, count: rows * width * C)
        let ks = hc.ksize
        img.pixels.withUnsafeBufferPointer { src in
            hc.weights.withUnsafeBufferPointer { kk in
                hc.bounds.withUnsafeBufferPointer { bd in
                    out.withUnsafeMutableBufferPointer { dst in
                        for y in 0..<rows {
                            let srow = (y + yFirst) * img.width * C
                            let drow = y * width * C
                            for xx in 0..<width {
                                let xmin = bd[2 * xx], n = bd[2 * xx + 1]
                                let kb = xx * ks
                                for c in 0..<C {
                                    var ss = half
                                    for x in 0..<n {
                                        ss &+= Int32(src[srow + (x + xmin) * C + c]) &* kk[kb + x]
                                    }
                                    dst[drow + xx * C + c] = clip8(ss)
                                }
                            }
                        }
                    }
                }
            }
        }
        cur = Image(width: width, height: rows, channels: C, pixels: out)
    }
    if needV {
        let ks = vert.ksize
        let W = cur.width
        var out = [UInt8](repeating: 0, count: height * W * C)
        cur.pixels.withUnsafeBufferPointer { src in
            vert.weights.withUnsafeBufferPointer { kk in
                vbounds.withUnsafeBufferPointer { bd in
                    out.withUnsafeMutableBufferPointer { dst in
                        for yy in 0..<height {
                            let ymin = bd[2 * yy], n = bd[2 * yy + 1]
                            let kb = yy * ks
                            for i in 0..<(W * C) {
                                var ss = half
                                for y in 0..<n {
                                    ss &+= Int32(src[(y + ymin) * W * C + i]) &* kk[kb + y]
                                }
                                dst[yy * W * C + i] = clip8(ss)
                            }
                        }
                    }
                }
            }
        }
        cur = Image(width: W, height: height, channels: C, pixels: out)
    }
    return cur
}

/// Target (width, height) of torchvision `Resize(size)` with an int size: the shorter side becomes
/// `size`, the longer side `int(size * long / short)` (truncated, as torchvision's `_compute_resized_output_size`).
public func shorterSideSize(width: Int, height: Int, size: Int) -> (width: Int, height: Int) {
    if width <= height {
        return (size, Int(Double(size) * Double(height) / Double(width)))
    }
    return (Int(Double(size) * Double(width) / Double(height)), size)
}

// `tf.image.resize(images, [h, w], method="bilinear")` (TF2: ResizeBilinear with half_pixel_centers=True,
// antialias=False) on a float image, re-implemented from its definition. VPT's VTAB pipeline
// (`tf_dataset.py::preprocess_fn`) casts uint8 → float32, resizes, then divides by 255.

/// Float32 bilinear resize with half-pixel centres and no antialiasing, HWC in and out.
/// Per axis: `in = (i + 0.5) * (inSize / outSize) - 0.5`, `lo = max(floor(in), 0)`,
/// `hi = min(ceil(in), inSize - 1)`, `t = in - floor(in)`; value = lerp over x, then over y.
public func tfResizeBilinear(_ src: [Float], height: Int, width: Int, channels: Int,
                             outHeight: Int, outWidth: Int) -> [Float] {
    precondition(src.count == height * width * channels)
    struct Axis { var lo: [Int]; var hi: [Int]; var t: [Float] }
    func axis(_ inSize: Int, _ outSize: Int) -> Axis {
        let scale = Float(inSize) / Float(outSize)
        var a = Axis(lo: [], hi: [], t: [])
        for i in 0..<outSize {
            let x = (Float(i) + 0.5) * scale - 0.5
            let f = x.rounded(.down)
            a.lo.append(max(Int(f), 0))
            a.hi.append(min(Int(x.rounded(.up)), inSize - 1))
            a.t.append(x - f)
        }
        return a
    }
    let ax = axis(width, outWidth), ay = axis(height, outHeight)
    var out = [Float](repeating: 0, count: outHeight * outWidth * channels)
    let C = channels
    src.withUnsafeBufferPointer { s in
        out.withUnsafeMutableBufferPointer { o in
            for y in 0..<outHeight {
                let r0 = ay.lo[y] * width * C, r1 = ay.hi[y] * width * C, ty = ay.t[y]
                for x in 0..<outWidth {
                    let c0 = ax.lo[x] * C, c1 = ax.hi[x] * C, tx = ax.t[x]
                    for c in 0..<C {
                        let tl = s[r0 + c0 + c], tr = s[r0 + c1 + c]
                        let bl = s[r1 + c0 + c], br = s[r1 + c1 + c]
                        let top = tl + (tr - tl) * tx
                        let bottom = bl + (br - bl) * tx
                        o[(y * outWidth + x) * C + c] = top + (bottom - top) * ty
                    }
                }
            }
        }
    }
    return out
}

/// `tf.image.resize(tf.cast(img, float32), [h, w], "bilinear")` of an 8-bit image, HWC float (0…255 range).
public func tfResizeBilinear(_ img: Image, outHeight: Int, outWidth: Int) -> [Float] {
    tfResizeBilinear(img.pixels.map(Float.init), height: img.height, width: img.width,
                     channels: img.channels, outHeight: outHeight, outWidth: outWidth)
}

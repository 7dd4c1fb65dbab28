// Geometric uint8 transforms with torchvision's semantics on PIL images: crop (zero fill outside,
// as PIL's Image.crop), center crop (torchvision rounding), random crop, random resized crop, flip.
// Randomness comes only from the `RandomStream` passed in.

import Random

/// A crop box in pixels: top row, left column, height, width.
public struct CropBox: Equatable, Sendable {
    public var top: Int, left: Int, height: Int, width: Int
    public init(top: Int, left: Int, height: Int, width: Int) {
        self.top = top; self.left = left; self.height = height; self.width = width
    }
}

/// `PIL.Image.crop((left, top, left + w, top + h))`: pixels outside the source are zero.
public func crop(_ img: Image, _ box: CropBox) -> Image {
    var out = Image(width: box.width, height: box.height, channels: img.channels)
    let C = img.channels
    img.pixels.withUnsafeBufferPointer { src in
        out.pixels.withUnsafeMutableBufferPointer { dst in
            for y in 0..<box.height {
                let sy = y + box.top
                if sy < 0 || sy >= img.height { continue }
                let x0 = max(0, -box.left), x1 = min(box.width, img.width - box.left)
                if x1 <= x0 { continue }
                let s = src.baseAddress! + (sy * img.width + box.left + x0) * C
                let d = dst.baseAddress! + (y * box.width + x0) * C
                d.update(from: s, count: (x1 - x0) * C)
            }
        }
    }
    return out
}

/// Python's `int(round(x / 2.0))` for an integer x: round half to even (banker's rounding).
@inline(__always)
func pythonRoundHalf(_ x: Int) -> Int {
    if x % 2 == 0 { return x / 2 }
    let f = Int((Double(x) / 2).rounded(.down))
    return f % 2 == 0 ? f : f + 1
}

/// torchvision `center_crop` offsets: `int(round((h - th) / 2.0))` (Python rounding); when the crop is
/// larger than the image, torchvision first zero-pads by `(th - h) // 2` on top/left.
public func centerCropBox(height: Int, width: Int, cropHeight th: Int, cropWidth tw: Int) -> CropBox {
    let top = th > height ? -((th - height) / 2) : pythonRoundHalf(height - th)
    let left = tw > width ? -((tw - width) / 2) : pythonRoundHalf(width - tw)
    return CropBox(top: top, left: left, height: th, width: tw)
}

/// torchvision `RandomCrop(size)` without padding: top ~ U{0..h-th}, left ~ U{0..w-tw}.
public func randomCropBox(height: Int, width: Int, cropHeight th: Int, cropWidth tw: Int,
                          rng: inout RandomStream) -> CropBox {
    if th > height || tw > width {
        // torchvision raises here; we fall back to the centred (zero-padded) crop and keep going.
        return centerCropBox(height: height, width: width, cropHeight: th, cropWidth: tw)
    }
    let top = rng.int(below: height - th + 1)
    let left = rng.int(below: width - tw + 1)
    return CropBox(top: top, left: left, height: th, width: tw)
}

/// torchvision `RandomResizedCrop.get_params`: 10 attempts at area fraction ~ U(scale) and
/// log aspect ratio ~ U(log ratio), else the central crop clamped to the ratio range.
public func randomResizedCropBox(height: Int, width: Int, scale: (Double, Double) = (0.08, 1.0),
                                 ratio: (Double, Double) = (3.0 / 4.0, 4.0 / 3.0),
                                 rng: inout RandomStream) -> CropBox {
    let area = Double(height * width)
    let logLo = Foundation.log(ratio.0), logHi = Foundation.log(ratio.1)
    for _ in 0..<10 {
        let target = area * (scale.0 + (scale.1 - scale.0) * rng.uniformDouble())
        let aspect = Foundation.exp(logLo + (logHi - logLo) * rng.uniformDouble())
        let w = Int((target * aspect).squareRoot().rounded(.toNearestOrEven))
        let h = Int((target / aspect).squareRoot().rounded(.toNearestOrEven))
        if w > 0, h > 0, w <= width, h <= height {
            let i = rng.int(below: height - h + 1)
            let j = rng.int(below: width - w + 1)
            return CropBox(top: i, left: j, height: h, width: w)
        }
    }
    let inRatio = Double(width) / Double(height)
    var w = width, h = height
    if inRatio < min(ratio.0, ratio.1) {
        h = Int((Double(w) / min(ratio.0, ratio.1)).rounded(.toNearestOrEven))
    } else if inRatio > max(ratio.0, ratio.1) {
        w = Int((Double(h) * max(ratio.0, ratio.1)).rounded(.toNearestOrEven))
    }
    return CropBox(top: (height - h) / 2, left: (width - w) / 2, height: h, width: w)
}

/// Mirror left–right.
public func horizontalFlip(_ img: Image) -> Image {
    var out = img
    let C = img.channels, W = img.width
    img.pixels.withUnsafeBufferPointer { src in
        out.pixels.withUnsafeMutableBufferPointer { dst in
            for y in 0..<img.height {
                for x in 0..<W {
                    for c in 0..<C { dst[(y * W + x) * C + c] = src[(y * W + (W - 1 - x)) * C + c] }
                }
            }
        }
    }
    return out
}

import Foundation

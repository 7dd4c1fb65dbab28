// timm's Mixup / CutMix in "batch" mode (timm/data/mixup.py `Mixup`, mode='batch', timm 1.0): one λ and one
// box per batch, each sample mixed with the batch reversed (x.flip(0)), soft targets with label smoothing.
//   with prob `mixProb`: cutmix with prob `switchProb` (λ ~ Beta(α_c, α_c)) else mixup (λ ~ Beta(α_m, α_m));
//   otherwise λ = 1 (no mixing; targets are still smoothed).
//   mixup:  x ← λ x + (1 − λ) flip(x)
//   cutmix: box = rand_bbox(λ) (centre uniform, sides ⌊H√(1−λ)⌋, clipped); x[box] ← flip(x)[box];
//           λ ← 1 − area(box)/(H W) (correct_lam=True)
//   targets = λ·onehot_s(y) + (1 − λ)·onehot_s(flip(y)),  onehot_s = (1 − s + s/C) on the label, s/C elsewhere
// Shapes: images [B, C, H, W] row-major, targets [B, classes]. B must be even (timm asserts; InsVP drops the last
// sample of an odd batch, `train/trainer.py:97-99`).
import Engine
import Foundation
import Random

/// Mixup/CutMix settings (timm `Mixup` arguments).
public struct MixupConfig: Codable, Sendable, Equatable {
    public var mixupAlpha: Double
    public var cutmixAlpha: Double
    public var mixProb: Double
    public var switchProb: Double
    public var labelSmoothing: Double
    public init(mixupAlpha: Double, cutmixAlpha: Double, mixProb: Double = 1, switchProb: Double = 0.5, labelSmoothing: Double = 0.1) {
        self.mixupAlpha = mixupAlpha; self.cutmixAlpha = cutmixAlpha; self.mixProb = mixProb
        self.switchProb = switchProb; self.labelSmoothing = labelSmoothing
    }
}

/// One batch's mixing decision: λ and, for CutMix, the box rows [yl, yh) × columns [xl, xh).
public struct MixDraw: Equatable, Sendable {
    public var lambda: Double
    public var box: (yl: Int, yh: Int, xl: Int, xh: Int)?
    public init(lambda: Double, box: (yl: Int, yh: Int, xl: Int, xh: Int)? = nil) { self.lambda = lambda; self.box = box }
    public static func == (a: MixDraw, b: MixDraw) -> Bool {
        a.lambda == b.lambda && a.box?.yl == b.box?.yl && a.box?.yh == b.box?.yh && a.box?.xl == b.box?.xl && a.box?.xh == b.box?.xh
    }
}

public enum Mixup {
    /// Draws λ and the box as `Mixup._params_per_batch` + `cutmix_bbox_and_lam` do (our RandomStream, not numpy's).
    public static func draw(_ c: MixupConfig, height: Int, width: Int, rng: inout RandomStream) -> MixDraw {
        guard c.mixupAlpha > 0 || c.cutmixAlpha > 0, rng.uniformDouble() < c.mixProb else { return MixDraw(lambda: 1) }
        let useCutmix: Bool
        if c.mixupAlpha > 0 && c.cutmixAlpha > 0 { useCutmix = rng.uniformDouble() < c.switchProb }
        else { useCutmix = c.cutmixAlpha > 0 }
        let a = useCutmix ? c.cutmixAlpha : c.mixupAlpha
        let lam = beta(a, a, rng: &rng)
        guard useCutmix else { return MixDraw(lambda: lam) }
        // rand_bbox (timm 1.0): cut = ⌊side·√(1−λ)⌋, centre uniform in [0, side), box [c − ⌊cut/2⌋, c + ⌊(cut+1)/2⌋).
        let ratio = (1 - lam).squareRoot()
        let cutH = Int(Double(height) * ratio), cutW = Int(Double(width) * ratio)
        let cy = rng.int(below: height), cx = rng.int(below: width)
        let box = (yl: min(max(cy - cutH / 2, 0), height), yh: min(max(cy + (cutH + 1) / 2, 0), height),
                   xl: min(max(cx - cutW / 2, 0), width), xh: min(max(cx + (cutW + 1) / 2, 0), width))
        let corrected = 1 - Double((box.yh - box.yl) * (box.xh - box.xl)) / Double(height * width)
        return MixDraw(lambda: corrected, box: box)
    }

    /// Applies a draw: mixed images [B, C, H, W] and soft targets [B, classes].
    public static func apply(images x: [Float], shape: [Int], labels: [Int], classes: Int, smoothing: Double, draw: MixDraw) -> (images: [Float], targets: [Float]) {
        precondition(shape.count == 4 && shape[0] == labels.count, "mixup: images \(shape) vs \(labels.count) labels")
        let b = shape[0], ch = shape[1], h = shape[2], w = shape[3], per = ch * h * w
        precondition(b % 2 == 0, "mixup: batch size must be even (timm asserts; trim odd batches first)")
        var out = x
        let lam = Float(draw.lambda)
        if let box = draw.box {
            for i in 0..<b {
                let j = b - 1 - i
                for c in 0..<ch { for y in box.yl..<box.yh { for xx in box.xl..<box.xh {
                    let o = c * h * w + y * w + xx
                    out[i * per + o] = x[j * per + o]
                } } }
            }
        } else if draw.lambda != 1 {
            for i in 0..<b {
                let j = b - 1 - i
                for k in 0..<per { out[i * per + k] = x[i * per + k] * lam + x[j * per + k] * (1 - lam) }
            }
        }
        let off = Float(smoothing / Double(classes)), on = Float(1 - smoothing) + off
        var t = [Float](repeating: 0, count: b * classes)
        for i in 0..<b {
            for k in 0..<classes {
                let y1: Float = labels[i] == k ? on : off, y2: Float = labels[b - 1 - i] == k ? on : off
                t[i * classes + k] = y1 * lam + y2 * (1 - lam)
            }
        }
        return (out, t)
    }

    /// Draws and applies: (mixed images, soft targets [B, classes]).
    public static func mix(images: Tensor, labels: [Int], classes: Int, config c: MixupConfig, rng: inout RandomStream) -> (Tensor, Tensor) {
        let d = draw(c, height: images.shape[2], width: images.shape[3], rng: &rng)
        let r = apply(images: images.scalars, shape: images.shape, labels: labels, classes: classes, smoothing: c.labelSmoothing, draw: d)
        return (Tensor(r.images, shape: images.shape), Tensor(r.targets, shape: [labels.count, classes]))
    }

    /// Beta(a, b) from two Gamma draws.
    static func beta(_ a: Double, _ b: Double, rng: inout RandomStream) -> Double {
        let x = gamma(a, rng: &rng), y = gamma(b, rng: &rng)
        return x / (x + y)
    }

    /// Gamma(k, 1) by Marsaglia–Tsang (k < 1 via the k + 1 boost).
    static func gamma(_ k: Double, rng: inout RandomStream) -> Double {
        if k < 1 {
            let u = max(rng.uniformDouble(), 1e-300)
            return gamma(k + 1, rng: &rng) * Foundation.pow(u, 1 / k)
        }
        let d = k - 1.0 / 3, c = 1 / (9 * d).squareRoot()
        while true {
            var x: Double, v: Double
            repeat { x = Double(rng.normal()); v = 1 + c * x } while v <= 0
            v = v * v * v
            let u = rng.uniformDouble()
            if u < 1 - 0.0331 * x * x * x * x { return d * v }
            if Foundation.log(max(u, 1e-300)) < 0.5 * x * x + d * (1 - v + Foundation.log(v)) { return d * v }
        }
    }
}

// Built-in procedurally generated datasets for the mini benchmark and CI: no files, deterministic
// from a seed. Sample i of a task is drawn from its own stream RandomStream(seed, task, i), so a
// sample does not depend on which other samples are generated, in which order, or on how many threads.
// VTAB-1k-like splits over one pool of indices: train800 = 0..<800, val200 = 800..<1000,
// train800val200 = 0..<1000, test = 1000..<1000+testCount (disjoint from training).

import Foundation
import Random

/// The built-in tasks. Each is learnable from pixels but nuisance factors (position, scale, colour,
/// noise, distractors) keep a linear probe on raw pixels well below 100%.
public enum BuiltinTask: String, CaseIterable, Codable, Sendable {
    /// x-position of one sprite, 16 bins (VTAB dsprites_loc bins x into 16).
    case dsprites_loc
    /// Orientation of an arrow sprite, 16 bins over 2π.
    case dsprites_ori
    /// Number of objects 3…10 → 8 classes (VTAB clevr_count).
    case clevr_count
    /// Shape (4) × colour (5) = 20 classes, random position/scale on a noisy background.
    case shapes
    /// 10 procedural texture families with random phase, scale jitter and colours.
    case texture
    /// Natural-like scenes: horizon height (4) × sun present (2) → 8 classes, with value-noise terrain.
    case scenes
    /// SOURCE task for pretraining: 100 classes = 10 parametric pattern families × 10 frequency/hue settings.
    case source_patterns

    public var numClasses: Int {
        switch self {
        case .dsprites_loc, .dsprites_ori: return 16
        case .clevr_count, .scenes: return 8
        case .shapes: return 20
        case .texture: return 10
        case .source_patterns: return 100
        }
    }

    var taskKey: UInt64 { UInt64(BuiltinTask.allCases.firstIndex(of: self)! + 1) }

    /// Label of pool sample `i`: each block of `numClasses` consecutive indices holds every class once,
    /// in the order of a permutation drawn from the block's own stream (exact balance, still per-index).
    func label(seed: UInt64, index: Int) -> Int {
        var rng = RandomStream(seed, taskKey, UInt64(index / numClasses), 0x1ABE1)
        return rng.permutation(numClasses)[index % numClasses]
    }

    /// Draws sample `i`: returns its label and image.
    func sample(seed: UInt64, index: Int, size S: Int) -> (Int, Image) {
        var rng = RandomStream(seed, taskKey, UInt64(index))
        let label = self.label(seed: seed, index: index)
        let s = Float(S)
        switch self {
        case .dsprites_loc:
            let bg = 30 * rng.uniform()
            var c = Canvas(size: S, fill: (bg, bg, bg))
            let r = s * (0.08 + 0.08 * rng.uniform())
            let cx = (Float(label) + rng.uniform()) / 16 * s
            let cy = r + (s - 2 * r) * rng.uniform()
            let kind = [ShapeKind.circle, .square, .triangle][rng.int(below: 3)]
            let g = 160 + 95 * rng.uniform()
            c.draw(kind, cx: cx, cy: cy, r: r, angle: 2 * .pi * rng.uniform(), color: (g, g, g))
            c.noise(40, &rng)
            return (label, c.image())
        case .dsprites_ori:
            let bg = 30 * rng.uniform()
            var c = Canvas(size: S, fill: (bg, bg, bg))
            let r = s * (0.25 + 0.1 * rng.uniform())
            let angle = (Float(label) + rng.uniform()) / 16 * 2 * .pi
            let cx = r + (s - 2 * r) * rng.uniform(), cy = r + (s - 2 * r) * rng.uniform()
            let g = 160 + 95 * rng.uniform()
            c.draw(.arrow, cx: cx, cy: cy, r: r, angle: angle, color: (g, g, g))
            c.noise(30, &rng)
            return (label, c.image())
        case .clevr_count:
            let bg = 100 + 40 * rng.uniform()
            var c = Canvas(size: S, fill: (bg, bg, bg))
            let n = label + 3
            // Objects on a jittered grid so they rarely merge; sizes and colours vary.
            let cells = rng.permutation(16)
            for k in 0..<n {
                let cell = cells[k]
                let cx = (Float(cell % 4) + 0.25 + 0.5 * rng.uniform()) * s / 4
                let cy = (Float(cell / 4) + 0.25 + 0.5 * rng.uniform()) * s / 4
                let kind = [ShapeKind.circle, .square][rng.int(below: 2)]
                c.draw(kind, cx: cx, cy: cy, r: s * (0.05 + 0.05 * rng.uniform()), angle: rng.uniform() * 3, color: randomColor(&rng))
            }
            c.noise(20, &rng)
            return (label, c.image())
        case .shapes:
            var c = Canvas(size: S, fill: randomColor(&rng, hue: nil))
            c.px = c.px.map { $0 * 0.35 }
            let kinds: [ShapeKind] = [.circle, .square, .triangle, .cross]
            let hues: [Float] = [0.0, 0.33, 0.66, 0.16, 0.83]
            let kind = kinds[label % 4], hue = hues[label / 4] + 0.04 * (rng.uniform() - 0.5)
            let r = s * (0.15 + 0.15 * rng.uniform())
            c.draw(kind, cx: r + (s - 2 * r) * rng.uniform(), cy: r + (s - 2 * r) * rng.uniform(), r: r,
                   angle: 0.4 * (rng.uniform() - 0.5), color: hsv(hue, 0.8, 0.6 + 0.4 * rng.uniform()))
            c.noise(35, &rng)
            return (label, c.image())
        case .texture:
            let a = randomColor(&rng), b = randomColor(&rng)
            var c = Canvas(size: S, fill: (0, 0, 0))
            let ph = 2 * Float.pi * rng.uniform(), f = (0.8 + 0.4 * rng.uniform()) * 2 * .pi / s
            let th = 0.3 * (rng.uniform() - 0.5)
            let ct = cos(th), st = sin(th)
            let fam = label
            c.field(a, b) { x, y in
                let u = ct * x + st * y, v = -st * x + ct * y
                switch fam {
                case 0: return sin(4 * f * u + ph)                                  // vertical stripes
                case 1: return sin(4 * f * v + ph)                                  // horizontal stripes
                case 2: return sin(3 * f * (u + v) + ph)                            // diagonal stripes
                case 3: return sin(4 * f * u + ph) * sin(4 * f * v + ph)            // checks
                case 4: return sin(9 * f * u + ph)                                  // fine stripes
                case 5: return cos(8 * f * u + ph) + cos(8 * f * v) - 1.2           // dots
                case 6: return sin(4 * f * u + 2 * sin(2 * f * v + ph))             // waves
                case 7: return sin(0.6 * f * ((u - s / 2) * (u - s / 2) + (v - s / 2) * (v - s / 2)).squareRoot() * 6 + ph) // rings
                case 8: return sin(4 * f * abs(u - s / 2) + 4 * f * abs(v - s / 2) + ph) // diamonds
                default: return sin(6 * f * u + ph) + sin(6 * f * v + ph)            // plaid
                }
            }
            c.noise(50, &rng)
            return (label, c.image())
        case .scenes:
            let horizon = (0.25 + 0.15 * Float(label % 4) + 0.1 * (rng.uniform() - 0.5)) * s
            let sky = hsv(0.55 + 0.1 * rng.uniform(), 0.3 + 0.4 * rng.uniform(), 0.6 + 0.4 * rng.uniform())
            let ground = hsv(0.2 + 0.15 * rng.uniform(), 0.5 + 0.4 * rng.uniform(), 0.3 + 0.4 * rng.uniform())
            var c = Canvas(size: S, fill: sky)
            // Terrain: horizon perturbed by a few random octaves (value-noise-like ridge line).
            var amps: [(Float, Float, Float)] = []
            for o in 0..<3 { amps.append((s * 0.08 / Float(o + 1), Float(o + 1) * 2 * .pi / s * (1 + rng.uniform()), 2 * .pi * rng.uniform())) }
            for y in 0..<S {
                for x in 0..<S {
                    var h = horizon
                    for (amp, fr, ph) in amps { h += amp * sin(fr * Float(x) + ph) }
                    if Float(y) > h {
                        let shade = 0.7 + 0.3 * Float(y) / s
                        let i = (y * S + x) * 3
                        c.px[i] = ground.0 * shade; c.px[i + 1] = ground.1 * shade; c.px[i + 2] = ground.2 * shade
                    }
                }
            }
            if label >= 4 {
                c.draw(.circle, cx: s * (0.15 + 0.7 * rng.uniform()), cy: horizon * (0.3 + 0.3 * rng.uniform()),
                       r: s * (0.06 + 0.04 * rng.uniform()), angle: 0, color: (255, 230, 120))
            }
            c.noise(25, &rng)
            return (label, c.image())
        case .source_patterns:
            let fam = label / 10, setting = label % 10
            let fr = (1 + Float(setting % 5)) * 2 * .pi / s * (0.9 + 0.2 * rng.uniform())
            let hue = Float(setting / 5) * 0.5 + 0.1 * rng.uniform()
            let a = hsv(hue, 0.7, 0.9), b = hsv(hue + 0.3, 0.7, 0.3)
            let ph = 2 * Float.pi * rng.uniform()
            let cx = s * (0.3 + 0.4 * rng.uniform()), cy = s * (0.3 + 0.4 * rng.uniform())
            var c = Canvas(size: S, fill: (0, 0, 0))
            c.field(a, b) { x, y in
                let dx = x - cx, dy = y - cy
                let r = (dx * dx + dy * dy).squareRoot(), t = atan2(dy, dx)
                switch fam {
                case 0: return sin(fr * r + ph)                          // concentric rings
                case 1: return sin(fr * r * 0.5 + 3 * t + ph)            // spiral
                case 2: return sin(Float(2 + setting % 5) * 2 * t + ph)  // radial spokes
                case 3: return sin(fr * (x + 0.5 * y) + ph)              // slanted waves
                case 4: return sin(fr * x + ph) * sin(fr * 0.5 * y)      // plaid
                case 5: return sin(fr * (x + 4 * sin(y * 0.3)) + ph)     // zigzag
                case 6: return (dx / s) * cos(ph) + (dy / s) * sin(ph) + sin(fr * r) * 0.3 // gradient + ripple
                case 7: return sin(fr * max(abs(dx), abs(dy)) + ph)      // nested squares
                case 8: return sin(fr * x * y / s + ph)                  // hyperbolic
                default: return sin(fr * r + ph) * sin(3 * t)            // petals
                }
            }
            c.noise(30, &rng)
            return (label, c.image())
        }
    }
}

/// One split of a built-in task; images are generated on demand (or all at once with `materialize`).
public struct BuiltinDataset: ImageDataset {
    public let task: BuiltinTask
    public let split: String
    public let seed: UInt64
    public let size: Int
    /// Pool indices of this split's samples.
    public let indices: [Int]
    private let labels: [Int]

    public var id: String { task.rawValue }
    public var numClasses: Int { task.numClasses }
    public var count: Int { indices.count }

    /// `split` ∈ train800 / val200 / train800val200 / test; `testCount` ≥ 1000 by default.
    public init(task: BuiltinTask, split: VTABSplit, seed: UInt64 = 0, size: Int = 32, testCount: Int = 1000) {
        self.task = task
        self.split = split.rawValue
        self.seed = seed
        self.size = size
        switch split {
        case .train800: indices = Array(0..<800)
        case .val200: indices = Array(800..<1000)
        case .train800val200: indices = Array(0..<1000)
        case .test: indices = Array(1000..<(1000 + testCount))
        }
        labels = indices.map { task.label(seed: seed, index: $0) }
    }

    /// An arbitrary range of the pool, e.g. a large pretraining set for `source_patterns`.
    public init(task: BuiltinTask, pool: Range<Int>, seed: UInt64 = 0, size: Int = 32) {
        self.task = task
        self.split = "pool[\(pool.lowerBound):\(pool.upperBound)]"
        self.seed = seed
        self.size = size
        indices = Array(pool)
        labels = indices.map { task.label(seed: seed, index: $0) }
    }

    public func label(_ i: Int) -> Int { labels[i] }

    public func image(_ i: Int) throws -> Image { task.sample(seed: seed, index: indices[i], size: size).1 }
}

// Drawing primitives for the built-in synthetic datasets: a float RGB canvas with shapes, noise, patterns.

import Foundation
import Random

/// Shapes the generators draw; inside-tests are in a unit frame (radius 1) after rotation.
enum ShapeKind: Int, CaseIterable {
    case circle, square, triangle, cross, ellipse, arrow

    @inline(__always)
    func contains(_ u: Float, _ v: Float) -> Bool {
        switch self {
        case .circle: return u * u + v * v <= 1
        case .square: return abs(u) <= 0.8 && abs(v) <= 0.8
        case .triangle:
            // Equilateral, apex at v = 1, base at v = −0.5 (half-width 0.866).
            return v >= -0.5 && v <= 1 && abs(u) <= (1 - v) * 0.577
        case .cross: return (abs(u) < 0.3 && abs(v) < 1) || (abs(v) < 0.3 && abs(u) < 1)
        case .ellipse: return u * u + (v * v) / 0.16 <= 1
        case .arrow:
            // Elongated isosceles triangle pointing along +u: asymmetric, so orientation is defined over 2π.
            return u >= -0.9 && u <= 1 && abs(v) <= 0.45 * (1 - u) / 1.9 + 0.02
        }
    }
}

/// An HWC float canvas (values 0…255) that is finally quantised to an `Image`.
struct Canvas {
    let size: Int
    var px: [Float]

    init(size: Int, fill: (Float, Float, Float)) {
        self.size = size
        px = [Float](repeating: 0, count: size * size * 3)
        for i in 0..<(size * size) { px[3 * i] = fill.0; px[3 * i + 1] = fill.1; px[3 * i + 2] = fill.2 }
    }

    /// Paints `kind` centred at (cx, cy) pixels, radius r pixels, rotated by `angle` radians.
    mutating func draw(_ kind: ShapeKind, cx: Float, cy: Float, r: Float, angle: Float, color: (Float, Float, Float)) {
        let ca = cos(angle), sa = sin(angle)
        let x0 = max(0, Int(cx - r - 1)), x1 = min(size - 1, Int(cx + r + 1))
        let y0 = max(0, Int(cy - r - 1)), y1 = min(size - 1, Int(cy + r + 1))
        if x0 > x1 || y0 > y1 { return }
        px.withUnsafeMutableBufferPointer { p in
            for y in y0...y1 {
                for x in x0...x1 {
                    let dx = (Float(x) + 0.5 - cx) / r, dy = (Float(y) + 0.5 - cy) / r
                    let u = ca * dx + sa * dy, v = -sa * dx + ca * dy
                    if kind.contains(u, v) {
                        let i = (y * size + x) * 3
                        p[i] = color.0; p[i + 1] = color.1; p[i + 2] = color.2
                    }
                }
            }
        }
    }

    /// Adds i.i.d. uniform noise in ±amp to every value.
    mutating func noise(_ amp: Float, _ rng: inout RandomStream) {
        px.withUnsafeMutableBufferPointer { p in
            for i in 0..<p.count { p[i] += amp * (2 * rng.uniform() - 1) }
        }
    }

    /// Sets every pixel from a scalar field f(x, y) in [−1, 1] mixed between two colours.
    mutating func field(_ a: (Float, Float, Float), _ b: (Float, Float, Float), _ f: (Float, Float) -> Float) {
        px.withUnsafeMutableBufferPointer { p in
            for y in 0..<size {
                for x in 0..<size {
                    let t = 0.5 + 0.5 * max(-1, min(1, f(Float(x), Float(y))))
                    let i = (y * size + x) * 3
                    p[i] = a.0 + (b.0 - a.0) * t; p[i + 1] = a.1 + (b.1 - a.1) * t; p[i + 2] = a.2 + (b.2 - a.2) * t
                }
            }
        }
    }

    func image() -> Image {
        Image(width: size, height: size, channels: 3, pixels: px.map { UInt8(max(0, min(255, $0.rounded()))) })
    }
}

/// A random saturated colour (HSV with full value) from the stream.
func randomColor(_ rng: inout RandomStream, hue: Float? = nil) -> (Float, Float, Float) {
    hsv(hue ?? rng.uniform(), 0.6 + 0.4 * rng.uniform(), 0.7 + 0.3 * rng.uniform())
}

/// HSV (all in [0, 1]) to RGB in 0…255.
func hsv(_ h: Float, _ s: Float, _ v: Float) -> (Float, Float, Float) {
    let hh = (h - h.rounded(.down)) * 6
    let i = Int(hh) % 6, f = hh - Float(Int(hh))
    let p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f))
    let (r, g, b): (Float, Float, Float)
    switch i {
    case 0: (r, g, b) = (v, t, p)
    case 1: (r, g, b) = (q, v, p)
    case 2: (r, g, b) = (p, v, t)
    case 3: (r, g, b) = (p, q, v)
    case 4: (r, g, b) = (t, p, v)
    default: (r, g, b) = (v, p, q)
    }
    return (255 * r, 255 * g, 255 * b)
}

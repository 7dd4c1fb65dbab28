import XCTest
@testable import Engine
import Random

/// Max-pool against a naive reference: values, and where the gradient goes (the first maximum of each window in
/// row-major order, the last NaN if any), for windows clipped by padding on every side.
final class PoolTests: XCTestCase {
    func reference(_ x: [Float], b: Int, c: Int, h: Int, w: Int, k: (Int, Int), s: (Int, Int), p: (Int, Int)) -> (y: [Float], arg: [Int]) {
        let ho = (h + 2 * p.0 - k.0) / s.0 + 1, wo = (w + 2 * p.1 - k.1) / s.1 + 1
        var y: [Float] = [], arg: [Int] = []
        for plane in 0..<(b * c) { for oy in 0..<ho { for ox in 0..<wo {
            var best = -Float.infinity, bi = -1
            for i in 0..<k.0 { for j in 0..<k.1 {
                let iy = oy * s.0 - p.0 + i, ix = ox * s.1 - p.1 + j
                guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                let v = x[plane * h * w + iy * w + ix]
                if bi < 0 || v > best || v.isNaN { best = v; bi = plane * h * w + iy * w + ix }
            } }
            y.append(best); arg.append(bi)
        } } }
        return (y, arg)
    }

    func testMatchesReferenceWithTiesAndNaN() {
        Threads.set(2)
        defer { Threads.set(1) }
        var r = RandomStream(9)
        for (shape, k, s, p) in [([2, 3, 9, 11], (3, 3), (2, 2), (1, 1)), ([1, 2, 8, 8], (2, 2), (2, 2), (0, 0)),
                                 ([2, 2, 7, 10], (3, 2), (1, 2), (1, 1)), ([1, 1, 12, 5], (5, 3), (3, 1), (2, 1)),
                                 // Rows wide enough for stride 2's 8-output vector path (ResNet's stem pool), and its tail.
                                 ([2, 3, 14, 45], (3, 3), (2, 2), (1, 1)), ([1, 2, 6, 40], (2, 2), (2, 2), (0, 0))] {
            // Few distinct values (ties in most windows) and NaNs.
            var v = (0..<shape.reduce(1, *)).map { _ in Float(r.int(below: 4)) }
            for i in Swift.stride(from: 7, to: v.count, by: 97) { v[i] = .nan }
            let x = Tensor(v, shape: shape).requiringGrad()
            let y = x.maxPool2d(kernel: k, stride: s, padding: p)
            let ref = reference(v, b: shape[0], c: shape[1], h: shape[2], w: shape[3], k: k, s: s, p: p)
            XCTAssertEqual(y.count, ref.y.count)
            for (a, e) in zip(y.scalars, ref.y) { XCTAssertTrue(a == e || (a.isNaN && e.isNaN), "\(shape) \(k): \(a) vs \(e)") }
            let g = (0..<y.count).map { _ in r.uniform(-1, 1) }
            (y * Tensor(g, shape: y.shape)).sum().backward()
            var dx = [Float](repeating: 0, count: v.count)
            for (o, i) in ref.arg.enumerated() { dx[i] += g[o] }
            XCTAssertEqual(x.grad!.scalars, dx, "\(shape) \(k) \(s) \(p)")
        }
    }
}

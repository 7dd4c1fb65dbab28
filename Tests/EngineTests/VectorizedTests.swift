import XCTest
import Foundation
@testable import Engine

/// The vectorisable exp and dot used by GELU's backward and attention's backward, and attention's softmax.
final class VectorizedTests: XCTestCase {
    func testFastExpIsWithinTwoUlpOfLibm() {
        var worst: Float = 0
        var x: Float = -87
        while x < 88 {
            let e = Foundation.exp(x), f = fastExp(x)
            worst = max(worst, abs(f - e) / e.ulp)
            x += 0.0137
        }
        print("fastExp worst error: \(worst) ulp")
        XCTAssertLessThanOrEqual(worst, 2)
        XCTAssertEqual(fastExp(0), 1)
        XCTAssertEqual(fastExp(-.infinity), 0, "masked scores give exactly zero probability")
        XCTAssertEqual(fastExp(-100), 0)
        XCTAssertEqual(fastExp(.infinity), .infinity)
        XCTAssertTrue(fastExp(.nan).isNaN)
    }

    func testDotMatchesNaiveSum() {
        for n in [0, 1, 15, 16, 17, 197, 207] {
            let a = (0..<n).map { Float(sin(Double($0) * 0.37)) }, b = (0..<n).map { Float(cos(Double($0) * 0.11)) }
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    XCTAssertEqual(vectorDot(pa.baseAddress!, pb.baseAddress!, n), zip(a, b).map(*).reduce(0, +), accuracy: 1e-4, "dot n=\(n)")
                }
            }
        }
    }

    /// Attention's softmax rows sum to one and equal a plain libm softmax; masked (−inf) keys get exactly zero.
    func testAttentionSoftmaxRows() {
        var x: [Float] = (0..<(3 * 207)).map { Float(sin(Double($0))) * 8 }
        x[5] = -.infinity
        let ref = (0..<3).flatMap { i -> [Float] in
            let row = x[(i * 207)..<((i + 1) * 207)], m = row.max()!
            let e = row.map { Foundation.exp($0 - m) }, s = e.reduce(0, +)
            return e.map { $0 / s }
        }
        x.withUnsafeMutableBufferPointer { Tensor.softmaxRowsSerial($0.baseAddress!, 3, 207) }
        for i in 0..<x.count { XCTAssertEqual(x[i], ref[i], accuracy: 1e-6) }
        XCTAssertEqual(x[5], 0)
        for i in 0..<3 { XCTAssertEqual(x[(i * 207)..<((i + 1) * 207)].reduce(0, +), 1, accuracy: 1e-5) }
    }

    /// Every lane of `fastExp8` is `fastExp` of that lane, bit for bit, across the range, the clamps, ±inf and NaN.
    func testFastExp8LanesEqualScalar() {
        var x: Float = -95
        while x < 95 {
            let v = SIMD8<Float>((0..<8).map { x + Float($0) * 0.0071 })
            let e = fastExp8(v)
            for l in 0..<8 { XCTAssertEqual(e[l].bitPattern, fastExp(v[l]).bitPattern, "lane \(l) of x = \(v[l])") }
            x += 0.0577
        }
        let special = SIMD8<Float>(-.infinity, .infinity, .nan, 0, -87.33654, 88.72283, -200, 200)
        let e = fastExp8(special)
        XCTAssertEqual(e[0], 0); XCTAssertEqual(e[1], .infinity); XCTAssertTrue(e[2].isNaN); XCTAssertEqual(e[3], 1)
        XCTAssertEqual(e[6], 0); XCTAssertEqual(e[7], .infinity)
        for l in [4, 5] { XCTAssertEqual(e[l].bitPattern, fastExp(special[l]).bitPattern) }
    }

    /// Softmax rows of every length around the 8-lane width, including a fully masked row (all zeros).
    func testSoftmaxRowLengthsAndMaskedRow() {
        for n in [1, 2, 7, 8, 9, 15, 16, 17, 64, 197, 207] {
            var x: [Float] = (0..<n).map { Float(sin(Double($0) * 1.7)) * 6 }
            if n > 3 { x[2] = -.infinity }
            let m = x.max()!, e = x.map { Foundation.exp($0 - m) }, s = e.reduce(0, +)
            x.withUnsafeMutableBufferPointer { softmaxRowInPlace($0.baseAddress!, n) }
            for j in 0..<n { XCTAssertEqual(x[j], e[j] / s, accuracy: 1e-6, "n=\(n) j=\(j)") }
            if n > 3 { XCTAssertEqual(x[2], 0) }
        }
        var masked = [Float](repeating: -.infinity, count: 13)
        masked.withUnsafeMutableBufferPointer { softmaxRowInPlace($0.baseAddress!, 13) }
        XCTAssertEqual(masked, [Float](repeating: 0, count: 13))
    }

    /// LayerNorm's row sums (16 lanes, then the tail) against double-precision sums.
    func testRowSumsMatchDoublePrecision() {
        for n in [0, 1, 15, 16, 17, 768, 771] {
            let x = (0..<n).map { Float(sin(Double($0) * 0.31)) + 0.5 }, g = (0..<n).map { Float(cos(Double($0) * 0.13)) }
            let w = (0..<n).map { 1 + Float($0 % 5) * 0.1 }
            let mean = n == 0 ? 0 : x.reduce(0, +) / Float(n), rstd: Float = 1.7
            var ref1 = 0.0, ref2 = 0.0, refS = 0.0, refD = 0.0
            for j in 0..<n {
                refS += Double(x[j]); refD += Double(x[j] - mean) * Double(x[j] - mean)
                let gh = Double(g[j]) * Double(w[j]); ref1 += gh; ref2 += gh * Double((x[j] - mean) * rstd)
            }
            x.withUnsafeBufferPointer { px in
                g.withUnsafeBufferPointer { pg in
                    w.withUnsafeBufferPointer { pw in
                        let xp = px.baseAddress ?? UnsafePointer(bitPattern: 64)!, gp = pg.baseAddress ?? xp, wp = pw.baseAddress ?? xp
                        XCTAssertEqual(Double(vectorSum(xp, n)), refS, accuracy: 1e-4, "sum n=\(n)")
                        XCTAssertEqual(Double(vectorSumOfSquaredDeviations(xp, n, from: mean)), refD, accuracy: 1e-4, "ssd n=\(n)")
                        let (s1, s2) = layerNormBackwardSums(gp, wp, xp, n, mean: mean, rstd: rstd)
                        XCTAssertEqual(Double(s1), ref1, accuracy: 1e-4, "Σĝ n=\(n)")
                        XCTAssertEqual(Double(s2), ref2, accuracy: 1e-3, "Σĝx̂ n=\(n)")
                        let (u1, _) = layerNormBackwardSums(gp, nil, xp, n, mean: mean, rstd: rstd)
                        XCTAssertEqual(Double(u1), g.reduce(0.0) { $0 + Double($1) }, accuracy: 1e-4, "Σg n=\(n)")
                    }
                }
            }
        }
    }
}

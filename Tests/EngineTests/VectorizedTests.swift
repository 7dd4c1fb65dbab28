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
}

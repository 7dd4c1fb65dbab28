import XCTest
@testable import Engine
import Random

/// Finite-difference gradient check. The loss is L = Σ f(inputs) ⊙ R for a fixed random R, accumulated
/// in Float64; the numeric derivative is the central difference (L(x+h) − L(x−h)) / 2h.
func checkGradients(
    _ inputs: [Tensor], h: Float = 1e-2, tolerance: Float = 2e-2, samples: Int = 24,
    file: StaticString = #filePath, line: UInt = #line, _ f: ([Tensor]) -> Tensor
) {
    for x in inputs { x.requiringGrad() ; x.grad = nil }
    let y0 = f(inputs)
    var rng = RandomStream(4242, UInt64(y0.count))
    let r = Tensor((0..<y0.count).map { _ in rng.normal() }, shape: y0.shape)
    (y0 * r).sum().backward()
    func loss() -> Double {
        withoutGrad {
            let y = f(inputs)
            var s = 0.0
            for i in 0..<y.count { s += Double(y.data[i]) * Double(r.data[i]) }
            return s
        }
    }
    for (xi, x) in inputs.enumerated() {
        guard let g = x.grad else { XCTFail("input \(xi) got no gradient", file: file, line: line); continue }
        XCTAssertEqual(g.shape.elementCount, x.count, file: file, line: line)
        var pick = RandomStream(99, UInt64(xi))
        let idx = x.count <= samples ? Array(0..<x.count) : (0..<samples).map { _ in pick.int(below: x.count) }
        for i in idx {
            let old = x.data[i]
            x.data[i] = old + h; let lp = loss()
            x.data[i] = old - h; let lm = loss()
            x.data[i] = old
            let numeric = Float((lp - lm) / Double(2 * h))
            let analytic = g.data[i]
            let scale = max(1, abs(numeric), abs(analytic))
            if abs(numeric - analytic) > tolerance * scale {
                XCTFail("input \(xi) element \(i): analytic \(analytic) vs numeric \(numeric)", file: file, line: line)
                return
            }
        }
    }
}

/// A random tensor with values in [lo, hi), from a stream named by `seed`.
func randomTensor(_ shape: [Int], seed: UInt64, _ lo: Float = -1, _ hi: Float = 1) -> Tensor {
    var r = RandomStream(seed)
    return Tensor((0..<shape.reduce(1, *)).map { _ in r.uniform(lo, hi) }, shape: shape)
}

// Softmax and log-softmax over the last axis. x [..., D].
import Foundation

extension Tensor {
    /// Row softmax, stable (max subtracted).
    public func softmax() -> Tensor {
        let d = shape.last!, rowsN = count / d
        let out = Tensor(uninitialized: shape)
        Tensor.softmaxRows(data, out.data, rowsN, d)
        let ys = out.storage, outShape = shape  // no reference from the node back to its output
        return out.record("softmax", [self]) { g in
            // dx = y ⊙ (g − Σ g⊙y)
            let dx = Tensor(uninitialized: outShape)
            let y = ys.ptr, gd = g.data, r = dx.data
            parallelFor(rowsN, grain: Swift.max(1, 8192 / d)) { s, e in
                for i in s..<e {
                    let yb = y + i * d, gb = gd + i * d, rb = r + i * d
                    var dot: Float = 0
                    for j in 0..<d { dot += gb[j] * yb[j] }
                    for j in 0..<d { rb[j] = yb[j] * (gb[j] - dot) }
                }
            }
            return [dx]
        }
    }

    static func softmaxRows(_ x: UnsafeMutablePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ rowsN: Int, _ d: Int) {
        parallelFor(rowsN, grain: Swift.max(1, 8192 / d)) { s, e in
            for i in s..<e {
                let xb = x + i * d, yb = y + i * d
                var m = -Float.infinity
                for j in 0..<d { m = Swift.max(m, xb[j]) }
                if m == -.infinity { for j in 0..<d { yb[j] = 0 }; continue }  // fully masked row
                var sum: Float = 0
                for j in 0..<d { let v = Foundation.exp(xb[j] - m); yb[j] = v; sum += v }
                let inv = 1 / sum
                for j in 0..<d { yb[j] *= inv }
            }
        }
    }

    /// Row log-softmax, stable.
    public func logSoftmax() -> Tensor {
        let d = shape.last!, rowsN = count / d
        let out = Tensor(uninitialized: shape)
        let x = data, y = out.data
        parallelFor(rowsN, grain: Swift.max(1, 8192 / d)) { s, e in
            for i in s..<e {
                let xb = x + i * d, yb = y + i * d
                var m = -Float.infinity
                for j in 0..<d { m = Swift.max(m, xb[j]) }
                var sum: Float = 0
                for j in 0..<d { sum += Foundation.exp(xb[j] - m) }
                let lse = m + Foundation.log(sum)
                for j in 0..<d { yb[j] = xb[j] - lse }
            }
        }
        let ys = out.storage, outShape = shape
        return out.record("logSoftmax", [self]) { g in
            // dx = g − softmax(x) · Σ g
            let dx = Tensor(uninitialized: outShape)
            let yv = ys.ptr, gd = g.data, r = dx.data
            parallelFor(rowsN, grain: Swift.max(1, 8192 / d)) { s, e in
                for i in s..<e {
                    var gs: Float = 0
                    for j in 0..<d { gs += gd[i * d + j] }
                    for j in 0..<d { r[i * d + j] = gd[i * d + j] - Foundation.exp(yv[i * d + j]) * gs }
                }
            }
            return [dx]
        }
    }
}

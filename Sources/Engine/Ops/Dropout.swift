// Dropout and drop-path (stochastic depth). Masks come from an explicit RandomStream.
import Foundation
import Random

extension Tensor {
    /// Inverted dropout: zero with probability p, scale kept values by 1/(1−p). Identity when p = 0.
    public func dropout(_ p: Float, rng: inout RandomStream) -> Tensor {
        if p <= 0 { return self }
        precondition(p < 1, "dropout p must be < 1")
        let mask = Tensor(uninitialized: shape)
        let scale = 1 / (1 - p)
        let m = mask.data
        for i in 0..<count { m[i] = rng.uniform() < p ? 0 : scale }
        return self * mask
    }

    /// Drop-path: per sample (axis 0), zero the whole residual branch with probability p, scale by 1/(1−p)
    /// (timm's `drop_path` with `scale_by_keep=True`).
    public func dropPath(_ p: Float, rng: inout RandomStream) -> Tensor {
        if p <= 0 { return self }
        let b = shape[0]
        var ms = [Int](repeating: 1, count: rank); ms[0] = b
        let mask = Tensor(uninitialized: ms)
        for i in 0..<b { mask.data[i] = rng.uniform() < p ? 0 : 1 / (1 - p) }
        return self * mask
    }
}

// Initialisers the methods need, all drawing from an explicit RandomStream.
import Foundation
import Random

public enum Init {
    public static func uniform(_ shape: [Int], _ lo: Float, _ hi: Float, rng: inout RandomStream) -> Tensor {
        let t = Tensor(uninitialized: shape)
        for i in 0..<t.count { t.data[i] = rng.uniform(lo, hi) }
        return t
    }

    public static func normal(_ shape: [Int], mean: Float = 0, std: Float, rng: inout RandomStream) -> Tensor {
        let t = Tensor(uninitialized: shape)
        for i in 0..<t.count { t.data[i] = mean + std * rng.normal() }
        return t
    }

    /// timm's trunc_normal_(std, a=-2, b=2): normal(mean, std) redrawn outside the absolute bounds [a, b].
    public static func truncatedNormal(_ shape: [Int], mean: Float = 0, std: Float = 0.02, a: Float = -2, b: Float = 2, rng: inout RandomStream) -> Tensor {
        let t = Tensor(uninitialized: shape)
        for i in 0..<t.count {
            var v: Float
            repeat { v = mean + std * rng.normal() } while v < a || v > b
            t.data[i] = v
        }
        return t
    }

    /// fan_in / fan_out as PyTorch computes them for Linear [O, I] and Conv [O, I, kh, kw].
    public static func fans(_ shape: [Int]) -> (fanIn: Int, fanOut: Int) {
        precondition(shape.count >= 2, "fans need at least 2 axes")
        let receptive = shape.dropFirst(2).reduce(1, *)
        return (shape[1] * receptive, shape[0] * receptive)
    }

    /// xavier_uniform_: U(−a, a), a = gain·√(6 / (fan_in + fan_out)).
    public static func xavierUniform(_ shape: [Int], gain: Float = 1, rng: inout RandomStream) -> Tensor {
        let (fi, fo) = fans(shape)
        let a = gain * (6 / Float(fi + fo)).squareRoot()
        return uniform(shape, -a, a, rng: &rng)
    }

    /// kaiming_normal_(a=0, mode): N(0, √2/√fan) with fan = fan_in or fan_out.
    public static func kaimingNormal(_ shape: [Int], fanOut: Bool = false, rng: inout RandomStream) -> Tensor {
        let (fi, fo) = fans(shape)
        return normal(shape, std: (2 / Float(fanOut ? fo : fi)).squareRoot(), rng: &rng)
    }

    /// kaiming_uniform_(a=√5): nn.Linear / nn.Conv2d default weight init, bound = 1/√fan_in.
    public static func kaimingUniformDefault(_ shape: [Int], rng: inout RandomStream) -> Tensor {
        let (fi, _) = fans(shape)
        let bound = 1 / Float(fi).squareRoot()
        return uniform(shape, -bound, bound, rng: &rng)
    }
}

// Small layer objects holding named Parameters (names follow PyTorch state-dict keys under a prefix).
import Foundation
import Random

/// Anything that owns parameters, listed in state-dict order.
public protocol ParameterContainer: AnyObject {
    var parameters: [Parameter] { get }
}

/// nn.Linear: weight [O, I], bias [O]; PyTorch's default init (kaiming-uniform(√5) weight, U(±1/√I) bias).
public final class Linear: ParameterContainer {
    public let weight: Parameter
    public let bias: Parameter?

    public init(_ prefix: String, _ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, rng: inout RandomStream) {
        weight = Parameter(prefix + ".weight", Init.kaimingUniformDefault([outFeatures, inFeatures], rng: &rng))
        let bound = 1 / Float(inFeatures).squareRoot()
        self.bias = bias ? Parameter(prefix + ".bias", Init.uniform([outFeatures], -bound, bound, rng: &rng)) : nil
    }

    public init(weight: Parameter, bias: Parameter?) { self.weight = weight; self.bias = bias }

    public func callAsFunction(_ x: Tensor) -> Tensor { Tensor.linear(x, weight.value, bias?.value) }
    public var parameters: [Parameter] { [weight] + (bias.map { [$0] } ?? []) }
}

/// nn.LayerNorm over the last axis: weight 1, bias 0 at init.
public final class LayerNorm: ParameterContainer {
    public let weight: Parameter
    public let bias: Parameter
    public let eps: Float

    public init(_ prefix: String, _ dim: Int, eps: Float = 1e-5) {
        weight = Parameter(prefix + ".weight", Tensor(repeating: 1, shape: [dim]))
        bias = Parameter(prefix + ".bias", Tensor(zeros: [dim]))
        self.eps = eps
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { x.layerNorm(weight: weight.value, bias: bias.value, eps: eps) }
    public var parameters: [Parameter] { [weight, bias] }
}

/// nn.Conv2d with PyTorch's default init.
public final class Conv2d: ParameterContainer {
    public let weight: Parameter
    public let bias: Parameter?
    public let stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int), groups: Int

    public init(_ prefix: String, _ inC: Int, _ outC: Int, kernel: (Int, Int), stride: (Int, Int) = (1, 1),
                padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1), groups: Int = 1, bias: Bool = true,
                rng: inout RandomStream) {
        let shape = [outC, inC / groups, kernel.0, kernel.1]
        weight = Parameter(prefix + ".weight", Init.kaimingUniformDefault(shape, rng: &rng))
        let bound = 1 / Float(inC / groups * kernel.0 * kernel.1).squareRoot()
        self.bias = bias ? Parameter(prefix + ".bias", Init.uniform([outC], -bound, bound, rng: &rng)) : nil
        self.stride = stride; self.padding = padding; self.dilation = dilation; self.groups = groups
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        x.conv2d(weight: weight.value, bias: bias?.value, stride: stride, padding: padding, dilation: dilation, groups: groups)
    }
    public var parameters: [Parameter] { [weight] + (bias.map { [$0] } ?? []) }
}

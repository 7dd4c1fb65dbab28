// The classification head of KMnP/vpt (`src/models/mlp.py` with MLP_NUM = 0): one Linear, weight
// kaiming_normal_(mode='fan_out'), bias −log((1 − 0.01) / 0.01) = −4.59512 (the focal-loss prior,
// `special_bias=True` in `src/models/vit_models.py`). Shared by VPT, E2VPT and the VPT-paper baselines.
import Engine
import Foundation
import Random

/// `head.last_layer` of KMnP/vpt.
public final class ClassifierHead: ParameterContainer {
    public let layer: Linear

    public init(inFeatures: Int, classes: Int, rng: inout RandomStream, name: String = "head.last_layer") {
        let w = Parameter(name + ".weight", Init.kaimingNormal([classes, inFeatures], fanOut: true, rng: &rng), trainable: true)
        let b = Parameter(name + ".bias", Tensor(repeating: -Float(Foundation.log((1 - 0.01) / 0.01)), shape: [classes]), trainable: true)
        layer = Linear(weight: w, bias: b)
    }

    public var parameters: [Parameter] { layer.parameters }
    public func callAsFunction(_ x: Tensor) -> Tensor { layer(x) }
}

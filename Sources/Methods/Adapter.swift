// Adapter baseline of the VPT paper (Pfeiffer style), KMnP/vpt `src/models/vit_adapter/vit.py` (`ADPT_Block`):
//   h = x + Attn(LN1(x));  m = MLP(LN2(h));  m = m + up(GELU(down(m)));  out = h + m
// down: D → D / REDUCATION_FACTOR, up: back to D, both weights AND biases zero-initialised (`nn.init.zeros_`).
// Only `adapter` tensors and the head train (`vit_models.py`, TRANSFER_TYPE "adapter").
// NOTE: with both projections zero at init, gelu(down(m)) = 0, so neither weight receives a gradient and only
// `adapter_upsample.bias` learns: the official baseline is effectively a learned per-block bias. We reproduce it;
// the KMnP/vpt encoder also keeps its dropout active in this mode (no `train()` override), which our ViT (no
// dropout) does not model.
import Backbones
import Engine
import Foundation
import Random

/// Adapter options, with the official config names (`MODEL.ADAPTER.*`).
public struct AdapterConfig: Codable, Sendable, Equatable {
    public var REDUCATION_FACTOR: Int = 8
    public var STYLE: String = "Pfeiffer"
    static let known: Set<String> = ["REDUCATION_FACTOR", "STYLE"]

    enum CodingKeys: String, CodingKey { case REDUCATION_FACTOR, STYLE }
    public init() {}
    /// Missing keys take the official defaults (src/configs/config.py:79-81).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        REDUCATION_FACTOR = try c.decodeIfPresent(Int.self, forKey: .REDUCATION_FACTOR) ?? 8
        STYLE = try c.decodeIfPresent(String.self, forKey: .STYLE) ?? "Pfeiffer"
    }
}

/// The VPT paper's adapter baseline.
public final class Adapter: BackboneWithHead {
    public let config: AdapterConfig
    /// Per block: `enc.transformer.encoder.layer.{i}.adapter_downsample` and `…adapter_upsample` (weight, bias).
    public let down: [Linear]
    public let up: [Linear]

    public init(setup: MethodSetup) throws {
        let config = try setup.options.decode(AdapterConfig.self, method: "adapter", known: AdapterConfig.known)
        guard config.STYLE == "Pfeiffer" else { throw MethodError("adapter: only STYLE Pfeiffer exists in KMnP/vpt, found \(config.STYLE)") }
        guard let c = setup.backbone.vit?.config else { throw MethodError("adapter needs a ViT backbone") }
        guard config.REDUCATION_FACTOR > 0, c.dim % config.REDUCATION_FACTOR == 0 else {
            throw MethodError("adapter: REDUCATION_FACTOR \(config.REDUCATION_FACTOR) must divide the width \(c.dim)")
        }
        self.config = config
        let r = c.dim / config.REDUCATION_FACTOR
        func zeros(_ name: String, _ shape: [Int]) -> Parameter { Parameter(name, Tensor(zeros: shape), trainable: true) }
        down = (0..<c.depth).map { i in
            let p = "enc.transformer.encoder.layer.\(i).adapter_downsample"
            return Linear(weight: zeros(p + ".weight", [r, c.dim]), bias: zeros(p + ".bias", [r]))
        }
        up = (0..<c.depth).map { i in
            let p = "enc.transformer.encoder.layer.\(i).adapter_upsample"
            return Linear(weight: zeros(p + ".weight", [c.dim, r]), bias: zeros(p + ".bias", [c.dim]))
        }
        try super.init(id: "adapter", setup: setup) { _ in false }
    }

    public override var parameters: [Parameter] {
        vit.parameters + zip(down, up).flatMap { $0.parameters + $1.parameters } + head.parameters
    }

    public override func role(of p: Parameter) -> ParameterRole {
        p.name.contains("adapter") ? .other : super.role(of: p)
    }

    public override func logits(_ images: Tensor, context: inout ForwardContext) -> Tensor {
        var hooks = ViTHooks()
        hooks.mlpOutput = { [self] i, m in m + up[i](down[i](m).gelu()) }
        return head(vit.features(images, hooks: hooks, context: &context))
    }
}

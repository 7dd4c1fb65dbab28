// SSF — Scaling & Shifting your Features (Lian et al., NeurIPS 2022), dongzelian/SSF @ e94e0e7,
// models/vision_transformer.py (`tuning_mode='ssf'`). After every operation of the frozen ViT a per-channel affine
// y = x · γ + β is inserted (ssf_ada, :388-395), γ ~ N(1, 0.02), β ~ N(0, 0.02) (init_ssf_scale_shift, :378-385):
//   patch_embed.ssf_*_1       after the patch projection (flattened to tokens; before CLS and position embedding) :366-367
//   blocks.i.ssf_*_1          after norm1 (the attention input)                     :253-254
//   blocks.i.attn.ssf_*_1     after qkv (width 3D)                                  :198-199
//   blocks.i.attn.ssf_*_2     after proj                                            :210-211
//   blocks.i.ssf_*_2          after norm2 (the MLP input)                           :255
//   blocks.i.mlp.ssf_*_1      after fc1 (width mlpDim), before GELU                 :159-160
//   blocks.i.mlp.ssf_*_2      after fc2                                             :165-166
//   ssf_*_1                   after the final norm                                  :532-533
// Only `ssf_scale*`, `ssf_shift_*` and `head.*` train (optim_factory.py:303-310). The head is timm's nn.Linear
// `head`, trunc_normal(std 0.02) weight and zero bias (init_weights_vit_timm, :421-426; the 21k head is dropped
// when num_classes differs). AdamW groups: no weight decay on 1-D tensors and biases (optim_factory.py:39-56:
// every SSF factor and head.bias), decay on head.weight.
// Drop path: timm Block, DropPath on both residual branches, rate linspace(0, drop_path, depth)[i] (:325-336),
// training only (`--drop-path`, train.py:268).
import Backbones
import Engine
import Foundation
import Random

/// SSF options.
public struct SSFConfig: Codable, Sendable, Equatable {
    /// Stochastic depth of the frozen blocks (`--drop-path`, train.py:268; the train scripts set 0, 0.1 or 0.2).
    public var drop_path: Double = 0
    static let known: Set<String> = ["drop_path"]
    enum CodingKeys: String, CodingKey { case drop_path }
    public init() {}
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        drop_path = try c.decodeIfPresent(Double.self, forKey: .drop_path) ?? 0
    }
}

/// One scale/shift pair (`<prefix>ssf_scale_<k>`, `<prefix>ssf_shift_<k>`).
struct ScaleShift {
    let scale: Parameter, shift: Parameter

    init(_ prefix: String, _ k: Int, width: Int, rng: inout RandomStream) {
        scale = Parameter(prefix + "ssf_scale_\(k)", Init.normal([width], mean: 1, std: 0.02, rng: &rng), trainable: true)
        shift = Parameter(prefix + "ssf_shift_\(k)", Init.normal([width], mean: 0, std: 0.02, rng: &rng), trainable: true)
    }

    var parameters: [Parameter] { [scale, shift] }
    /// x · γ + β over the last axis.
    func callAsFunction(_ x: Tensor) -> Tensor { x * scale.value + shift.value }
}

/// The SSF factors of one block, in official registration order.
struct SSFBlock {
    let attnQKV: ScaleShift, attnProj: ScaleShift, mlpFC1: ScaleShift, mlpFC2: ScaleShift, norm1: ScaleShift, norm2: ScaleShift

    init(_ i: Int, dim: Int, mlpDim: Int, rng: inout RandomStream) {
        let p = "blocks.\(i)."
        attnQKV = ScaleShift(p + "attn.", 1, width: 3 * dim, rng: &rng)
        attnProj = ScaleShift(p + "attn.", 2, width: dim, rng: &rng)
        mlpFC1 = ScaleShift(p + "mlp.", 1, width: mlpDim, rng: &rng)
        mlpFC2 = ScaleShift(p + "mlp.", 2, width: dim, rng: &rng)
        norm1 = ScaleShift(p, 1, width: dim, rng: &rng)
        norm2 = ScaleShift(p, 2, width: dim, rng: &rng)
    }

    var parameters: [Parameter] {
        attnQKV.parameters + attnProj.parameters + mlpFC1.parameters + mlpFC2.parameters + norm1.parameters + norm2.parameters
    }
}

/// SSF on a ViT.
public final class SSF: PromptMethod {
    public let id = "ssf"
    public let config: SSFConfig
    public let vit: ViT
    let patch: ScaleShift
    let blocks: [SSFBlock]
    let finalNorm: ScaleShift
    let head: Linear

    public init(setup: MethodSetup) throws {
        let config = try setup.options.decode(SSFConfig.self, method: "ssf", known: SSFConfig.known)
        guard let vit = setup.backbone.vit else { throw MethodError("ssf needs a ViT backbone") }
        guard (0..<1).contains(config.drop_path) else { throw MethodError("ssf: drop_path must be in [0, 1), found \(config.drop_path)") }
        self.config = config
        self.vit = vit
        for p in vit.parameters { p.trainable = false }
        let c = vit.config
        var rng = setup.rng
        patch = ScaleShift("patch_embed.", 1, width: c.dim, rng: &rng)
        finalNorm = ScaleShift("", 1, width: c.dim, rng: &rng)
        blocks = (0..<c.depth).map { SSFBlock($0, dim: c.dim, mlpDim: c.mlpDim, rng: &rng) }
        head = Linear(weight: Parameter("head.weight", Init.truncatedNormal([setup.numClasses, c.dim], std: 0.02, rng: &rng), trainable: true),
                      bias: Parameter("head.bias", Tensor(zeros: [setup.numClasses]), trainable: true))
    }

    /// Backbone, then the SSF factors (official names; the order is ours), then the head.
    public var parameters: [Parameter] {
        vit.parameters + patch.parameters + finalNorm.parameters + blocks.flatMap(\.parameters) + head.parameters
    }

    /// Features [B, D]: CLS token after the final norm and its scale/shift.
    public func features(_ images: Tensor, context: inout ForwardContext) -> Tensor {
        let b = images.shape[0]
        let p = vit.patchEmbed(images)  // [B, D, g, g]
        let d = p.shape[1], n = p.shape[2] * p.shape[3]
        precondition(n + 1 == vit.posEmbed.shape[1], "input \(images.shape) gives \(n) patches; position embedding has \(vit.posEmbed.shape[1] - 1)")
        let tokens = patch(p.reshaped([b, d, n]).transposed(1, 2))
        var t = Tensor.concat([vit.clsToken.value.expand([b, 1, d]), tokens], axis: 1) + vit.posEmbed.value
        let depth = vit.blocks.count
        for (i, blk) in vit.blocks.enumerated() {
            let s = blocks[i]
            let rate = Float(depth > 1 ? config.drop_path * Double(i) / Double(depth - 1) : 0)
            let dp = context.training && rate > 0
            let qkv = s.attnQKV(blk.qkv(s.norm1(blk.norm1(t))))
            var a = s.attnProj(blk.proj(Tensor.packedAttention(qkv, heads: blk.heads)))
            if dp { a = a.dropPath(rate, rng: &context.rng) }
            t = t + a
            var m = s.mlpFC2(blk.fc2(s.mlpFC1(blk.fc1(s.norm2(blk.norm2(t)))).gelu()))
            if dp { m = m.dropPath(rate, rng: &context.rng) }
            t = t + m
        }
        let out = finalNorm(vit.norm(t))
        return out.slice(axis: 1, 0, 1).reshaped([b, d])
    }

    public func logits(_ images: Tensor, context: inout ForwardContext) -> Tensor {
        head(features(images, context: &context))
    }

    /// optim_factory.py:39-56 `param_groups_weight_decay`: 1-D tensors and biases without decay, the rest with it.
    public func parameterGroups(lr: Float, weightDecay: Float) -> [ParamGroup] {
        let noDecay = trainable.filter { $0.shape.count <= 1 || $0.name.hasSuffix(".bias") }
        let decay = trainable.filter { !($0.shape.count <= 1 || $0.name.hasSuffix(".bias")) }
        return [ParamGroup("no_decay", params: noDecay, lr: lr, weightDecay: 0), ParamGroup("decay", params: decay, lr: lr, weightDecay: weightDecay)]
    }

    public func role(of p: Parameter) -> ParameterRole { p.name.hasPrefix("head.") ? .head : .other }

    public var officialBackbone: (naming: ViTNaming, prefix: String) { (.timm, "") }
    public var backboneViT: ViT? { vit }
}

// SA²VP on Swin (Pei et al., AAAI 2024), the repository's Swin version.
// Official code: tommy-xq/SA2VP @ 35674e7, model `vpt_main/src/models/vit_backbones/swin_transformer_tinypara.py`
// (built by `vpt_main/src/models/build_swin_backbone.py:305-390` as `swinb_imagenet22k_224`) and `Dual_model` in
// `vit_train_swin.py:44-70`; spec shared/design/methods/sa2vp.md ("Swin-B variant"). Training loop, loss,
// optimiser and schedule are the ViT version's (`vit_train_swin.py` imports the same `engine_for_train`,
// `optim_factory`, `utils`).
//
// Shapes: B batch, L_s = R_s² tokens of stage s (R_0 = 56 for Swin-B at 224), C_s width of stage s, d = inter-dim.
//   x = PatchEmbed(img)                                    [B, L_0, C_0]  conv + patch_embed.norm
//   p = patch_embed.norm(proj_ppt(deep_ppt))               [B, L_0, C_0]  the prompt map, one token per patch (:682-695)
//   every stage s, block j (both streams through the same frozen block, then both through PatchMerging):
//     s = 2 (the depth-18 stage of Swin-B, :595-600), j % 6 == 0:  f = Cross_j(kv: x, q: p); x = Blk(x); p = Blk(p); p += λ f
//     s = 2, otherwise:                                           f = Cross_j(kv: p, q: x); x = Blk(x); p = Blk(p); x += λ f
//     other stages:                                               x = Blk(x); p = Blk(p)                   (:602-631)
//   logits_img = class_head(mean(norm(x))), logits_prm = class_head(mean(norm(p)))        (:805-825)
//   loss = 0.8 CE(logits_img) + 0.2 CE(logits_prm) (engine_for_train.py:24-27); inference uses logits_img only.
// Cross_j(kv, q) = Mlp_small(LN_ffn(q + CA(LN'(kv), LN'(q)))), no residual after the MLP (:125-136), where LN' is a
// LayerNorm with eps 1e-6 holding block j's `norm1` weights (the block's own norm1 uses eps 1e-5) and CA uses block
// j's fused `attn.qkv` (q rows for the query stream, k/v rows for the other) and `attn.proj` with 16 heads and 3×3
// local windows on the stage-2 grid (every query is a patch; no CLS) (:31-112; copies made in build_swin_backbone.py:371-388).
import Backbones
import Engine
import Foundation
import Random

/// SA²VP-Swin options; the official code hard-codes these (README "Experiment steps" 5 names the lines to edit).
public struct SA2VPSwinConfig: Codable, Sendable, Equatable {
    /// d: `PatchEmbed.inter_dim` (:675) and `Mlp_small`'s hidden width (:169-170).
    public var inter_dim: Int = 8
    /// λ: `BasicLayer.add_scale` (:596), the "inter-weight".
    public var add_scale: Double = 0.5
    /// `CrossAttention(dropout=0.1)` (:32) and `Mlp_small`'s `Dropout(0.1)` (:172), active in training.
    public var dropout_rate: Double = 0.1
    /// Stochastic depth of the frozen Swin blocks, linear over all blocks (`drop_path_rate=0.2`,
    /// build_swin_backbone.py:312; SwinTransformer :762), active in training (the model is never put in eval()).
    public var drop_path_rate: Double = 0.2
    static let known: Set<String> = ["inter_dim", "add_scale", "dropout_rate", "drop_path_rate"]
    public init() {}
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        inter_dim = try c.decodeIfPresent(Int.self, forKey: .inter_dim) ?? inter_dim
        add_scale = try c.decodeIfPresent(Double.self, forKey: .add_scale) ?? add_scale
        dropout_rate = try c.decodeIfPresent(Double.self, forKey: .dropout_rate) ?? dropout_rate
        drop_path_rate = try c.decodeIfPresent(Double.self, forKey: .drop_path_rate) ?? drop_path_rate
    }
}

/// SA²VP on a Swin (official state-dict names under `vit_base.`, head `class_head`).
public final class SA2VPSwin: SA2VPTwoStreams {
    public let id = "sa2vp-swin"
    public let config: SA2VPSwinConfig
    public let swin: Swin
    /// `vit_base.patch_embed.deep_ppt` [1, L_0, d] and `.proj_ppt` d → C_0.
    public let deepPpt: Parameter
    public let projPpt: Linear
    /// `vit_base.layers.2.cross_attn.{j}.ffn_norm` and `.ffn.fc1/fc2` (C_2 → d → C_2), one per stage-2 block.
    public let ffnNorm: [LayerNorm]
    public let ffnFC1: [Linear], ffnFC2: [Linear]
    /// `class_head` [classes, C_last], shared by both streams (vit_train_swin.py:65-70).
    public let head: Linear
    /// Additive [L_2, L_2] mask of the 3×3 local cross-attention.
    let localMask: Tensor

    /// The stage holding the cross-attention blocks: the official code attaches them to the stage whose depth is
    /// 18 (`if self.depth==18`, :595, :611), stage 2 of Swin-B.
    public static let crossStage = 2
    /// `CrossAttention(heads=16, dim_head=32)` (:32): 16 heads whatever the width.
    public static let crossHeads = 16
    /// `i % 6 == 0` blocks fuse image → prompt (:612).
    public static let b2pEvery = 6
    static let prefix = "vit_base."

    public init(setup: MethodSetup) throws {
        let config = try setup.options.decode(SA2VPSwinConfig.self, method: "sa2vp-swin", known: SA2VPSwinConfig.known)
        guard let swin = setup.backbone.swin else { throw MethodError("sa2vp-swin needs a Swin backbone") }
        let c = swin.config
        guard config.inter_dim > 0 else { throw MethodError("sa2vp-swin: inter_dim must be positive") }
        guard c.stageCount > Self.crossStage, c.dim(Self.crossStage) % Self.crossHeads == 0 else {
            throw MethodError("sa2vp-swin: needs a stage \(Self.crossStage) whose width is a multiple of \(Self.crossHeads)")
        }
        self.config = config
        self.swin = swin
        for p in swin.parameters { p.trainable = false }
        let d = config.inter_dim, c0 = c.dim(0), c2 = c.dim(Self.crossStage), l0 = c.resolution(0) * c.resolution(0)
        var rng = setup.rng.child(7)
        let pre = Self.prefix
        // Official init: `SwinTransformer.__init__` ends with `self.apply(self._init_weights)` (:786), which re-draws
        // every nn.Linear built before it — proj_ppt and the Mlp_small fc1/fc2 too, overriding their xavier/N(0,1e-6)
        // inits (:176-180, :679-680) — as trunc_normal(0.02) weights and zero biases; deep_ppt keeps trunc_normal(0.02)
        // (:678); LayerNorms start at 1/0.
        func linear(_ name: String, _ i: Int, _ o: Int) -> Linear {
            Linear(weight: Parameter(name + ".weight", Init.truncatedNormal([o, i], std: 0.02, rng: &rng), trainable: true),
                   bias: Parameter(name + ".bias", Tensor(zeros: [o]), trainable: true))
        }
        deepPpt = Parameter(pre + "patch_embed.deep_ppt", Init.truncatedNormal([1, l0, d], std: 0.02, rng: &rng), trainable: true)
        projPpt = linear(pre + "patch_embed.proj_ppt", d, c0)
        var norms: [LayerNorm] = [], f1: [Linear] = [], f2: [Linear] = []
        for j in 0..<swin.blockCount(stage: Self.crossStage) {
            let b = pre + "layers.\(Self.crossStage).cross_attn.\(j)."
            let ln = LayerNorm(b + "ffn_norm", c2, eps: 1e-6)
            ln.weight.trainable = true; ln.bias.trainable = true
            norms.append(ln)
            f1.append(linear(b + "ffn.fc1", c2, d))
            f2.append(linear(b + "ffn.fc2", d, c2))
        }
        ffnNorm = norms; ffnFC1 = f1; ffnFC2 = f2
        // vit_train_swin.py:65-66: weight trunc_normal(0.02), bias nn.Linear's default U(±1/√C_last).
        let fd = c.featureDim, bound = 1 / Float(fd).squareRoot()
        head = Linear(weight: Parameter("class_head.weight", Init.truncatedNormal([setup.numClasses, fd], std: 0.02, rng: &rng), trainable: true),
                      bias: Parameter("class_head.bias", Init.uniform([setup.numClasses], -bound, bound, rng: &rng), trainable: true))
        localMask = Self.localWindowMask(grid: c.resolution(Self.crossStage))
    }

    /// The 3×3 windows of `CrossAttention.forward` (:70-104), generalised from the hard-coded 14×14 grid: query (r, c)
    /// sees keys (r+δr, c+δc), δ ∈ {−1, 0, 1}, inside the grid. Masked logits get −1e30 (softmax 0). [g², g²].
    public static func localWindowMask(grid g: Int) -> Tensor {
        let n = g * g
        let m = Tensor(repeating: -1e30, shape: [n, n])
        for r in 0..<g {
            for c in 0..<g {
                for dr in -1...1 {
                    for dc in -1...1 {
                        let rr = r + dr, cc = c + dc
                        guard rr >= 0, rr < g, cc >= 0, cc < g else { continue }
                        m.data[(r * g + c) * n + rr * g + cc] = 0
                    }
                }
            }
        }
        return m
    }

    var ownParameters: [Parameter] {
        [deepPpt] + projPpt.parameters
            + (0..<ffnNorm.count).flatMap { ffnNorm[$0].parameters + ffnFC1[$0].parameters + ffnFC2[$0].parameters }
    }

    public var parameters: [Parameter] { swin.parameters + ownParameters + head.parameters }

    /// The official model is never switched to eval() for training: drop path and every dropout run.
    public var backboneTrainMode: Bool { true }
    public var officialBackbone: (naming: ViTNaming, prefix: String) { (.timm, Self.prefix) }
    public var backboneViT: ViT? { nil }
    public var backboneSwin: (model: Swin, prefix: String)? { (swin, Self.prefix) }

    func drop(_ x: Tensor, _ context: inout ForwardContext) -> Tensor {
        guard context.training && config.dropout_rate > 0 else { return x }
        return x.dropout(Float(config.dropout_rate), rng: &context.rng)
    }

    /// Frozen Swin block with its stochastic depth (rate `k/(n−1) · drop_path_rate` for global block k, :762).
    func block(_ stage: Int, _ j: Int, _ x: Tensor, _ context: inout ForwardContext) -> Tensor {
        guard context.training && config.drop_path_rate > 0 else { return swin.block(stage: stage, j, x) }
        let depths = swin.config.depths, total = depths.reduce(0, +)
        let k = depths[..<stage].reduce(0, +) + j
        let rate = total > 1 ? Float(config.drop_path_rate) * Float(k) / Float(total - 1) : 0
        var rng = context.rng
        let y = swin.block(stage: stage, j, x) { $0.dropPath(rate, rng: &rng) }
        context.rng = rng
        return y
    }

    /// `Cross_Block.forward` (:125-136) with block j's frozen attention weights.
    func cross(_ j: Int, kv: Tensor, q: Tensor, _ context: inout ForwardContext) -> Tensor {
        let (norm1, qkv, proj, _) = swin.attentionWeights(stage: Self.crossStage, j)
        let b = q.shape[0], n = q.shape[1], dim = q.shape[2], heads = Self.crossHeads, dh = dim / heads
        let w = qkv.weight.value, bias = qkv.bias!.value
        func project(_ x: Tensor, _ part: Int) -> Tensor {
            Tensor.linear(x, w.rows(part * dim, (part + 1) * dim), bias.rows(part * dim, (part + 1) * dim))
                .reshaped([b, n, heads, dh]).transposed(1, 2)
        }
        // `attention_norm = LayerNorm(512, eps=1e-6)` (:119) filled with norm1's weights.
        let qn = q.layerNorm(weight: norm1.weight.value, bias: norm1.bias.value, eps: 1e-6)
        let kvn = kv.layerNorm(weight: norm1.weight.value, bias: norm1.bias.value, eps: 1e-6)
        let o = Tensor.attention(project(qn, 0), project(kvn, 1), project(kvn, 2), mask: localMask)  // scale dh^−½
        let a = drop(proj(o.transposed(1, 2).reshaped([b, n, dim])), &context)  // to_out + to_drop
        let x = ffnNorm[j](a + q)
        return drop(ffnFC2[j](drop(ffnFC1[j](x).gelu(), &context)), &context)  // Mlp_small (:182-188)
    }

    /// Pooled features of the image stream and of the prompt stream, [B, C_last] each.
    public func features(_ images: Tensor, context: inout ForwardContext) -> (image: Tensor, prompt: Tensor) {
        let b = images.shape[0]
        let lambda = Float(config.add_scale)
        var x = swin.patchEmbed(images)
        // proj_ppt(deep_ppt).expand(B) then patch_embed.norm (:690-694); normalising before the expand is the same.
        var p = swin.patchEmbedNorm(projPpt(deepPpt.value)).expand([b] + Array(x.shape.dropFirst()))
        for s in 0..<swin.config.stageCount {
            for j in 0..<swin.blockCount(stage: s) {
                if s == Self.crossStage {
                    if j % Self.b2pEvery == 0 {
                        let f = cross(j, kv: x, q: p, &context)
                        x = block(s, j, x, &context); p = block(s, j, p, &context)
                        p = p + f * lambda
                    } else {
                        let f = cross(j, kv: p, q: x, &context)
                        x = block(s, j, x, &context); p = block(s, j, p, &context)
                        x = x + f * lambda
                    }
                } else {
                    x = block(s, j, x, &context); p = block(s, j, p, &context)
                }
            }
            x = swin.downsample(stage: s, x); p = swin.downsample(stage: s, p)
        }
        return (swin.pool(x), swin.pool(p))
    }

    public func role(of p: Parameter) -> ParameterRole {
        if p.name.hasPrefix("class_head.") { return .head }
        if p.name.contains("_ppt") { return .prompt }
        return .other
    }

    /// Trainable count without the head from the config alone: L_0·d + (C_0·d + C_0) + n_2·(2C_2 + (C_2·d + d) + (d·C_2 + C_2));
    /// Swin-B (224, d = 8): 201,488.
    public static func trainableCount(_ c: SwinConfig, _ o: SA2VPSwinConfig) -> Int {
        let d = o.inter_dim, c0 = c.dim(0), c2 = c.dim(crossStage), l0 = c.resolution(0) * c.resolution(0)
        return l0 * d + (c0 * d + c0) + c.depths[crossStage] * (2 * c2 + (c2 * d + d) + (d * c2 + c2))
    }
}

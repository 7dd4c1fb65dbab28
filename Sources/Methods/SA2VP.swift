// SA²VP — Spatially Aligned-and-Adapted Visual Prompt (Pei et al., AAAI 2024), ViT version.
// Official code: tommy-xq/SA2VP @ 35674e7, model `vpt_main/src/models/vit_backbones/vit_tinypara.py` (the file
// `vit_train_sa2vp.py:37` imports) and `Dual_model` in `vit_train_sa2vp.py:44-74`; spec shared/design/methods/sa2vp.md.
// This is the ORIGINAL model. `vit_tinypara_acc.py` ("accelerated") is a different function (1 head, zero-padded
// windows whose zero keys receive softmax mass, spec §7.1) and is deliberately not implemented.
//
// Shapes: B batch, N = 1 + g² tokens (g = grid side, 14 for B/16 at 224), D width, d = inter-dim, H heads.
//   h = Drop(embed(x))                              [B, N, D]   (vit_tinypara.py:342-358)
//   p = Drop(ppt_proj(ppt) + pos)                   [B, N, D]   the 2-D prompt map, aligned with [CLS; patches]
//   for i in 0..<L (vit_tinypara.py:457-488):
//     i ∈ b2p_list (0, 4, 8):  f = Cross_i(kv: h, q: p); p = Block_i(p)
//                              i ∈ prompt_list: p += Block_i(deep_proj_j(deep_ppt_j)) ⊙ cross_conv_j
//                              h = Block_i(h); p = p + λ f
//     else:                    f = Cross_i(kv: p, q: h); p = Block_i(p); h = Block_i(h); h = h + λ f
//   logits_img = class_head(norm(h)[:, 0]); logits_prm = class_head(norm(p)[:, 0])
//   loss = 0.8 CE(logits_img) + 0.2 CE(logits_prm) (engine_for_train.py:24-27); inference uses logits_img only.
// Cross_i(kv, q) = MLP_small(LN_ffn(q + CA(LN_i(kv), LN_i(q))))  — no residual after the MLP (:165-175);
// CA = block i's frozen q/k/v/out with 3×3 local windows for patch queries and global attention for CLS (:87-151).
import Backbones
import Engine
import Foundation
import Random

/// SA²VP options. The official code hard-codes these as variables; the option names are those variables.
public struct SA2VPConfig: Codable, Sendable, Equatable {
    /// d: `Embeddings.inner_dim` (:334), `Encoder.inter_dim` (:428) and `Mlp_small`'s hidden width (:282) — one
    /// value edited per dataset (README "Experiment steps" 5).
    public var inter_dim: Int = 16
    /// λ: `Encoder.add_scale` (:427), the "inter-weight".
    public var add_scale: Double = 0.1
    /// Layers that add a deep prompt map (`prompt_list`, :460); Cars uses one ("car is 1 other is 2", :445).
    public var prompt_list: [Int] = [4, 8]
    /// Layers whose fusion goes image → prompt (`b2p_list`, :462); all others go prompt → image.
    public var b2p_list: [Int] = [0, 4, 8]
    /// `config.transformer.dropout_rate` (vit_configs.py:35): embedding, backbone-MLP, cross-attention-output and
    /// MLP_small dropout, all active in training because the official code never switches the backbone to eval.
    public var dropout_rate: Double = 0.1
    static let known: Set<String> = ["inter_dim", "add_scale", "prompt_list", "b2p_list", "dropout_rate"]
    public init() {}
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        inter_dim = try c.decodeIfPresent(Int.self, forKey: .inter_dim) ?? inter_dim
        add_scale = try c.decodeIfPresent(Double.self, forKey: .add_scale) ?? add_scale
        prompt_list = try c.decodeIfPresent([Int].self, forKey: .prompt_list) ?? prompt_list
        b2p_list = try c.decodeIfPresent([Int].self, forKey: .b2p_list) ?? b2p_list
        dropout_rate = try c.decodeIfPresent(Double.self, forKey: .dropout_rate) ?? dropout_rate
    }
}

/// SA²VP on a ViT (jeonsworld layout under `vit_base.`, as the official `Dual_model` names it).
public final class SA2VP: SA2VPTwoStreams {
    public let id = "sa2vp"
    public let config: SA2VPConfig
    public let vit: ViT
    /// `vit_base.transformer.embeddings.ppt` [1, N, d].
    public let ppt: Parameter
    /// `vit_base.transformer.embeddings.ppt_proj` d → D.
    public let pptProj: Linear
    /// `vit_base.transformer.encoder.cross_attn.{i}.ffn_norm` and `.ffn.fc1/fc2` (D → d → D).
    public let ffnNorm: [LayerNorm]
    public let ffnFC1: [Linear], ffnFC2: [Linear]
    /// `vit_base.transformer.encoder.cross_conv` [K, D], `deep_ppt` [K, 1, N, d], `deep_proj.{j}` d → D.
    public let crossConv: Parameter
    public let deepPpt: Parameter
    public let deepProj: [Linear]
    /// `class_head`, shared by the image and the prompt stream (vit_train_sa2vp.py:69-74).
    public let head: Linear
    /// Additive mask [N, N] of the local cross-attention.
    let localMask: Tensor

    static let prefix = "vit_base.transformer."

    public init(setup: MethodSetup) throws {
        let config = try setup.options.decode(SA2VPConfig.self, method: "sa2vp", known: SA2VPConfig.known)
        guard let vit = setup.backbone.vit else { throw MethodError("sa2vp needs a ViT backbone") }
        let c = vit.config
        guard config.inter_dim > 0 else { throw MethodError("sa2vp: inter_dim must be positive") }
        guard config.prompt_list.allSatisfy({ config.b2p_list.contains($0) && $0 < c.depth }) else {
            throw MethodError("sa2vp: every prompt_list layer must be a b2p_list layer below depth \(c.depth)")
        }
        self.config = config
        self.vit = vit
        for p in vit.parameters { p.trainable = false }
        let n = c.numPatches + 1, dim = c.dim, d = config.inter_dim, k = config.prompt_list.count
        var rng = setup.rng.child(7)
        let pre = Self.prefix
        // Official inits: trunc_normal(0.02) for prompt maps, xavier_uniform / N(0, 1e-6) for every adapter Linear
        // (vit_tinypara.py:277-299, 334-339, 441-455).
        func adapter(_ name: String, _ i: Int, _ o: Int) -> Linear {
            Linear(weight: Parameter(name + ".weight", Init.xavierUniform([o, i], rng: &rng), trainable: true),
                   bias: Parameter(name + ".bias", Init.normal([o], std: 1e-6, rng: &rng), trainable: true))
        }
        ppt = Parameter(pre + "embeddings.ppt", Init.truncatedNormal([1, n, d], std: 0.02, rng: &rng), trainable: true)
        pptProj = adapter(pre + "embeddings.ppt_proj", d, dim)
        var norms: [LayerNorm] = [], f1: [Linear] = [], f2: [Linear] = []
        for i in 0..<c.depth {
            let b = pre + "encoder.cross_attn.\(i)."
            let ln = LayerNorm(b + "ffn_norm", dim, eps: 1e-6)
            ln.weight.trainable = true; ln.bias.trainable = true
            norms.append(ln)
            f1.append(adapter(b + "ffn.fc1", dim, d))
            f2.append(adapter(b + "ffn.fc2", d, dim))
        }
        ffnNorm = norms; ffnFC1 = f1; ffnFC2 = f2
        crossConv = Parameter(pre + "encoder.cross_conv", Init.normal([k, dim], std: 0.02, rng: &rng), trainable: true)
        deepPpt = Parameter(pre + "encoder.deep_ppt", Init.truncatedNormal([k, 1, n, d], std: 0.02, rng: &rng), trainable: true)
        deepProj = (0..<k).map { adapter(pre + "encoder.deep_proj.\($0)", d, dim) }
        // vit_train_sa2vp.py:69-70: weight trunc_normal(0.02), bias nn.Linear's default U(±1/√D).
        let bound = 1 / Float(dim).squareRoot()
        head = Linear(weight: Parameter("class_head.weight", Init.truncatedNormal([setup.numClasses, dim], std: 0.02, rng: &rng), trainable: true),
                      bias: Parameter("class_head.bias", Init.uniform([setup.numClasses], -bound, bound, rng: &rng), trainable: true))
        localMask = Self.localWindowMask(grid: c.gridSize)
    }

    /// The 3×3 window mask of `CrossAttention.forward` (vit_tinypara.py:109-151), generalised from the hard-coded
    /// 14×14 grid: query 0 (CLS) sees every key; patch query (r, c) sees the patch keys (r+δr, c+δc), δ ∈ {−1,0,1},
    /// inside the grid (4 at corners, 6 on edges, 9 inside), never the CLS key. Masked logits get −1e30 (softmax 0).
    public static func localWindowMask(grid g: Int) -> Tensor {
        let n = 1 + g * g
        let m = Tensor(repeating: -1e30, shape: [n, n])
        for j in 0..<n { m.data[j] = 0 }
        for r in 0..<g {
            for c in 0..<g {
                let row = 1 + r * g + c
                for dr in -1...1 {
                    for dc in -1...1 {
                        let rr = r + dr, cc = c + dc
                        guard rr >= 0, rr < g, cc >= 0, cc < g else { continue }
                        m.data[row * n + 1 + rr * g + cc] = 0
                    }
                }
            }
        }
        return m
    }

    var ownParameters: [Parameter] {
        [ppt] + pptProj.parameters
            + (0..<ffnNorm.count).flatMap { ffnNorm[$0].parameters + ffnFC1[$0].parameters + ffnFC2[$0].parameters }
            + [crossConv, deepPpt] + deepProj.flatMap(\.parameters)
    }

    public var parameters: [Parameter] { vit.parameters + ownParameters + head.parameters }

    public var backboneTrainMode: Bool { true }

    public var officialBackbone: (naming: ViTNaming, prefix: String) { (.jeonsworld, "vit_base.") }
    public var backboneViT: ViT? { vit }

    /// Dropout(`dropout_rate`) in training (official: every nn.Dropout of the model is in train mode).
    func drop(_ x: Tensor, _ context: inout ForwardContext) -> Tensor {
        guard context.training && config.dropout_rate > 0 else { return x }
        return x.dropout(Float(config.dropout_rate), rng: &context.rng)
    }

    /// The jeonsworld `Block.forward` (vit_tinypara.py:370-381) on the suite's `ViTBlock` pieces, with its MLP
    /// dropout (after GELU and after fc2, `Mlp.forward` :268-274); attention dropout is 0 in the B/16 config.
    func block(_ blk: ViTBlock, _ x: Tensor, _ context: inout ForwardContext) -> Tensor {
        let h = x + blk.attention(blk.norm1(x), hooks: ViTHooks())
        let m = drop(blk.fc2(drop(blk.fc1(blk.norm2(h)).gelu(), &context)), &context)
        return h + m
    }

    /// `Cross_Block.forward` (vit_tinypara.py:165-175): the query stream attends to the key/value stream with
    /// block i's frozen q/k/v/out and LayerNorm_0.
    // NOTE: the official Cross_Block holds copies (`cross_attn.{i}.attn.to_q/to_k/to_v/to_out`, `attention_norm`)
    // loaded from the same checkpoint tensors as block i (`Cross_Block.load_from` :177-201) and frozen
    // (vit_train_sa2vp.py:56-60), so they always equal block i's weights; we use block i's parameters directly
    // instead of holding a second frozen copy (same function, 28M fewer floats on ViT-B).
    func cross(_ i: Int, kv: Tensor, q: Tensor, _ context: inout ForwardContext) -> Tensor {
        let blk = vit.blocks[i]
        let b = q.shape[0], n = q.shape[1], dim = q.shape[2], heads = blk.heads, dh = dim / heads
        let w = blk.qkv.weight.value, bias = blk.qkv.bias!.value
        func project(_ x: Tensor, _ part: Int) -> Tensor {
            Tensor.linear(x, w.rows(part * dim, (part + 1) * dim), bias.rows(part * dim, (part + 1) * dim))
                .reshaped([b, x.shape[1], heads, dh]).transposed(1, 2)
        }
        let qn = blk.norm1(q), kvn = blk.norm1(kv)
        let o = Tensor.attention(project(qn, 0), project(kvn, 1), project(kvn, 2), mask: localMask)  // scale dh^−½
        let a = drop(blk.proj(o.transposed(1, 2).reshaped([b, n, dim])), &context)  // to_out + to_drop
        let x = ffnNorm[i](a + q)
        return drop(ffnFC2[i](drop(ffnFC1[i](x).gelu(), &context)), &context)  // Mlp_small (:292-299)
    }

    /// CLS features of the image stream and of the prompt stream, [B, D] each.
    public func features(_ images: Tensor, context: inout ForwardContext) -> (image: Tensor, prompt: Tensor) {
        let b = images.shape[0], n = vit.config.numPatches + 1, dim = vit.config.dim, d = config.inter_dim
        let lambda = Float(config.add_scale)
        var h = drop(vit.embed(images), &context)
        var p = drop(pptProj(ppt.value).expand([b, n, dim]) + vit.posEmbed.value, &context)
        for blk in vit.blocks {
            let i = blk.index
            if config.b2p_list.contains(i) {
                let f = cross(i, kv: h, q: p, &context)
                p = block(blk, p, &context)
                if let j = config.prompt_list.firstIndex(of: i) {
                    let deep = deepProj[j](deepPpt.value.rows(j, j + 1).reshaped([1, n, d])).expand([b, n, dim])
                    p = p + block(blk, deep, &context) * crossConv.value.rows(j, j + 1).reshaped([dim])
                }
                h = block(blk, h, &context)
                p = p + f * lambda
            } else {
                let f = cross(i, kv: p, q: h, &context)
                p = block(blk, p, &context)
                h = block(blk, h, &context)
                h = h + f * lambda
            }
        }
        func cls(_ t: Tensor) -> Tensor { vit.norm(t).slice(axis: 1, 0, 1).reshaped([b, dim]) }
        return (cls(h), cls(p))
    }

    public func role(of p: Parameter) -> ParameterRole {
        if p.name.hasPrefix("class_head.") { return .head }
        if p.name.contains("ppt") || p.name.contains("deep_proj") || p.name.contains("cross_conv") { return .prompt }
        return .other
    }

    /// Trainable count without the head from the config alone: ViT-B/16 gives 21,339·d + 31,488 (spec §2).
    public static func trainableCount(_ c: ViTConfig, _ o: SA2VPConfig) -> Int {
        let n = c.numPatches + 1, dim = c.dim, d = o.inter_dim, k = o.prompt_list.count
        return n * d + (dim * d + dim) + c.depth * (2 * dim + (dim * d + d) + (d * dim + dim)) + k * dim + k * n * d + k * (dim * d + dim)
    }
}

/// What SA²VP's ViT and Swin versions share: an image stream and a prompt stream read by one shared head, the two-head
/// loss, and the official optimiser groups.
public protocol SA2VPTwoStreams: PromptMethod {
    /// The shared classifier (`class_head`).
    var head: Linear { get }
    /// Pooled features of the image stream and of the prompt stream.
    func features(_ images: Tensor, context: inout ForwardContext) -> (image: Tensor, prompt: Tensor)
}

extension SA2VPTwoStreams {
    /// Logits of the image stream (what the official evaluation uses, engine_for_train.py:175-180).
    public func logits(_ images: Tensor, context: inout ForwardContext) -> Tensor {
        head(features(images, context: &context).image)
    }

    /// 0.8·CE(image head) + 0.2·CE(prompt head) (engine_for_train.py:24-27); soft targets if the batch has them.
    public func loss(_ batch: TrainingBatch, context: inout ForwardContext) -> Tensor {
        let f = features(batch.images, context: &context)
        return crossEntropy(head(f.image), batch) * 0.8 + crossEntropy(head(f.prompt), batch) * 0.2
    }

    /// optim_factory.py:57-96: AdamW groups "decay" (ndim > 1 and not `.bias`) and "no_decay" (1-D or bias).
    public func parameterGroups(lr: Float, weightDecay: Float) -> [ParamGroup] {
        let t = trainable
        let noDecay = t.filter { $0.value.rank == 1 || $0.name.hasSuffix(".bias") }
        let decay = t.filter { p in !noDecay.contains { $0 === p } }
        return [ParamGroup("decay", params: decay, lr: lr, weightDecay: weightDecay),
                ParamGroup("no_decay", params: noDecay, lr: lr, weightDecay: 0)]
    }
}

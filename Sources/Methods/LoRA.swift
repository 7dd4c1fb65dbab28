// LoRA baseline as the ViT PETL tables run it (V-PETL Bench's VTAB-1k LoRA row is NOAH's Table 1 row, value for value).
//
// VARIANT `noah` (default) — ZhangYuanhan-AI/NOAH @ e9c55f3, `model/supernet_vision_transformer_timm.py`, its
// supernet with only LoRA active (`configs/LoRA/VTAB/slurm_train_lora_vtab.sh --is_LoRA`,
// `experiments/LoRA/ViT-B_prompt_lora_8.yaml` LORA_DIM 8 in all 12 blocks):
//   Attention (:206-298): q, k, v = qkv(x);  Δ = LoRA_b(LoRA_a(Dropout_p(x)))  with LoRA_a: D → r and LoRA_b: r → 3D
//   (no bias, no α/r scaling);  q, k, v += the three thirds of Δ.  p = --drop_rate_LoRA (default 0.1, train mode only).
//   Block (:300-366): timm pre-norm block, drop-path rate linspace(0, --drop-path, depth)[i] (default 0.1).
// VARIANT `v-petl` — synbol/Parameter-Efficient-Transfer-Learning-Benchmark @ c188fad,
//   `ImageClassification/models/vision_transformer_lora.py:83-136`: linear_a_q/linear_b_q and linear_a_v/linear_b_v
//   (D → r → D each, no bias, no scaling) added to q and v only; no LoRA dropout; same drop-path rule (:268).
// Both have 4·D·r trainable LoRA weights per block (0.29 M for ViT-B/16, r = 8): the count does not tell them apart.
//
// Init (documented bug, reproduced by default): both constructors draw LoRA A with kaiming_uniform(a=√5) and B zero
// (NOAH :225-228; V-PETL :104-107 even zeroes the v pair and draws B_q), but the model's `init_weights` runs after the
// blocks exist and re-draws every nn.Linear — LoRA's included — with trunc_normal(std .02) (NOAH :520-531 →
// `_init_vit_weights` :664-681; V-PETL :289-295 → `init_weights_vit_timm` :362-369). Pretrained loading does not touch
// LoRA, so training starts with B ≠ 0. `FIXED_INIT: true` keeps the constructors' draws instead (NOAH: B = 0, the
// usual identity start; V-PETL's constructor itself draws B_q, so only its v pair starts at zero).
// Head: `head` = nn.Linear(D, C) after `reset_classifier`: NOAH re-draws it trunc_normal(.02), bias 0 (:551-555);
// V-PETL keeps PyTorch's default Linear init (kaiming_uniform(a=√5), bias U(±1/√D)) (:326-330).
// Features: final norm, CLS token; neither model has a pre-logits layer (representation_size None), so a backbone file's
// `pre_logits` weights are not used.
// Trainable: LoRA + head (NOAH freeze_stages :492 'LoRA'/'head'; V-PETL train_model_lora.py:165-170).
// PyTorch's random draws cannot be matched bit for bit; parity goldens load the official weights from a file.
import Backbones
import Engine
import Foundation
import Random

/// LoRA options, with the official names (NOAH's config key `LORA_DIM`, argument `drop_rate_LoRA`, `--drop-path`).
public struct LoRAConfig: Codable, Sendable, Equatable {
    /// `noah` (q, k and v through one A/B pair) or `v-petl` (separate q and v pairs).
    public var VARIANT: String = "noah"
    /// Rank r (NOAH `SUPERNET.LORA_DIM` 8; V-PETL `--topN`, 8 in `scripts/run_vit_lora.sh`).
    public var LORA_DIM: Int = 8
    /// Dropout on the LoRA input (NOAH `--drop_rate_LoRA`, supernet_train_prompt.py:207 default 0.1). V-PETL has none.
    public var drop_rate_LoRA: Double?
    /// Stochastic depth, linspace(0, drop_path, depth) (NOAH `--drop-path` 0.1 :59; V-PETL `--dpr` 0.1).
    public var drop_path: Double = 0.1
    /// Fixed variant: keep the constructors' init (NOAH: A kaiming_uniform(a=√5), B zero; V-PETL: a_q, b_q kaiming_uniform,
    /// a_v, b_v zero) instead of the trunc_normal re-draw.
    public var FIXED_INIT: Bool = false

    static let known: Set<String> = ["VARIANT", "LORA_DIM", "drop_rate_LoRA", "drop_path", "FIXED_INIT"]
    public init() {}
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        VARIANT = try c.decodeIfPresent(String.self, forKey: .VARIANT) ?? "noah"
        LORA_DIM = try c.decodeIfPresent(Int.self, forKey: .LORA_DIM) ?? 8
        drop_rate_LoRA = try c.decodeIfPresent(Double.self, forKey: .drop_rate_LoRA)
        drop_path = try c.decodeIfPresent(Double.self, forKey: .drop_path) ?? 0.1
        FIXED_INIT = try c.decodeIfPresent(Bool.self, forKey: .FIXED_INIT) ?? false
    }

    /// The LoRA input dropout in effect: NOAH's default 0.1, none in V-PETL.
    public var loraDropout: Double { drop_rate_LoRA ?? (VARIANT == "noah" ? 0.1 : 0) }
}

/// LoRA on a frozen ViT with a linear head.
public final class LoRA: PromptMethod {
    public let id = "lora"
    public let config: LoRAConfig
    public let vit: ViT
    public let head: Linear
    /// Per block, the LoRA weights in nn.Linear layout [out, in]: NOAH `LoRA_a` [r, D], `LoRA_b` [3D, r];
    /// V-PETL `linear_a_q`, `linear_b_q`, `linear_a_v`, `linear_b_v`.
    public let a: [[Parameter]], b: [[Parameter]]

    public init(setup: MethodSetup) throws {
        let config = try setup.options.decode(LoRAConfig.self, method: "lora", known: LoRAConfig.known)
        guard ["noah", "v-petl"].contains(config.VARIANT) else {
            throw MethodError("lora: VARIANT must be noah or v-petl, found \(config.VARIANT)")
        }
        guard let vit = setup.backbone.vit else { throw MethodError("lora needs a ViT backbone") }
        guard config.LORA_DIM > 0 else { throw MethodError("lora: LORA_DIM must be positive, found \(config.LORA_DIM)") }
        guard (0..<1).contains(config.loraDropout), (0..<1).contains(config.drop_path) else {
            throw MethodError("lora: drop_rate_LoRA and drop_path must lie in [0, 1)")
        }
        self.config = config
        self.vit = vit
        for p in vit.parameters { p.trainable = false }
        let d = vit.config.dim, r = config.LORA_DIM
        var rng = setup.rng
        func draw(_ name: String, _ shape: [Int], zero: Bool) -> Parameter {
            let v: Tensor
            if !config.FIXED_INIT { v = Init.truncatedNormal(shape, std: 0.02, rng: &rng) }
            else if zero { v = Tensor(zeros: shape) }
            else { v = Init.kaimingUniformDefault(shape, rng: &rng) }  // kaiming_uniform(a=√5) = U(±1/√fan_in)
            return Parameter(name, v, trainable: true)
        }
        var a: [[Parameter]] = [], b: [[Parameter]] = []
        for i in 0..<vit.config.depth {
            let p = "blocks.\(i).attn."
            if config.VARIANT == "noah" {
                a.append([draw(p + "LoRA_a.weight", [r, d], zero: false)])
                b.append([draw(p + "LoRA_b.weight", [3 * d, r], zero: true)])
            } else {
                // vision_transformer_lora.py:100-107: construction order a_q, b_q, a_v, b_v; b_q is drawn, a_v/b_v zero.
                let aq = draw(p + "linear_a_q.weight", [r, d], zero: false), bq = draw(p + "linear_b_q.weight", [d, r], zero: false)
                let av = draw(p + "linear_a_v.weight", [r, d], zero: true), bv = draw(p + "linear_b_v.weight", [d, r], zero: true)
                a.append([aq, av]); b.append([bq, bv])
            }
        }
        self.a = a; self.b = b
        let c = setup.numClasses
        let w: Tensor, bias: Tensor
        if config.VARIANT == "noah" {
            w = Init.truncatedNormal([c, d], std: 0.02, rng: &rng); bias = Tensor(zeros: [c])
        } else {
            let bound = 1 / Float(d).squareRoot()
            w = Init.kaimingUniformDefault([c, d], rng: &rng); bias = Init.uniform([c], -bound, bound, rng: &rng)
        }
        head = Linear(weight: Parameter("head.weight", w, trainable: true), bias: Parameter("head.bias", bias, trainable: true))
    }

    public var parameters: [Parameter] { vit.parameters + zip(a, b).flatMap { $0 + $1 } + head.parameters }

    /// q/k/v projection of block `l` plus its LoRA update: [B, N, 3D] = [q | k | v].
    func qkv(_ l: Int, _ x: Tensor, rng: inout RandomStream, training: Bool) -> Tensor {
        let blk = vit.blocks[l]
        let base = blk.qkv(x)
        let p = Float(config.loraDropout)
        let xin = training && p > 0 ? x.dropout(p, rng: &rng) : x
        if config.VARIANT == "noah" {
            return base + Tensor.linear(Tensor.linear(xin, a[l][0].value), b[l][0].value)
        }
        let dq = Tensor.linear(Tensor.linear(xin, a[l][0].value), b[l][0].value)
        let dv = Tensor.linear(Tensor.linear(xin, a[l][1].value), b[l][1].value)
        let zeros = Tensor(zeros: dq.shape)
        return base + Tensor.concat([dq, zeros, dv], axis: 2)
    }

    public func features(_ images: Tensor, context: inout ForwardContext) -> Tensor {
        var x = vit.embed(images)
        let depth = vit.config.depth
        for l in 0..<depth {
            let blk = vit.blocks[l]
            let last = l == depth - 1
            let rate = ViT.dropPathRate(config.drop_path, layer: l, depth: depth)
            let dp = context.training && rate > 0
            // Only the CLS row is read after the last block: compute just its queries there.
            let rows: Int? = last && !dp ? 1 : nil
            let qkv = self.qkv(l, blk.norm1(x), rng: &context.rng, training: context.training)
            var att = blk.proj(Tensor.packedAttention(qkv, heads: blk.heads, mask: nil, queries: rows))
            if dp { att = att.dropPath(rate, rng: &context.rng) }
            let h = (rows.map { x.slice(axis: 1, 0, $0) } ?? x) + att
            var m = blk.mlp(blk.norm2(h))
            if dp { m = m.dropPath(rate, rng: &context.rng) }
            x = h + m
        }
        return vit.normedCLS(x)
    }

    public func logits(_ images: Tensor, context: inout ForwardContext) -> Tensor {
        head(features(images, context: &context))
    }

    public func parameterGroups(lr: Float, weightDecay: Float) -> [ParamGroup] {
        if config.VARIANT == "noah" {
            // timm create_optimizer (filter_bias_and_bn): no decay on 1-D tensors (the head bias) and no_weight_decay names.
            return perTensorGroups(lr: lr, weightDecay: weightDecay) { $0.value.shape.count <= 1 }
        }
        // V-PETL train_model_lora.py:172: AdamW(trainable, weight_decay=wd) — one group, decay on everything.
        return [ParamGroup("all", params: trainable, lr: lr, weightDecay: weightDecay)]
    }

    public func role(of p: Parameter) -> ParameterRole {
        p.name.hasPrefix("head.") ? .head : .other
    }

    public var officialBackbone: (naming: ViTNaming, prefix: String) { (.timm, "") }
    public var backboneViT: ViT? { vit }
}

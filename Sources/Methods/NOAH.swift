// NOAH (Neural prOmpt seArcH) — the FINAL TRAINING of a released per-dataset subnet ("retrain" mode).
// ZhangYuanhan-AI/NOAH @ e9c55f3, `model/supernet_vision_transformer_timm.py` with `model/module/adapter_super.py`,
// trained by `supernet_train_prompt.py --mode=retrain` (`configs/NOAH/VTAB/subnet/slurm_retrain_vtab.sh`) with the
// per-layer choice `RETRAIN` of `experiments/NOAH/subnet/VTAB/ViT-B_prompt_<task>.yaml` (set_sample_config :586-607).
// The supernet SEARCH (`evolution.py`) and supernet training are not implemented here: only the released subnets train.
//
// Per block i (VISUAL_PROMPT_DIM p_i, LORA_DIM r_i, ADAPTER_DIM a_i; 0 = that module off):
//   Block.forward (:354-366): if p_i ≠ 0, the last p_{i−1} tokens (p_0 for i = 0) are cut and p_i fresh
//     `visual_prompt_token`s (Dropout(drop_rate_prompt)) are appended AFTER the patch tokens (deep VPT at the end of
//     the sequence). The model-level `visual_prompt_token` (+ `visual_prompt_token_pos_embed`) that forward_features
//     appends (:636-641) is always cut by block 0 before any computation: it never reaches the output, so it is not
//     built here. If p_{i−1} = 0 nothing is cut (reproduced; no released config has a 0).
//   Attention (:272-298): q, k, v = qkv(x) + the thirds of LoRA_b(LoRA_a(Dropout(drop_rate_LoRA)(x))), no scaling.
//   x = x + DropPath(attn(norm1(x)));  m = DropPath(mlp(norm2(x)));  x = x + m + ln2(Dropout(QuickGELU(ln1(m))))
//     (AdapterSuper :58-70: identity + out on the MLP branch; QuickGELU z·σ(1.702 z)).
//   Drop-path rate linspace(0, drop_path, depth)[i]; train_one_epoch calls model.train() so all dropouts are live.
// Features: final norm, CLS token (:643-646); head nn.Linear(D, C) from reset_classifier (trunc_normal .02, bias 0).
// Tensors are the subnet's slices of the supernet tensors (`LoRA_a.weight[:r]`, `LoRA_b.weight[:, :r]`,
// `ln1.weight[:a]`, `ln1.bias[:a]`, `ln2.weight[:, :a]`, `visual_prompt_token[:, :p]`), under the official names.
// The official optimiser also holds the unused rest of each super tensor (SUPERNET dims 100) and the dead model-level
// prompt: they get zero gradient and AdamW is elementwise, so they cannot change the subnet's outputs.
// Init (as the official code leaves it): prompts xavier_uniform on the SUPER shape [1, P, D] (bound √(6/((P+1)·D)),
// P = SUPERNET.VISUAL_PROMPT_DIM); every nn.Linear — LoRA_a/b and adapter ln1/ln2 included — re-drawn by init_weights
// (:520-531 → _init_vit_weights :664-690) with trunc_normal(.02), bias 0 (documented bug, as in `lora`: LoRA_b ≠ 0 at
// the start). `FIXED_INIT: true` keeps the constructors' draws: LoRA_a kaiming_uniform(a=√5), LoRA_b 0 (:225-228),
// adapter xavier_uniform on the super shape, bias N(0, 1e-6) (adapter_super.py:37-45).
// Trainable: prompts, LoRA, adapter, head (freeze_stages :491-493). PyTorch's draws cannot be matched bit for bit;
// parity goldens load the official weights from a file.
import Backbones
import Engine
import Foundation
import Random

/// NOAH options, with the official config names (`RETRAIN.*`, `SUPERNET.*` keys, supernet_train_prompt.py arguments).
public struct NOAHConfig: Codable, Sendable, Equatable {
    /// RETRAIN.VISUAL_PROMPT_DIM: prompt tokens per block.
    public var VISUAL_PROMPT_DIM: [Int] = []
    /// RETRAIN.LORA_DIM: LoRA rank per block.
    public var LORA_DIM: [Int] = []
    /// RETRAIN.ADAPTER_DIM: adapter hidden size per block.
    public var ADAPTER_DIM: [Int] = []
    /// RETRAIN.PREFIX_DIM: prefix tokens per block; every released VTAB subnet has 0 everywhere (prefix not built).
    public var PREFIX_DIM: [Int]?
    /// SUPERNET.VISUAL_PROMPT_DIM (100 in every released yaml): the prompt init's xavier bound depends on it.
    public var SUPERNET_VISUAL_PROMPT_DIM: Int = 100
    /// SUPERNET.ADAPTER_DIM (100): the FIXED_INIT adapter xavier bound depends on it.
    public var SUPERNET_ADAPTER_DIM: Int = 100
    /// supernet_train_prompt.py:207-209 defaults 0.1 (the retrain script does not set them).
    public var drop_rate_LoRA: Double = 0.1
    public var drop_rate_prompt: Double = 0.1
    public var drop_rate_adapter: Double = 0.1
    /// --drop-path (:59, default 0.1).
    public var drop_path: Double = 0.1
    /// Keep the constructors' init instead of init_weights' trunc_normal re-draw of every Linear.
    public var FIXED_INIT: Bool = false

    static let known: Set<String> = ["VISUAL_PROMPT_DIM", "LORA_DIM", "ADAPTER_DIM", "PREFIX_DIM", "SUPERNET_VISUAL_PROMPT_DIM",
                                     "SUPERNET_ADAPTER_DIM", "drop_rate_LoRA", "drop_rate_prompt", "drop_rate_adapter",
                                     "drop_path", "FIXED_INIT"]
    public init() {}
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        VISUAL_PROMPT_DIM = try c.decodeIfPresent([Int].self, forKey: .VISUAL_PROMPT_DIM) ?? []
        LORA_DIM = try c.decodeIfPresent([Int].self, forKey: .LORA_DIM) ?? []
        ADAPTER_DIM = try c.decodeIfPresent([Int].self, forKey: .ADAPTER_DIM) ?? []
        PREFIX_DIM = try c.decodeIfPresent([Int].self, forKey: .PREFIX_DIM)
        SUPERNET_VISUAL_PROMPT_DIM = try c.decodeIfPresent(Int.self, forKey: .SUPERNET_VISUAL_PROMPT_DIM) ?? 100
        SUPERNET_ADAPTER_DIM = try c.decodeIfPresent(Int.self, forKey: .SUPERNET_ADAPTER_DIM) ?? 100
        drop_rate_LoRA = try c.decodeIfPresent(Double.self, forKey: .drop_rate_LoRA) ?? 0.1
        drop_rate_prompt = try c.decodeIfPresent(Double.self, forKey: .drop_rate_prompt) ?? 0.1
        drop_rate_adapter = try c.decodeIfPresent(Double.self, forKey: .drop_rate_adapter) ?? 0.1
        drop_path = try c.decodeIfPresent(Double.self, forKey: .drop_path) ?? 0.1
        FIXED_INIT = try c.decodeIfPresent(Bool.self, forKey: .FIXED_INIT) ?? false
    }
}

/// A NOAH subnet (per-block prompts, LoRA and adapter) on a frozen ViT with a linear head.
public final class NOAH: PromptMethod {
    public let id = "noah"
    public let config: NOAHConfig
    public let vit: ViT
    public let head: Linear
    /// Per block: `visual_prompt_token` [1, p, D], `attn.LoRA_a.weight` [r, D], `attn.LoRA_b.weight` [3D, r],
    /// `adapter.ln1.{weight [a, D], bias [a]}`, `adapter.ln2.{weight [D, a], bias [D]}` (nil where the module is off).
    public let prompts: [Parameter?], loraA: [Parameter?], loraB: [Parameter?], adapter: [[Parameter]?]

    public init(setup: MethodSetup) throws {
        let config = try setup.options.decode(NOAHConfig.self, method: "noah", known: NOAHConfig.known)
        guard let vit = setup.backbone.vit else { throw MethodError("noah needs a ViT backbone") }
        let depth = vit.config.depth, d = vit.config.dim
        for (name, dims) in [("VISUAL_PROMPT_DIM", config.VISUAL_PROMPT_DIM), ("LORA_DIM", config.LORA_DIM),
                             ("ADAPTER_DIM", config.ADAPTER_DIM)] {
            guard dims.count == depth else {
                throw MethodError("noah: \(name) needs one value per block (\(depth)), found \(dims.count): \(dims)")
            }
            guard dims.allSatisfy({ $0 >= 0 }) else { throw MethodError("noah: \(name) values must be ≥ 0, found \(dims)") }
        }
        if let prefix = config.PREFIX_DIM, prefix.contains(where: { $0 != 0 }) {
            throw MethodError("noah: PREFIX_DIM \(prefix) — prefix tokens are not implemented (every released VTAB subnet has 0)")
        }
        guard config.VISUAL_PROMPT_DIM.allSatisfy({ $0 <= config.SUPERNET_VISUAL_PROMPT_DIM }),
              config.ADAPTER_DIM.allSatisfy({ $0 <= config.SUPERNET_ADAPTER_DIM }) else {
            throw MethodError("noah: a per-block dim exceeds its SUPERNET_* dim")
        }
        for (n, v) in [("drop_rate_LoRA", config.drop_rate_LoRA), ("drop_rate_prompt", config.drop_rate_prompt),
                       ("drop_rate_adapter", config.drop_rate_adapter), ("drop_path", config.drop_path)] {
            guard (0..<1).contains(v) else { throw MethodError("noah: \(n) must lie in [0, 1), found \(v)") }
        }
        self.config = config
        self.vit = vit
        for p in vit.parameters { p.trainable = false }
        var rng = setup.rng
        func linearWeight(_ name: String, _ shape: [Int], fixed: () -> Tensor) -> Parameter {
            Parameter(name, config.FIXED_INIT ? fixed() : Init.truncatedNormal(shape, std: 0.02, rng: &rng), trainable: true)
        }
        var prompts: [Parameter?] = [], loraA: [Parameter?] = [], loraB: [Parameter?] = [], adapter: [[Parameter]?] = []
        for i in 0..<depth {
            let pre = "blocks.\(i)."
            let p = config.VISUAL_PROMPT_DIM[i], r = config.LORA_DIM[i], a = config.ADAPTER_DIM[i]
            // The supernet's construction order within a block: attn (LoRA), prompt, adapter.
            if r > 0 {
                loraA.append(linearWeight(pre + "attn.LoRA_a.weight", [r, d]) { Init.kaimingUniformDefault([r, d], rng: &rng) })
                loraB.append(linearWeight(pre + "attn.LoRA_b.weight", [3 * d, r]) { Tensor(zeros: [3 * d, r]) })
            } else { loraA.append(nil); loraB.append(nil) }
            if p > 0 {
                let bound = (6 / Float((config.SUPERNET_VISUAL_PROMPT_DIM + 1) * d)).squareRoot()
                prompts.append(Parameter(pre + "visual_prompt_token", Init.uniform([1, p, d], -bound, bound, rng: &rng), trainable: true))
            } else { prompts.append(nil) }
            if a > 0 {
                let s = config.SUPERNET_ADAPTER_DIM
                let bound = (6 / Float(s + d)).squareRoot()  // xavier on the super [s, D] / [D, s] weights
                let w1 = linearWeight(pre + "adapter.ln1.weight", [a, d]) { Init.uniform([a, d], -bound, bound, rng: &rng) }
                let b1 = Parameter(pre + "adapter.ln1.bias", config.FIXED_INIT ? Init.normal([a], std: 1e-6, rng: &rng) : Tensor(zeros: [a]), trainable: true)
                let w2 = linearWeight(pre + "adapter.ln2.weight", [d, a]) { Init.uniform([d, a], -bound, bound, rng: &rng) }
                let b2 = Parameter(pre + "adapter.ln2.bias", config.FIXED_INIT ? Init.normal([d], std: 1e-6, rng: &rng) : Tensor(zeros: [d]), trainable: true)
                adapter.append([w1, b1, w2, b2])
            } else { adapter.append(nil) }
        }
        self.prompts = prompts; self.loraA = loraA; self.loraB = loraB; self.adapter = adapter
        let c = setup.numClasses
        head = Linear(weight: Parameter("head.weight", Init.truncatedNormal([c, d], std: 0.02, rng: &rng), trainable: true),
                      bias: Parameter("head.bias", Tensor(zeros: [c]), trainable: true))
    }

    public var parameters: [Parameter] {
        var own: [Parameter] = []
        for i in prompts.indices {
            own += [loraA[i], loraB[i], prompts[i]].compactMap { $0 } + (adapter[i] ?? [])
        }
        return vit.parameters + own + head.parameters
    }

    func qkv(_ l: Int, _ x: Tensor, context: inout ForwardContext) -> Tensor {
        let base = vit.blocks[l].qkv(x)
        guard let a = loraA[l], let b = loraB[l] else { return base }
        let p = Float(config.drop_rate_LoRA)
        let xin = context.training && p > 0 ? x.dropout(p, rng: &context.rng) : x
        return base + Tensor.linear(Tensor.linear(xin, a.value), b.value)
    }

    func adapterOut(_ l: Int, _ m: Tensor, context: inout ForwardContext) -> Tensor? {
        guard let w = adapter[l] else { return nil }
        let z = Tensor.linear(m, w[0].value, w[1].value)
        var g = z * (z * 1.702).sigmoid()  // QuickGELU
        let p = Float(config.drop_rate_adapter)
        if context.training && p > 0 { g = g.dropout(p, rng: &context.rng) }
        return Tensor.linear(g, w[2].value, w[3].value)
    }

    public func features(_ images: Tensor, context: inout ForwardContext) -> Tensor {
        var x = vit.embed(images)
        let depth = vit.config.depth, b = x.shape[0], d = x.shape[2]
        for l in 0..<depth {
            let blk = vit.blocks[l]
            if let prompt = prompts[l] {
                // Block.forward: cut the previous block's p_{l−1} prompts (none before block 0 here: the model-level
                // prompts block 0 cuts are never built), append this block's.
                let cut = l > 0 ? config.VISUAL_PROMPT_DIM[l - 1] : 0
                var t = prompt.value.expand([b, prompt.value.shape[1], d])
                let p = Float(config.drop_rate_prompt)
                if context.training && p > 0 { t = t.dropout(p, rng: &context.rng) }
                x = Tensor.concat([x.slice(axis: 1, 0, x.shape[1] - cut), t], axis: 1)
            }
            let last = l == depth - 1
            let rate = ViT.dropPathRate(config.drop_path, layer: l, depth: depth)
            let dp = context.training && rate > 0
            let rows: Int? = last && !dp ? 1 : nil  // only the CLS row is read after the last block
            let qkv = self.qkv(l, blk.norm1(x), context: &context)
            var att = blk.proj(Tensor.packedAttention(qkv, heads: blk.heads, mask: nil, queries: rows))
            if dp { att = att.dropPath(rate, rng: &context.rng) }
            let h = (rows.map { x.slice(axis: 1, 0, $0) } ?? x) + att
            var m = blk.mlp(blk.norm2(h))
            if dp { m = m.dropPath(rate, rng: &context.rng) }
            x = h + m
            if let out = adapterOut(l, m, context: &context) { x = x + out }
        }
        return vit.normedCLS(x)
    }

    public func logits(_ images: Tensor, context: inout ForwardContext) -> Tensor {
        head(features(images, context: &context))
    }

    /// timm create_optimizer (filter_bias_and_bn, supernet_train_prompt.py:365): no decay on 1-D tensors (adapter and
    /// head biases); the prompts are 3-D and not in no_weight_decay ({pos_embed, cls_token, dist_token}), so they decay.
    public func parameterGroups(lr: Float, weightDecay: Float) -> [ParamGroup] {
        perTensorGroups(lr: lr, weightDecay: weightDecay) { $0.value.shape.count <= 1 }
    }

    public func role(of p: Parameter) -> ParameterRole {
        p.name.hasPrefix("head.") ? .head : p.name.hasSuffix("visual_prompt_token") ? .prompt : .other
    }

    public var officialBackbone: (naming: ViTNaming, prefix: String) { (.timm, "") }
    public var backboneViT: ViT? { vit }
}

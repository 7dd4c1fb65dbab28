// InsVP — Instance Visual Prompting from the Image Itself (Liu, Peng, Zhou, ACM MM 2024).
// Official code: zhoujiahuan1991/MM2024-InsVP @ 9a89ad5, `models/InstanceVPD.py` (`--model InstanceVPD`,
// `--deep_prompt_type ours9`), `models/tokenPrompt.py`, SimAM `models/utils.py:9-31`; spec shared/design/methods/insvp.md.
// Shapes: B batch, S image side, D width, p prompt length, n patch-prompt side, g = S/n.
//   x ← SimAM(x) if simam                                            (InstanceVPD.py:85-86)
//   pI = Drop.1(p_patch(x)) + w₂·Drop.1(p_global(x)); x' = x + pI     (:87-88, 121-139)
//     p_patch: S×S image → g² patches of 3n² (c, y, x) → Linear(3n², h) → ReLU → Linear(h, 3n²) → folded back
//     p_global: Conv(3→h₂, k₂, same) → ReLU → Conv(h₂→3, k₂₂, same)
//   tokens = [CLS; PatchEmbed(x')] + pos                              (timm `_pos_embed`)
//   before block i < deep_layer: P_i = Drop_p(prompts[i]) + TokenPrompt(x')   [B, p, D]
//     i = 0 inserts P_i after CLS, later layers replace the previous p prompt outputs (:107-119)
//   logits = head(norm(tokens)[:, 0])                                 (:96-105; fc_norm = Identity)
// TokenPrompt (tokenPrompt.py:34-47): conv1(3→p, k₁) → LeakyReLU → crop [8, S−8)² → MaxPool 4 → Drop.1 →
//   conv2(p→3p, k₂) → LeakyReLU → crop [2, ·−2)² → MaxPool 3 → Drop.1 → conv3(3p→3p, k₃) → raw reshape [B, p, 768].
//   It is recomputed (fresh dropout masks) for every layer; its `layer` argument is unused.
// The backbone stays in eval mode (`train()` override :62-70); timm's ViT-B has no dropout anyway.
// Backbone: DAM-VP's original IN-21k ViT-B/16 file loaded into timm's `vit_base_patch16_224.augreg_in21k` architecture
// with strict=False (models/utils.py:83-93), so its pre_logits (tanh) layer is silently dropped: build the ViT with
// `preLogits: false` (the HTA recipes say so).
import Backbones
import Engine
import Foundation
import Random

/// InsVP options, with the official argument names (`utils/args.py`, `sh/*.sh`).
public struct InsVPConfig: Codable, Sendable, Equatable {
    /// Prompt length (`--p_len`; the scripts set `--p_len_vpt` to the same value).
    public var p_len: Int = 16
    /// Layers with deep prompts (`--deep_layer`, 12 in every script).
    public var deep_layer: Int = 12
    /// Deep-prompt dropout (`--prompt_dropout`, default 0.1).
    public var prompt_dropout: Double = 0.1
    /// Patch-prompt patch side n and hidden width h (`--prompt_patch 16`, `--hid_dim 16`).
    public var prompt_patch: Int = 16
    public var hid_dim: Int = 16
    /// Global-prompt kernels and hidden channels (`--prompt_patch_2 11`, `--prompt_patch_22 25`, `--hid_dim_2 6`).
    public var prompt_patch_2: Int = 11
    public var prompt_patch_22: Int = 25
    public var hid_dim_2: Int = 6
    /// Weight of the global prompt (`--prompts_2_weight 2`).
    public var prompts_2_weight: Double = 2
    /// TokenPrompt kernels (`--TP_kernel_1/2/3`, 7/9/3; CUB 9/5/3).
    public var TP_kernel_1: Int = 7
    public var TP_kernel_2: Int = 9
    public var TP_kernel_3: Int = 3
    /// Parameter-free SimAM on the input (`--simam True` for CUB, Dogs, SVHN).
    public var simam: Bool = false
    /// TokenPrompt geometry, hard-coded for 224 px in tokenPrompt.py:37-45 (crop 8, pool 4, crop 2, pool 3 → 16×16).
    /// Options only so small test images can use the same network; the defaults are the official constants.
    public var TP_crop_1: Int = 8
    public var TP_pool_1: Int = 4
    public var TP_crop_2: Int = 2
    public var TP_pool_2: Int = 3
    /// Official bug (spec §7.1): TokenPrompt's parameters never reach the optimiser (InstanceVPD.py:163-167 repeats
    /// the `if` condition in its `elif`), so by default they stay at their random init. `true` trains them.
    public var FIXED_TOKENPROMPT: Bool = false

    static let known: Set<String> = ["p_len", "deep_layer", "prompt_dropout", "prompt_patch", "hid_dim", "prompt_patch_2",
                                     "prompt_patch_22", "hid_dim_2", "prompts_2_weight", "TP_kernel_1", "TP_kernel_2",
                                     "TP_kernel_3", "simam", "TP_crop_1", "TP_pool_1", "TP_crop_2", "TP_pool_2", "FIXED_TOKENPROMPT"]
    public init() {}
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func v<T: Decodable>(_ k: CodingKeys, _ d: T) throws -> T { try c.decodeIfPresent(T.self, forKey: k) ?? d }
        p_len = try v(.p_len, p_len); deep_layer = try v(.deep_layer, deep_layer)
        prompt_dropout = try v(.prompt_dropout, prompt_dropout); prompt_patch = try v(.prompt_patch, prompt_patch)
        hid_dim = try v(.hid_dim, hid_dim); prompt_patch_2 = try v(.prompt_patch_2, prompt_patch_2)
        prompt_patch_22 = try v(.prompt_patch_22, prompt_patch_22); hid_dim_2 = try v(.hid_dim_2, hid_dim_2)
        prompts_2_weight = try v(.prompts_2_weight, prompts_2_weight)
        TP_kernel_1 = try v(.TP_kernel_1, TP_kernel_1); TP_kernel_2 = try v(.TP_kernel_2, TP_kernel_2)
        TP_kernel_3 = try v(.TP_kernel_3, TP_kernel_3); simam = try v(.simam, simam)
        TP_crop_1 = try v(.TP_crop_1, TP_crop_1); TP_pool_1 = try v(.TP_pool_1, TP_pool_1)
        TP_crop_2 = try v(.TP_crop_2, TP_crop_2); TP_pool_2 = try v(.TP_pool_2, TP_pool_2)
        FIXED_TOKENPROMPT = try v(.FIXED_TOKENPROMPT, FIXED_TOKENPROMPT)
    }
}

/// InsVP on a timm-layout ViT (names of `Model_InstanceVPD`: backbone under `backbone.`).
public final class InsVP: PromptMethod {
    public let id = "insvp"
    public let config: InsVPConfig
    public let vit: ViT
    /// `prompts` [deep_layer, p, D], U(−1, 1) (InstanceVPD.py:35-36).
    public let prompts: Parameter
    /// `meta_net.0`, `meta_net.2` (patch prompt MLP) and `meta_net_2.0`, `meta_net_2.2` (global prompt convs).
    public let metaNet0: Linear, metaNet2: Linear
    public let metaConv0: Conv2d, metaConv2: Conv2d
    /// `TokenPrompt.conv1/2/3`.
    public let tpConv1: Conv2d, tpConv2: Conv2d, tpConv3: Conv2d
    /// `backbone.head` (timm `reset_classifier` → a new default-initialised nn.Linear).
    public let head: Linear
    /// Channels per token of the TokenPrompt map: D / g'² (3 for D = 768 and a 16×16 map).
    let tpFactor: Int

    public init(setup: MethodSetup) throws {
        let o = try setup.options.decode(InsVPConfig.self, method: "insvp", known: InsVPConfig.known)
        guard let vit = setup.backbone.vit else { throw MethodError("insvp needs a ViT backbone") }
        let c = vit.config, s = c.imageSize, p = o.p_len
        guard s % o.prompt_patch == 0 else { throw MethodError("insvp: prompt_patch \(o.prompt_patch) must divide the image size \(s)") }
        guard o.deep_layer >= 1 && o.deep_layer <= c.depth else { throw MethodError("insvp: deep_layer must be in 1...\(c.depth)") }
        for k in [o.prompt_patch_2, o.prompt_patch_22, o.TP_kernel_1, o.TP_kernel_2, o.TP_kernel_3] where k % 2 == 0 {
            throw MethodError("insvp: kernel \(k) must be odd (same padding (k−1)/2)")
        }
        let g1 = (s - 2 * o.TP_crop_1) / o.TP_pool_1, g2 = (g1 - 2 * o.TP_crop_2) / o.TP_pool_2
        guard g2 > 0, c.dim % (g2 * g2) == 0 else {
            throw MethodError("insvp: TokenPrompt map \(g2)×\(g2) cannot be reshaped to \(p)×\(c.dim) tokens")
        }
        self.config = o
        self.vit = vit
        tpFactor = c.dim / (g2 * g2)
        for q in vit.parameters { q.trainable = false }
        var rng = setup.rng.child(11)
        prompts = Parameter("prompts", Init.uniform([o.deep_layer, p, c.dim], -1, 1, rng: &rng), trainable: true)
        let n3 = 3 * o.prompt_patch * o.prompt_patch
        metaNet0 = Linear("meta_net.0", n3, o.hid_dim, rng: &rng)
        metaNet2 = Linear("meta_net.2", o.hid_dim, n3, rng: &rng)
        metaConv0 = Conv2d("meta_net_2.0", 3, o.hid_dim_2, kernel: (o.prompt_patch_2, o.prompt_patch_2),
                           padding: ((o.prompt_patch_2 - 1) / 2, (o.prompt_patch_2 - 1) / 2), rng: &rng)
        metaConv2 = Conv2d("meta_net_2.2", o.hid_dim_2, 3, kernel: (o.prompt_patch_22, o.prompt_patch_22),
                           padding: ((o.prompt_patch_22 - 1) / 2, (o.prompt_patch_22 - 1) / 2), rng: &rng)
        func conv(_ name: String, _ i: Int, _ out: Int, _ k: Int) -> Conv2d {
            Conv2d(name, i, out, kernel: (k, k), padding: ((k - 1) / 2, (k - 1) / 2), rng: &rng)
        }
        tpConv1 = conv("TokenPrompt.conv1", 3, p, o.TP_kernel_1)
        tpConv2 = conv("TokenPrompt.conv2", p, tpFactor * p, o.TP_kernel_2)
        tpConv3 = conv("TokenPrompt.conv3", tpFactor * p, tpFactor * p, o.TP_kernel_3)
        head = Linear("backbone.head", c.dim, setup.numClasses, rng: &rng)
        for q in metaNet0.parameters + metaNet2.parameters + metaConv0.parameters + metaConv2.parameters + head.parameters { q.trainable = true }
        for q in tokenPromptParameters { q.trainable = o.FIXED_TOKENPROMPT }
    }

    var tokenPromptParameters: [Parameter] { tpConv1.parameters + tpConv2.parameters + tpConv3.parameters }

    public var parameters: [Parameter] {
        vit.parameters + [prompts] + metaNet0.parameters + metaNet2.parameters + metaConv0.parameters + metaConv2.parameters
            + tokenPromptParameters + head.parameters
    }

    public var officialBackbone: (naming: ViTNaming, prefix: String) { (.timm, "backbone.") }
    public var backboneViT: ViT? { vit }

    func drop(_ x: Tensor, _ p: Double, _ context: inout ForwardContext) -> Tensor {
        guard context.training && p > 0 else { return x }
        return x.dropout(Float(p), rng: &context.rng)
    }

    /// SimAM (models/utils.py:24-31): x·σ((x−μ)² / (4(Σ(x−μ)²/(HW−1) + 1e-3)) + 0.5), per sample and channel.
    public static func simAM(_ x: Tensor) -> Tensor {
        let n = Float(x.shape[2] * x.shape[3] - 1)
        let c = x - x.mean(axes: [2, 3], keepDims: true)
        let d = c * c
        let y = d / ((d.sum(axes: [2, 3], keepDims: true) / n + 1e-3) * 4) + 0.5
        return x * y.sigmoid()
    }

    /// The patch prompt (`get_local_prompts`, :121-134) before its dropout.
    func patchPrompt(_ x: Tensor) -> Tensor {
        let b = x.shape[0], s = x.shape[2], n = config.prompt_patch, g = s / n
        let patches = x.reshaped([b, 3, g, n, g, n]).permuted(0, 2, 4, 1, 3, 5).reshaped([b * g * g, 3 * n * n])
        let y = metaNet2(metaNet0(patches).relu())
        return y.reshaped([b, g, g, 3, n, n]).permuted(0, 3, 1, 4, 2, 5).reshaped([b, 3, s, s])
    }

    /// The pixel-level instance prompt pI (`get_prompts`, :136-139).
    func imagePrompt(_ x: Tensor, _ context: inout ForwardContext) -> Tensor {
        let local = drop(patchPrompt(x), 0.1, &context)
        let global = drop(metaConv2(metaConv0(x).relu()), 0.1, &context)
        return local + global * Float(config.prompts_2_weight)
    }

    /// TokenPrompt(x') → [B, p, D] (tokenPrompt.py:34-47).
    func tokenPrompt(_ x: Tensor, _ context: inout ForwardContext) -> Tensor {
        let o = config
        func crop(_ t: Tensor, _ m: Int) -> Tensor {
            t.slice(axis: 2, m, t.shape[2] - m).slice(axis: 3, m, t.shape[3] - m)
        }
        var t = crop(tpConv1(x).leakyRelu(0.01), o.TP_crop_1).maxPool2d(kernel: (o.TP_pool_1, o.TP_pool_1))
        t = drop(t, 0.1, &context)
        t = crop(tpConv2(t).leakyRelu(0.01), o.TP_crop_2).maxPool2d(kernel: (o.TP_pool_2, o.TP_pool_2))
        t = drop(t, 0.1, &context)
        t = tpConv3(t)
        return t.reshaped([x.shape[0], o.p_len, vit.config.dim])
    }

    public func logits(_ images: Tensor, context: inout ForwardContext) -> Tensor {
        let o = config, p = o.p_len, dim = vit.config.dim
        var x = o.simam ? Self.simAM(images) : images
        x = x + imagePrompt(x, &context)
        let prompted = x, b = x.shape[0]
        // Without dropout every layer's TokenPrompt output is the same; compute it once.
        let shared: Tensor? = context.training ? nil : tokenPrompt(prompted, &context)
        var ctx = context
        var hooks = ViTHooks()
        hooks.beforeBlock = { [self] i, h in
            guard i < o.deep_layer else { return h }
            var pr = prompts.value.rows(i, i + 1).expand([b, p, dim])
            if ctx.training && o.prompt_dropout > 0 { pr = pr.dropout(Float(o.prompt_dropout), rng: &ctx.rng) }
            pr = pr + (shared ?? tokenPrompt(prompted, &ctx))
            let n = h.shape[1]
            return Tensor.concat([h.slice(axis: 1, 0, 1), pr, h.slice(axis: 1, i == 0 ? 1 : 1 + p, n)], axis: 1)
        }
        var backboneCtx = ForwardContext.eval  // backbone.eval() in training (InstanceVPD.py:62-70)
        let f = vit.features(prompted, hooks: hooks, context: &backboneCtx)
        context.rng = ctx.rng
        return head(f)
    }

    /// One AdamW group with weight decay on everything trained (train/trainer.py:44-48).
    public func parameterGroups(lr: Float, weightDecay: Float) -> [ParamGroup] {
        [ParamGroup("all", params: trainable, lr: lr, weightDecay: weightDecay)]
    }

    public func role(of p: Parameter) -> ParameterRole {
        if p.name.hasPrefix("backbone.head.") { return .head }
        return .prompt
    }

    /// Trainable count without the head (spec §2): 12·p·D + (3n²h + h + 3n²h + 3n²) + (3h₂k₂² + h₂ + 3h₂k₂₂² + 3),
    /// = 9216·p + 38,797 for ViT-B/16 and the script defaults; TokenPrompt adds its convs only when FIXED_TOKENPROMPT.
    public static func trainableCount(_ c: ViTConfig, _ o: InsVPConfig) -> Int {
        let n3 = 3 * o.prompt_patch * o.prompt_patch, p = o.p_len
        var total = o.deep_layer * p * c.dim + (n3 * o.hid_dim + o.hid_dim + o.hid_dim * n3 + n3)
            + (3 * o.hid_dim_2 * o.prompt_patch_2 * o.prompt_patch_2 + o.hid_dim_2 + o.hid_dim_2 * 3 * o.prompt_patch_22 * o.prompt_patch_22 + 3)
        if o.FIXED_TOKENPROMPT {
            let g1 = (c.imageSize - 2 * o.TP_crop_1) / o.TP_pool_1, g2 = (g1 - 2 * o.TP_crop_2) / o.TP_pool_2
            let r = c.dim / (g2 * g2)
            total += 3 * p * o.TP_kernel_1 * o.TP_kernel_1 + p + r * p * p * o.TP_kernel_2 * o.TP_kernel_2 + r * p
                + r * p * r * p * o.TP_kernel_3 * o.TP_kernel_3 + r * p
        }
        return total
    }
}

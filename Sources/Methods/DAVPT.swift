// DA-VPT — Distribution-Aware Visual Prompt Tuning (Ren et al., CVPR 2025).
// Official code: Noahsark/DA-VPT @ 1a5ac60 (spec: shared/design/methods/da_vpt.md). Shapes: B batch, D width,
// N image tokens, L_l prompts of layer l (Lp on the proxy layers p_idxs, Lo on the others), C classes.
//
//   x = [CLS; patches] + pos                                              (models/vpt.py:370-374, no pos_drop)
//   for l: _x = [x[:, :1]; drop(vpt_norm(P_l)); x[:, -N:]]; x = Block_l(_x) (vpt.py:380-403; old prompts discarded)
//          on proxy layers: Lda += w_vpt·PA(mean(_x[:, 1+Lp:]), P_l) + w_cls·PA(q_CLS, P_l)   (criterion.py:406-426)
//   Lda /= #p_idxs; logits = head(norm(x)[:, 0]); loss = CE + Lda                      (vpt.py:405-406, train.py:146-154)
// On MAE (model_name mae-B: global_pool, model_creator.py:115) the readout is mean(norm(x)[:, 1:]) — LayerNorm on
// every token, then the mean over the prompts of the last block AND the image tokens (mae_pooling "all", params.py:87;
// "img" averages the image tokens only), vpt.py:383-390 — and the initial k-means reads the plain ViT's
// norm(mean(x[:, 1:])) (models/vit.py:78-80: mean first, then norm). MoCo v3 and ViT-B read norm(x)[:, 0].
// The block is timm's pre-norm block with separate q/k/v Linears (attn.py:66-86), an optional additive mask that
// lets prompt queries see only image tokens (attn.py:89-96), drop-path rate linspace(0, drop_path, depth)[l]
// (vpt.py:210). The backbone runs in train mode (drop-path on).
import Backbones
import Engine
import Foundation
import Random

/// DA-VPT options, named as `params.py` / `configs/*.yaml` name them.
public struct DAVPTConfig: Codable, Sendable, Equatable {
    /// Lo: prompts of every non-proxy layer (params.py:16).
    public var num_prompts: Int = 20
    /// Lp: prompts (= proxies) of every proxy layer (params.py:18); C when C < Lp (train.py:337-339).
    public var proxy_prompt_len: Int = 10
    /// Proxy layers `start...end` (inclusive, params.py:21-23).
    public var proxy_prompt_start_idx: Int = 11
    public var proxy_prompt_end_idx: Int = 11
    public var prompt_drop_rate: Double = 0
    /// Metric-learning terms on (params.py:29; every config sets it).
    public var proxy_vpt: Bool = false
    public var criterion: String = "proxyanchor"
    public var loss_oproxy_pos_alpha: Double = 32
    public var loss_oproxy_neg_alpha: Double = 32
    public var loss_oproxy_pos_delta: Double = 0.1
    public var loss_oproxy_neg_delta: Double = -0.1
    /// `kmeans` (default), `all_classes` (identity, Lp = C) or `balanced` (c mod Lp).
    public var initial_mapping: String = "kmeans"
    public var init_sample_per_class: Int = 10
    public var kmeans_norm: String = "layer"
    /// `none` or `l2` (no parameters; `layer` would add an affine LayerNorm, unused by any config).
    public var vpt_norm: String = "none"
    public var init_divide_by8: Bool = false
    public var vpt_loss_weight: Double = 0
    public var cls_loss_weight: Double = 0
    public var loss_vpt_scale_ratio: Double = 1
    /// First epoch (0-based) whose CLS features refresh the mapping at its end; 0 = never (train.py:120-125).
    public var dynamic_kmeans: Int = 0
    /// No effect in the official code (criterion.py:530 always uses the mean block-input patch token).
    public var patch_type: String = "output"
    public var cls_type: String = "query"
    public var vpt_type_for_cls_ml: String = "vpt"
    public var vpt_type_for_patch_ml: String = "vpt"
    public var mask: Bool = false
    public var drop_path: Double = 0
    /// Weight decay of `head.weight` (utils/utils.py:125-165).
    public var wd_head: Double = 3
    // Bias / LayerNorm tuning flags (model_creator.py:134-169).
    public var learn_bias = false, train_cls = false, bias_fc1 = false, bias_fc2 = false, bias_proj = false
    public var bias_norm1 = false, bias_norm2 = false, bias_norm = false, norm_norm1 = false, norm_norm2 = false
    public var norm_norm = false, bias_q = false, bias_k = false, bias_v = false
    /// Keys some configs set but the official reader silently ignores (spec §7.1); used only with FIXED_CONFIG_KEYS.
    public var vpt_and_cls_loss_weight: Double? = nil
    public var proxy_prompt_depth: Int? = nil
    /// Backbone family (params.py:5 `model_name`: vit-B, mae-B, moco-B); nil = from the cell's backbone id
    /// (`vit-b16-mae` → mae-B: global-pool readout; else the CLS readout).
    public var model_name: String? = nil
    /// MAE readout tokens (params.py:87): `all` = every token but CLS (prompts included), `img` = the image tokens.
    public var mae_pooling: String = "all"
    /// `fixed` variant: honour `vpt_and_cls_loss_weight` and `proxy_prompt_depth` as the configs intend.
    public var FIXED_CONFIG_KEYS: Bool = false
    /// `fixed` variant: `bias_proj` unfreezes only the attention `proj.bias`, not `patch_embed.proj.bias` (spec §7.4).
    public var FIXED_BIAS_PROJ: Bool = false

    static let known: Set<String> = [
        "num_prompts", "proxy_prompt_len", "proxy_prompt_start_idx", "proxy_prompt_end_idx", "prompt_drop_rate",
        "proxy_vpt", "criterion", "loss_oproxy_pos_alpha", "loss_oproxy_neg_alpha", "loss_oproxy_pos_delta",
        "loss_oproxy_neg_delta", "initial_mapping", "init_sample_per_class", "kmeans_norm", "vpt_norm",
        "init_divide_by8", "vpt_loss_weight", "cls_loss_weight", "loss_vpt_scale_ratio", "dynamic_kmeans",
        "patch_type", "cls_type", "vpt_type_for_cls_ml", "vpt_type_for_patch_ml", "mask", "drop_path", "wd_head",
        "learn_bias", "train_cls", "bias_fc1", "bias_fc2", "bias_proj", "bias_norm1", "bias_norm2", "bias_norm",
        "norm_norm1", "norm_norm2", "norm_norm", "bias_q", "bias_k", "bias_v", "vpt_and_cls_loss_weight",
        "proxy_prompt_depth", "FIXED_CONFIG_KEYS", "FIXED_BIAS_PROJ", "model_name", "mae_pooling",
    ]

    /// Options over the defaults (absent keys keep the `params.py` defaults; unknown keys are an error).
    static func decode(_ options: MethodOptions) throws -> DAVPTConfig {
        let unknown = Set(options.keys).subtracting(known)
        guard unknown.isEmpty else { throw MethodError("da-vpt: unknown option(s) \(unknown.sorted().joined(separator: ", "))") }
        var merged = try JSONSerialization.jsonObject(with: JSONEncoder().encode(DAVPTConfig())) as! [String: Any]
        let given = try JSONSerialization.jsonObject(with: JSONEncoder().encode(options)) as! [String: Any]
        merged.merge(given) { $1 }
        do { return try JSONDecoder().decode(DAVPTConfig.self, from: JSONSerialization.data(withJSONObject: merged)) } catch {
            throw MethodError("da-vpt: bad options \(options): \(error)")
        }
    }

    /// The names `set_learnable_parameters` matches against (model_creator.py:134-169).
    var learnableList: Set<String> {
        var l: Set<String> = ["prompt_token", "head", "proxy_prompt_tokens", "other_prompt_tokens", "vpt_norm"]
        let flags: [(Bool, String)] = [
            (learn_bias, "bias"), (bias_q, "q.bias"), (bias_k, "k.bias"), (bias_v, "v.bias"), (bias_fc1, "fc1.bias"),
            (bias_fc2, "fc2.bias"), (bias_proj, "proj.bias"), (bias_norm1, "norm1.bias"), (bias_norm2, "norm2.bias"),
            (bias_norm, "norm.bias"), (norm_norm1, "norm1"), (norm_norm2, "norm2"), (norm_norm, "norm"), (train_cls, "cls_token"),
        ]
        for (on, n) in flags where on { l.insert(n) }
        return l
    }

    /// `set_learnable_parameters` (vpt.py:236-251): first, last, last two, last three or third name component
    /// (or the whole name) in the list. `proj.bias` thus also matches `patch_embed.proj.bias` (spec §7.4).
    func learns(_ name: String) -> Bool {
        let list = learnableList
        let c = name.split(separator: ".").map(String.init)
        if FIXED_BIAS_PROJ && name == "patch_embed.proj.bias" && !learn_bias { return false }
        if list.contains(c[0]) || list.contains(c[c.count - 1]) || list.contains(name) { return true }
        if c.count > 1 && list.contains(c.suffix(2).joined(separator: ".")) { return true }
        if c.count > 2 && (list.contains(c.suffix(3).joined(separator: ".")) || list.contains(c[2])) { return true }
        return false
    }
}

/// The two rows DA-VPT's tables print (paper Sec. 5.1 "Method Variants"): DA-VPT = VPT-Deep + the two metric-learning
/// losses; DA-VPT+ = DA-VPT + "efficient bias tuning" (Sec. 3.5; Table 4 counts the learnable [CLS] token with it).
/// In the official code the two differ only in the learnable list (model_creator.py:134-169), whose flags all default
/// to off (params.py:56-69) — so `plain` (da-vpt) has every flag off, `plus` (da-vpt-plus) at least one on. Every
/// config the repository publishes (configs/{fgvc,vtab}/*.yaml @ 1a5ac60) turns flags on: all are DA-VPT+ runs.
public enum DAVPTVariant: Sendable {
    case plain, plus

    /// The flags every ViT-B config sets (configs/{fgvc,vtab}/vitb_*.yaml; smallnorb_ele leaves train_cls off):
    /// da-vpt-plus's defaults when its options name none of the efficient-bias flags.
    static let configFlags = ["train_cls", "norm_norm1", "bias_k", "bias_v", "bias_proj", "bias_fc2", "bias_norm2"]
}

extension DAVPTConfig {
    /// The efficient-bias flags (model_creator.py:134-169).
    static let efficientBiasKeys = ["learn_bias", "train_cls", "bias_fc1", "bias_fc2", "bias_proj", "bias_norm1", "bias_norm2", "bias_norm",
                                    "norm_norm1", "norm_norm2", "norm_norm", "bias_q", "bias_k", "bias_v"]
    /// The efficient-bias flags that are on.
    var efficientBiasOn: [String] {
        let on = [learn_bias, train_cls, bias_fc1, bias_fc2, bias_proj, bias_norm1, bias_norm2, bias_norm, norm_norm1, norm_norm2, norm_norm,
                  bias_q, bias_k, bias_v]
        return zip(Self.efficientBiasKeys, on).filter { $0.1 }.map { $0.0 }
    }
}

/// DA-VPT on a timm ViT.
public final class DAVPT: PromptMethod {
    public let id: String
    public let config: DAVPTConfig
    public let vit: ViT
    public let numClasses: Int
    /// Proxy layers and the others, in block order (vpt.py:146-166).
    public let proxyLayers: [Int], otherLayers: [Int]
    /// Lp (after the all_classes adjustment) and Lo.
    public let proxyLen: Int, otherLen: Int
    public let allClasses: Bool
    /// `proxy_prompt_tokens` [#p, Lp, D], `other_prompt_tokens` [#o, Lo, D].
    public let proxyPrompts: Parameter, otherPrompts: Parameter
    /// `blocks.i.attn.{q,k,v}.bias`: the official model splits the fused qkv into separate Linears
    /// (attn.py:66-86) and trains only k/v biases; we own the three bias pieces as separate parameters (copied
    /// from the backbone's fused `qkv.bias` at construction) and feed concat(q, k, v) to the fused projection,
    /// so the frozen q part never receives an update. The ViT's own fused `qkv.bias` is frozen and unused.
    public let qBias: [Parameter], kBias: [Parameter], vBias: [Parameter]
    /// `head.{weight,bias}`: trunc_normal(.02) / 0 (model_creator.py:173-176).
    public let headWeight: Parameter, headBias: Parameter
    let lossWeightPatch: Float, lossWeightCls: Float
    /// MAE's global-pool readout (model_creator.py:115 `global_pool = model_name.split('-')[0] == "mae"`).
    public let globalPool: Bool

    /// Class → proxy index (C entries in [0, Lp)).
    public private(set) var mapping: [Int]
    /// Current k-means centroids [Lp][D] (layer-normalised space), warm start of the next refresh.
    public private(set) var centroids: [[Float]]?
    /// Running per-class means of the training features (the readout) of the current epoch (criterion.py:62-93).
    var classMeans: [[Float]], classCounts: [Int]
    let seed: UInt64

    /// `variant` nil: any flags (the implementation itself, used by the parity tests); `.plain` / `.plus`: the
    /// registry's `da-vpt` / `da-vpt-plus`, which check the efficient-bias flags against the row they stand for.
    public init(id: String = "da-vpt", variant: DAVPTVariant? = nil, setup: MethodSetup) throws {
        self.id = id
        var options = setup.options
        if variant == .plus && !DAVPTConfig.efficientBiasKeys.contains(where: { options[$0] != nil }) {
            for k in DAVPTVariant.configFlags { options[k] = .bool(true) }
        }
        var config = try DAVPTConfig.decode(options)
        switch variant {
        case .plain? where !config.efficientBiasOn.isEmpty:
            throw MethodError("\(id) is DA-VPT without efficient bias tuning (paper Sec. 5.1); \(config.efficientBiasOn.joined(separator: ", ")) "
                              + "tune backbone biases / norms / cls_token, which is DA-VPT+: use method da-vpt-plus")
        case .plus? where config.efficientBiasOn.isEmpty:
            throw MethodError("\(id) is DA-VPT + efficient bias tuning (paper Sec. 3.5, 5.1), but every efficient-bias flag "
                              + "(\(DAVPTConfig.efficientBiasKeys.joined(separator: ", "))) is off: that is method da-vpt")
        default: break
        }
        guard let vit = setup.backbone.vit else { throw MethodError("\(id) needs a ViT backbone") }
        guard config.criterion == "proxyanchor" else { throw MethodError("\(id): only criterion proxyanchor is implemented (every config uses it)") }
        guard config.cls_type == "query" && config.vpt_type_for_cls_ml == "vpt" && config.vpt_type_for_patch_ml == "vpt" else {
            throw MethodError("\(id): only cls_type query and vpt_type_for_*_ml vpt are implemented (every config uses them)")
        }
        guard ["none", "l2"].contains(config.vpt_norm) else { throw MethodError("\(id): vpt_norm must be none or l2") }
        // Family as GateVPT picks it: the official option if given, else the cell's backbone id.
        let family = config.model_name ?? setup.backboneId.map { $0.contains("mae") ? "mae-B" : $0.contains("moco") ? "moco-B" : "vit-B" } ?? "vit-B"
        guard ["vit-B", "mae-B", "moco-B"].contains(family) else {
            throw MethodError("\(id): model_name '\(family)' is not vit-B, mae-B or moco-B (the ViT-B backbones, Dataset/names.py:13-19)")
        }
        guard ["all", "img"].contains(config.mae_pooling) else { throw MethodError("\(id): mae_pooling must be all or img (params.py:87)") }
        globalPool = family == "mae-B"
        if config.FIXED_CONFIG_KEYS {
            // NOTE: fixed variant — what the configs that set these ignored keys intend (spec §7.1).
            if let w = config.vpt_and_cls_loss_weight { config.vpt_loss_weight = w; config.cls_loss_weight = w }
            if let d = config.proxy_prompt_depth { config.proxy_prompt_end_idx = config.proxy_prompt_start_idx + d - 1 }
        }
        self.config = config
        self.vit = vit
        numClasses = setup.numClasses
        seed = setup.rng.key
        let c = vit.config, depth = c.depth, dim = c.dim
        // vpt.py:146-166 (p_depth clipped to the model depth).
        let start = config.proxy_prompt_start_idx
        let pDepth = min(config.proxy_prompt_end_idx - start + 1, depth - start)
        let pl = pDepth > 0 ? Array(start..<(start + pDepth)) : []
        proxyLayers = pl
        otherLayers = (0..<depth).filter { !pl.contains($0) }
        // train.py:337-339: fewer classes than proxies ⇒ one proxy per class, identity mapping.
        allClasses = config.initial_mapping == "all_classes" || numClasses < config.proxy_prompt_len
        proxyLen = allClasses ? numClasses : config.proxy_prompt_len
        otherLen = config.num_prompts
        lossWeightPatch = Float(config.vpt_loss_weight)
        lossWeightCls = Float(config.cls_loss_weight)

        // vpt.py:177-185: xavier_uniform_ on the 3-D tensor (fan_in = L·D, fan_out = layers·D), then /8.
        var rng = setup.rng.child(1)
        let div: Float = config.init_divide_by8 ? 8 : 1
        proxyPrompts = Parameter("proxy_prompt_tokens", Init.xavierUniform([proxyLayers.count, proxyLen, dim], rng: &rng) / div, trainable: true)
        otherPrompts = Parameter("other_prompt_tokens", Init.xavierUniform([otherLayers.count, otherLen, dim], rng: &rng) / div, trainable: true)
        var hrng = setup.rng.child(2)
        headWeight = Parameter("head.weight", Init.truncatedNormal([numClasses, dim], std: 0.02, rng: &hrng), trainable: true)
        headBias = Parameter("head.bias", Tensor(zeros: [numClasses]), trainable: true)

        var qb: [Parameter] = [], kb: [Parameter] = [], vb: [Parameter] = []
        for blk in vit.blocks {
            let b = blk.qkv.bias!.value.scalars
            let p = "blocks.\(blk.index).attn."
            qb.append(Parameter(p + "q.bias", Tensor(Array(b[0..<dim]), shape: [dim])))
            kb.append(Parameter(p + "k.bias", Tensor(Array(b[dim..<(2 * dim)]), shape: [dim])))
            vb.append(Parameter(p + "v.bias", Tensor(Array(b[(2 * dim)...]), shape: [dim])))
        }
        qBias = qb; kBias = kb; vBias = vb

        // Until initializeMapping runs: `balanced` (c mod Lp, model_creator.py static_random_balanced_mapping).
        let lp = max(1, proxyLen), nc = numClasses
        mapping = allClasses ? Array(0..<nc) : (0..<nc).map { $0 % lp }
        classMeans = Array(repeating: Array(repeating: 0, count: dim), count: numClasses)
        classCounts = Array(repeating: 0, count: numClasses)

        for p in vit.parameters { p.trainable = config.learns(p.name) }
        for blk in vit.blocks { blk.qkv.bias!.trainable = false }  // replaced by the q/k/v pieces below
        for p in qBias + kBias + vBias { p.trainable = config.learns(p.name) }
    }

    public var parameters: [Parameter] {
        let fused = Set(vit.blocks.map { ObjectIdentifier($0.qkv.bias!) })
        return vit.parameters.filter { !fused.contains(ObjectIdentifier($0)) } + zip(qBias, zip(kBias, vBias)).flatMap { [$0, $1.0, $1.1] }
            + [proxyPrompts, otherPrompts, headWeight, headBias]
    }

    public var officialBackbone: (naming: ViTNaming, prefix: String) { (.timm, "") }
    public var backboneViT: ViT? { vit }
    public var backboneTrainMode: Bool { true }

    public func role(of p: Parameter) -> ParameterRole {
        if p === proxyPrompts || p === otherPrompts { return .prompt }
        if p === headWeight || p === headBias { return .head }
        return .other
    }

    /// utils/utils.py:125-165: no decay for `.bias` and ≤1-D tensors; `head.weight` with `wd_head`; the rest
    /// (prompts, cls_token, …) with `weight_decay`.
    public func parameterGroups(lr: Float, weightDecay: Float) -> [ParamGroup] {
        var noDecay: [Parameter] = [], decay: [Parameter] = [], head: [Parameter] = []
        for p in trainable {
            if p.name.hasSuffix(".bias") || p.shape.count <= 1 { noDecay.append(p) }
            else if p.name.contains("head") { head.append(p) }
            else { decay.append(p) }
        }
        return [ParamGroup("no_decay", params: noDecay, lr: lr, weightDecay: 0),
                ParamGroup("decay", params: decay, lr: lr, weightDecay: weightDecay),
                ParamGroup("head", params: head, lr: lr, weightDecay: Float(config.wd_head))]
    }

    // MARK: - Forward

    /// Prompts of layer `l` after `vpt_norm` [L_l, D] (vpt.py:384-389).
    func prompts(_ l: Int) -> Tensor {
        let t: Tensor
        if let i = proxyLayers.firstIndex(of: l) { t = proxyPrompts.value.rows(i, i + 1) } else {
            let i = otherLayers.firstIndex(of: l)!
            t = otherPrompts.value.rows(i, i + 1)
        }
        let p = t.reshaped([t.shape[1], t.shape[2]])
        return config.vpt_norm == "l2" ? p.l2Normalized(eps: 1e-6) : p
    }

    /// attn.py:89-96: −∞ at prompt query rows 1…L over key columns 0…L (prompts see only image tokens).
    func mask(tokens n: Int, prompts len: Int) -> Tensor? {
        guard config.mask && len > 0 else { return nil }
        let m = Tensor(zeros: [n, n])
        for r in 1...len { for c in 0...len { m.data[r * n + c] = -.infinity } }
        return m
    }

    /// One VPTBlock (vpt.py:78-85) with this layer's q/k/v biases on prompted tokens [B, T, D]; returns the output and
    /// q of CLS [B, D]. `rows` = 1 computes only the CLS row's output (the last block: nothing else is read after it);
    /// keys and values still cover every token.
    func block(_ l: Int, _ x: Tensor, prompts len: Int, rows: Int? = nil, context: inout ForwardContext) -> (Tensor, Tensor) {
        let blk = vit.blocks[l]
        let b = x.shape[0], n = x.shape[1], dim = x.shape[2], h = blk.heads
        let bias = Tensor.concat([qBias[l].value, kBias[l].value, vBias[l].value], axis: 0)
        let qkv = Tensor.linear(blk.norm1(x), blk.qkv.weight.value, bias)  // [B, T, 3D] = [q | k | v]
        let qCls = qkv.slice(axis: 1, 0, 1).slice(axis: 2, 0, dim).reshaped([b, dim])  // attn._q[:, 0] (criterion.py:221)
        var a = blk.proj(Tensor.packedAttention(qkv, heads: h, mask: mask(tokens: n, prompts: len), queries: rows))
        // vpt.py:210: drop-path rate linspace(0, drop_path, depth)[l]; active in train mode.
        let depth = vit.config.depth
        let rate = ViT.dropPathRate(config.drop_path, layer: l, depth: depth)
        let dp = context.training && rate > 0
        if dp { a = a.dropPath(rate, rng: &context.rng) }
        let y = (rows.map { x.slice(axis: 1, 0, $0) } ?? x) + a
        var m = blk.mlp(blk.norm2(y))
        if dp { m = m.dropPath(rate, rng: &context.rng) }
        return (y + m, qCls)
    }

    /// Features [B, D] (CLS, or the MAE global pool) and (when `labels` is given) the metric-learning loss Lda.
    func forward(_ images: Tensor, labels: [Int]?, context: inout ForwardContext) -> (Tensor, Tensor?) {
        var x = vit.embed(images)
        let b = x.shape[0], nImg = vit.config.numPatches
        var lda: Tensor? = nil
        for l in 0..<vit.config.depth {
            let isProxy = proxyLayers.contains(l)
            let len = isProxy ? proxyLen : otherLen
            let cls = x.slice(axis: 1, 0, 1), img = x.slice(axis: 1, x.shape[1] - nImg, x.shape[1])
            var pieces = [cls]
            var p: Tensor? = nil
            if len > 0 {
                let pl = prompts(l)
                p = pl
                var e = pl.reshaped([1, len, pl.shape[1]]).expand([b, len, pl.shape[1]])
                if context.training && config.prompt_drop_rate > 0 { e = e.dropout(Float(config.prompt_drop_rate), rng: &context.rng) }
                pieces.append(e)
            }
            pieces.append(img)
            let xin = Tensor.concat(pieces, axis: 1)
            let last = l == vit.config.depth - 1
            let (out, qCls) = block(l, xin, prompts: len, rows: last && !globalPool ? 1 : nil, context: &context)
            x = out
            if let labels, isProxy, config.proxy_vpt, let p {
                let term = proxyLoss(xin, prompts: p, qCls: qCls, labels: labels)
                if let term { lda = lda.map { $0 + term } ?? term }
            }
        }
        if let l = lda, !proxyLayers.isEmpty { lda = l / Float(proxyLayers.count) }
        let t = vit.norm(x)
        if globalPool {  // vpt.py:383-390: norm on every token, then the mean over prompts + image tokens ("all") or image tokens
            let from = config.mae_pooling == "img" ? t.shape[1] - nImg : 1
            return (t.slice(axis: 1, from, t.shape[1]).mean(axis: 1), lda)
        }
        return (t.slice(axis: 1, 0, 1).reshaped([b, t.shape[2]]), lda)
    }

    /// Proxy-Anchor terms of one proxy layer (criterion.py:406-426, 428-585); nil when both weights are 0.
    func proxyLoss(_ xin: Tensor, prompts p: Tensor, qCls: Tensor, labels: [Int]) -> Tensor? {
        let mapped = labels.map { mapping[$0] }
        var total: Tensor? = nil
        if lossWeightPatch != 0 {
            // criterion.py:229 + :530: mean of the block-input image tokens, whatever `patch_type` says (spec §7.3).
            let patch = xin.slice(axis: 1, 1 + proxyLen, xin.shape[1]).mean(axis: 1)
            total = proxyAnchor(patch, p, mapped) * lossWeightPatch
        }
        if lossWeightCls != 0 {
            let t = proxyAnchor(qCls, p, mapped) * lossWeightCls
            total = total.map { $0 + t } ?? t
        }
        return total
    }

    /// Proxy-Anchor with proxies π = s·normalize(P): mean over all Lp proxies of
    /// log(1 + Σ_{b∈pos(k)} e^{−α⁺(S−δ⁺)}) + log(1 + Σ_{b∈neg(k)} e^{α⁻(S−δ⁻)})  (masked_logsumexp, criterion.py:568-585).
    func proxyAnchor(_ f: Tensor, _ p: Tensor, _ mapped: [Int]) -> Tensor {
        let b = f.shape[0], k = p.shape[0]
        let s = Tensor.matmul(f.l2Normalized(), p.l2Normalized() * Float(config.loss_vpt_scale_ratio), transB: true)  // [B, Lp]
        let posMask = Tensor(zeros: [b, k]), negMask = Tensor(zeros: [b, k])
        // Masked entries get a large negative offset (official: masked_fill with finfo.min); exp of them is 0.
        for i in 0..<b { for j in 0..<k { (mapped[i] == j ? negMask : posMask).data[i * k + j] = -1e30 } }
        let zero = Tensor(zeros: [1, k])
        let wPos = (s - Float(config.loss_oproxy_pos_delta)) * -Float(config.loss_oproxy_pos_alpha) + posMask
        let wNeg = (s - Float(config.loss_oproxy_neg_delta)) * Float(config.loss_oproxy_neg_alpha) + negMask
        let pos = Tensor.concat([wPos, zero], axis: 0).logSumExp(axis: 0).mean()
        let neg = Tensor.concat([wNeg, zero], axis: 0).logSumExp(axis: 0).mean()
        return pos + neg
    }

    func head(_ f: Tensor) -> Tensor { Tensor.linear(f, headWeight.value, headBias.value) }

    public func logits(_ images: Tensor, context: inout ForwardContext) -> Tensor {
        head(forward(images, labels: nil, context: &context).0)
    }

    /// CE + Lda (train.py:146-154); accumulates the class means for the dynamic k-means (vpt.py:452-453).
    public func loss(_ batch: TrainingBatch, context: inout ForwardContext) -> Tensor {
        let (f, lda) = forward(batch.images, labels: batch.labels, context: &context)
        if config.dynamic_kmeans > 0 && batch.epoch >= config.dynamic_kmeans { accumulateClassMeans(f, batch.labels) }
        let ce = crossEntropy(head(f), batch)
        return lda.map { ce + $0 } ?? ce
    }

    // MARK: - Class → proxy mapping

    /// criterion.py:79-93: running mean per class.
    func accumulateClassMeans(_ f: Tensor, _ labels: [Int]) {
        let d = f.shape[1], v = f.scalars
        for c in Set(labels) {
            let rows = labels.indices.filter { labels[$0] == c }
            let n = classCounts[c]
            for j in 0..<d {
                var s: Float = 0
                for r in rows { s += v[r * d + j] }
                classMeans[c][j] = (classMeans[c][j] * Float(n) + s) / Float(n + rows.count)
            }
            classCounts[c] += rows.count
        }
    }

    /// Sets the mapping from per-class mean features (the initial k-means, model_creator.py:519-595, or a test).
    /// `classMeans` [C][D]; k-means starts from `centroids` if given, else from k random distinct rows.
    public func updateMapping(classMeans m: [[Float]], centroids start: [[Float]]?, rng: inout RandomStream) {
        guard !allClasses && config.initial_mapping == "kmeans" && proxyLen > 0 else { return }
        let (c, a) = DAVPT.cosineKMeans(m, k: proxyLen, centroids: start, layerNorm: config.kmeans_norm == "layer", rng: &rng)
        // vpt.py:276-281: keep the old mapping when everything falls into one cluster.
        if Set(a).count > 1 { mapping = a; centroids = c } else { centroids = nil }
    }

    /// The initial mapping (model_creator.py:519-595): per-class means of the plain backbone's feature
    /// (`plainFeatures`: CLS `norm(x)[:, 0]`, on MAE `norm(mean(x[:, 1:]))`; no prompts, eval mode) over the given samples (officially `init_sample_per_class` random
    /// training images per class, with training transforms), then cosine k-means from k random rows.
    public func initializeMapping(batches: [(images: Tensor, labels: [Int])], rng: inout RandomStream) {
        guard !allClasses && config.initial_mapping == "kmeans" && proxyLen > 0 else { return }
        for (x, y) in batches {
            var ctx = ForwardContext.eval
            let f = withoutGrad { plainFeatures(x, context: &ctx) }
            accumulateClassMeans(f, y)
        }
        updateMapping(classMeans: classMeans, centroids: nil, rng: &rng)
        classMeans = Array(repeating: Array(repeating: 0, count: vit.config.dim), count: numClasses)
        classCounts = Array(repeating: 0, count: numClasses)
    }

    /// The plain backbone's feature for the initial mapping (models/vit.py:64-85, eval mode): norm(x)[:, 0], or on MAE
    /// norm(mean(x[:, 1:])) — the mean of the image tokens first, then the final norm.
    public func plainFeatures(_ x: Tensor, context: inout ForwardContext) -> Tensor {
        guard globalPool else { return vit.features(x, context: &context) }
        let h = vit.encode(vit.embed(x), context: &context)
        return vit.norm(h.slice(axis: 1, 1, h.shape[1]).mean(axis: 1))
    }

    /// Before training: the initial class → proxy mapping from `init_sample_per_class` training images per class,
    /// taken in the shuffled epoch-0 order of the training loader (officially a random draw per class with
    /// training transforms, model_creator.py:519-595).
    public func prepare(trainingData: TrainingData) throws {
        guard !allClasses && config.initial_mapping == "kmeans" && proxyLen > 0 else { return }
        var taken = [Int](repeating: 0, count: numClasses)
        var batches: [(images: Tensor, labels: [Int])] = []
        let next = trainingData(0)
        while let (x, y) = try next(), taken.contains(where: { $0 < config.init_sample_per_class }) {
            let keep = y.indices.filter { i in
                guard taken[y[i]] < config.init_sample_per_class else { return false }
                taken[y[i]] += 1
                return true
            }
            if !keep.isEmpty { batches.append((x.indexSelect(axis: 0, keep), keep.map { y[$0] })) }
        }
        // The cosine k-means starts from k distinct class means (the official code fails here too).
        let seen = taken.filter { $0 > 0 }.count
        guard seen >= proxyLen else {
            throw MethodError("da-vpt: the initial k-means needs training images of at least \(proxyLen) classes (one per proxy), "
                              + "but the training data holds \(seen); use more classes or initial_mapping other than kmeans")
        }
        var rng = RandomStream(seed, 0x1417)
        initializeMapping(batches: batches, rng: &rng)
    }

    /// A probe's class → proxy mapping: the official model keeps it in its criterion (`VPTCriterion.update_mapping`,
    /// models/vpt.py:275-279), not in the state dict, so a probe file may carry it as `mapping` [C] (ints as floats).
    public func loadProbeState(from weights: StateDict) throws -> [String] {
        guard weights.contains("mapping") else { return [] }
        let (shape, values) = try weights.raw("mapping")
        let m = values.map { Int($0) }
        guard shape == [numClasses], m.allSatisfy({ $0 >= 0 && $0 < proxyLen }) else {
            throw MethodError("\(id): probe mapping has shape \(shape) or entries outside 0..<\(proxyLen); expected \(numClasses) classes")
        }
        mapping = m
        return ["mapping"]
    }

    /// Sets the mapping directly (parity probes replay a given mapping).
    public func setMapping(_ m: [Int]) {
        precondition(m.count == numClasses && m.allSatisfy { $0 >= 0 && $0 < proxyLen })
        mapping = m
    }

    /// Dynamic k-means at the end of every epoch ≥ dynamic_kmeans (train.py:187-195), warm-started.
    public func epochDidEnd(_ epoch: Int) {
        if config.dynamic_kmeans > 0 && epoch >= config.dynamic_kmeans {
            var rng = RandomStream(seed, UInt64(epoch), 0x6B6D)
            updateMapping(classMeans: classMeans, centroids: centroids, rng: &rng)
        }
        classMeans = Array(repeating: Array(repeating: 0, count: vit.config.dim), count: numClasses)
        classCounts = Array(repeating: 0, count: numClasses)
    }

    public func checkpointState() -> [String: Tensor] {
        var s = ["mapping": Tensor(mapping.map(Float.init), shape: [mapping.count])]
        if let c = centroids { s["centroids"] = Tensor(c.flatMap { $0 }, shape: [c.count, c[0].count]) }
        return s
    }

    public func restore(checkpointState s: [String: Tensor]) throws {
        if let m = s["mapping"] {
            guard m.count == numClasses else { throw MethodError("da-vpt: checkpoint mapping has \(m.count) classes, expected \(numClasses)") }
            mapping = m.scalars.map { Int($0) }
        }
        if let c = s["centroids"] {
            let d = c.shape[1], v = c.scalars
            centroids = (0..<c.shape[0]).map { Array(v[($0 * d)..<(($0 + 1) * d)]) }
        } else { centroids = nil }
    }

    /// `cosine_kmeans` (model_creator.py:196-256): all-zero rows are left out (and get random clusters);
    /// the rest are LayerNorm-ed without affine (eps 1e-5) when `layerNorm`; ≤ 20 iterations of (assign by max
    /// cosine, recompute means, empty cluster keeps its centroid), stop when Σ‖Δc‖ < 1e-4 (returning the
    /// centroids before that last update, as the official loop does). Returns (centroids [k][D], assignment [N]).
    public static func cosineKMeans(_ data: [[Float]], k: Int, centroids start: [[Float]]?, layerNorm: Bool,
                                    maxIter: Int = 20, tol: Float = 1e-4, rng: inout RandomStream) -> ([[Float]], [Int]) {
        let zero = data.map { $0.allSatisfy { $0 == 0 } }
        var x = data.indices.filter { !zero[$0] }.map { data[$0] }
        if layerNorm {
            x = x.map { r in
                let n = Float(r.count), mu = r.reduce(0, +) / n
                let v = r.reduce(0) { $0 + ($1 - mu) * ($1 - mu) } / n
                let inv = 1 / (v + 1e-5).squareRoot()
                return r.map { ($0 - mu) * inv }
            }
        }
        var c = start ?? rng.permutation(x.count).prefix(k).map { x[$0] }
        precondition(c.count == k, "cosine k-means needs at least k = \(k) non-zero rows, got \(x.count)")
        func norm(_ v: [Float]) -> Float { v.reduce(0) { $0 + $1 * $1 }.squareRoot() }
        var assign = [Int](repeating: 0, count: x.count)
        for _ in 0..<maxIter {
            let cn = c.map(norm)
            for (i, r) in x.enumerated() {
                let rn = norm(r)
                var best = 0, bestSim = -Float.infinity
                for j in 0..<k {
                    var dot: Float = 0
                    for t in 0..<r.count { dot += r[t] * c[j][t] }
                    let sim = dot / max(rn * cn[j], 1e-8)  // F.cosine_similarity, eps 1e-8
                    if sim > bestSim { bestSim = sim; best = j }
                }
                assign[i] = best
            }
            var next = c
            for j in 0..<k {
                let members = assign.indices.filter { assign[$0] == j }
                guard !members.isEmpty else { continue }
                var mean = [Float](repeating: 0, count: x[0].count)
                for i in members { for t in 0..<mean.count { mean[t] += x[i][t] } }
                next[j] = mean.map { $0 / Float(members.count) }
            }
            var shift: Float = 0
            for j in 0..<k { shift += norm(zip(c[j], next[j]).map { $0 - $1 }) }
            if shift < tol { break }
            c = next
        }
        var full = [Int](repeating: 0, count: data.count)
        var it = assign.makeIterator()
        for i in data.indices { full[i] = zero[i] ? rng.int(below: k) : it.next()! }
        return (c, full)
    }
}

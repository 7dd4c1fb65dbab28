// GateVPT — gated prompt tuning for self-supervised ViTs (Yoo et al., ICML 2023, "Improving Visual Prompt Tuning for
// Self-supervised Vision Transformers"). Official code: ryongithub/GatedPromptTuning @ dd7d1ea,
// src/models/vit_prompt/vit_mae.py and vit_moco.py (identical but for the pooling), vit_backbones/vit_mae.py (the
// block with an attention temperature), vit_models.py (SSLViT: freezing rule, head). Shapes: B batch, P prompts,
// D width, L blocks.
//
//   x = [CLS; dropout(P₀); patches + pos]                                          (incorporate_prompt)
//   temp ← clamp(temp, TEMP_MIN, TEMP_MAX) in place, every forward (reinit_temp, not differentiable)
//   for block i:  pᵢₙ = x[:, 1:1+P]
//                 x = x + Attn_i(LN1(x)) with softmax((q kᵀ · d^−½) / temp[i]);  x = x + MLP(LN2(x))
//                 if i < GATE_NUM: g = σ(gate_logit[i]); x[:, 1:1+P] = g · x[:, 1:1+P] + (1 − g) · pᵢₙ
//   "original" pooling: MAE → norm(mean(x[:, 1:]))   (prompts included, the encoder's pretrained `norm`)
//                       MoCo v3 → norm(x)[:, 0]
//   logits = head(feature); loss = mean softmax cross-entropy (no extra term)
//
// Trainable (vit_models.py:121-142): `enc.prompt_embeddings`, `enc.gate_logit` [GATE_NUM], `enc.temp` [TEMP_NUM]
// (when TEMP_LEARN), and the head `head.last_layer` (MLP with special_bias, = ClassifierHead). Init: prompts
// U(±√(6 / (3·patch² + D))) (vit_mae.py:41-46), gate logits −GATE_INIT (vit_mae.py:61-63), temperatures 1
// (vit_mae.py:36-37). The encoder runs in eval mode while training (the `train` override, vit_mae.py:93-104: blocks,
// patch_embed and pos_drop in eval — no drop-path); only the prompt dropout acts.
// Which pooling the "original" type means depends on the backbone family (DATA.FEATURE mae_* / mocov3_*): the
// `FEATURE` option, else the backbone the cell runs on (vit-b16-mae, vit-b16-mocov3).
// Official quirks kept as they are (none changes results against the paper's own code): the MAE feature averages the
// prompt tokens too and is normalised by the pretrained encoder `norm`, not MAE's fine-tuning `fc_norm`; the last
// block (i ≥ GATE_NUM = 11 of 12) is never gated.
import Backbones
import Engine
import Foundation
import Random

/// GateVPT options, named as the official config names them (`MODEL.PROMPT.*`, `DATA.FEATURE`). Defaults: the values
/// run.sh:143-163 fixes (DROPOUT 0.1, TEMP_LEARN, GATE_PRIOR, DEEP False, pool "original"), else src/configs/config.py.
public struct GateVPTConfig: Codable, Sendable, Equatable {
    public var NUM_TOKENS: Int = 5            // config.py:50 (run.sh:145 takes argument 5)
    public var DROPOUT: Double = 0.1          // run.sh:148 MODEL.PROMPT.DROPOUT "0.1"
    public var DEEP: Bool = false             // run.sh:151 MODEL.PROMPT.DEEP "False"
    public var GATE_PRIOR: Bool = true        // run.sh:160
    public var GATE_NUM: Int = 11             // config.py:79
    public var GATE_INIT: Double = 10         // config.py:80 (run.sh:161 takes argument 6)
    public var TEMP: Double = 1.0             // config.py:81 (used when TEMP_LEARN is false)
    public var TEMP_LEARN: Bool = true        // run.sh:159
    public var TEMP_NUM: Int = 12             // config.py:83
    public var TEMP_MIN: Double = 0.01        // config.py:84
    public var TEMP_MAX: Double = 10.0        // config.py:85
    public var VIT_POOL_TYPE: String = "original"   // run.sh:162
    /// `mae_vitb16` / `mocov3_vitb16` (DATA.FEATURE); absent: from the backbone id.
    public var FEATURE: String? = nil

    static let known: Set<String> = ["NUM_TOKENS", "DROPOUT", "DEEP", "GATE_PRIOR", "GATE_NUM", "GATE_INIT", "TEMP", "TEMP_LEARN",
                                     "TEMP_NUM", "TEMP_MIN", "TEMP_MAX", "VIT_POOL_TYPE", "FEATURE"]

    public init() {}

    static func decode(_ options: MethodOptions) throws -> GateVPTConfig {
        let unknown = Set(options.keys).subtracting(known)
        guard unknown.isEmpty else {
            throw MethodError("gatevpt: unknown option(s) \(unknown.sorted().joined(separator: ", ")); known: \(known.sorted().joined(separator: ", "))")
        }
        var merged = try JSONSerialization.jsonObject(with: JSONEncoder().encode(GateVPTConfig())) as! [String: Any]
        let given = try JSONSerialization.jsonObject(with: JSONEncoder().encode(options)) as! [String: Any]
        merged.merge(given) { $1 }
        do { return try JSONDecoder().decode(GateVPTConfig.self, from: JSONSerialization.data(withJSONObject: merged)) } catch {
            throw MethodError("gatevpt: bad options \(options): \(error)")
        }
    }
}

/// GateVPT on an MAE or MoCo v3 ViT.
public final class GateVPT: BackboneWithHead {
    public let config: GateVPTConfig
    /// MAE's "original" pooling (mean of the non-CLS tokens, then norm) rather than MoCo v3's (CLS after norm).
    public let meanPool: Bool
    /// `enc.prompt_embeddings` [1, P, D].
    public let prompt: Parameter
    /// `enc.gate_logit` [GATE_NUM] (GATE_PRIOR only).
    public let gateLogit: Parameter?
    /// `enc.temp` [TEMP_NUM] (TEMP_LEARN only).
    public let temp: Parameter?

    public init(setup: MethodSetup) throws {
        let c = try GateVPTConfig.decode(setup.options)
        guard let vc = setup.backbone.vit?.config else { throw MethodError("gatevpt needs a ViT backbone") }
        let feature = c.FEATURE ?? setup.backboneId.flatMap { id in
            id.contains("mae") ? "mae_vitb16" : id.contains("moco") ? "mocov3_vitb16" : nil
        }
        guard let feature else {
            throw MethodError("gatevpt runs on MAE or MoCo v3 ViTs (SSLViT, vit_models.py:72-81) and pools by family; set option FEATURE (mae_vitb16 or mocov3_vitb16) for backbone \(setup.backboneId ?? "(unnamed)")")
        }
        if feature.contains("mae") { meanPool = true } else if feature.contains("moco") { meanPool = false } else {
            throw MethodError("gatevpt: FEATURE '\(feature)' is neither MAE (mae_*) nor MoCo v3 (mocov3_*), the only encoders build_vit_backbone.py builds")
        }
        guard !c.DEEP else { throw MethodError("gatevpt: DEEP true runs the official deep branch without gates or temperatures (vit_mae.py:114-130); GateVPT is shallow (run.sh:151)") }
        guard c.NUM_TOKENS > 0 else { throw MethodError("gatevpt: NUM_TOKENS must be positive") }
        guard ["original", "imgprompt_pool", "img_pool", "prompt_pool"].contains(c.VIT_POOL_TYPE) else {
            throw MethodError("gatevpt: VIT_POOL_TYPE '\(c.VIT_POOL_TYPE)' is not original, imgprompt_pool, img_pool or prompt_pool")
        }
        if c.TEMP_LEARN && c.TEMP_NUM < vc.depth {
            throw MethodError("gatevpt: TEMP_NUM \(c.TEMP_NUM) < \(vc.depth) blocks (the official forward indexes temp[i] for every block)")
        }
        guard c.GATE_NUM >= 0, c.TEMP_MIN <= c.TEMP_MAX, c.TEMP > 0 else { throw MethodError("gatevpt: bad GATE_NUM / TEMP range in \(c)") }
        config = c
        let bound = Float((6.0 / Double(3 * vc.patchSize * vc.patchSize + vc.dim)).squareRoot())
        var rng = setup.rng.child(1)
        prompt = Parameter("enc.prompt_embeddings", Init.uniform([1, c.NUM_TOKENS, vc.dim], -bound, bound, rng: &rng), trainable: true)
        gateLogit = c.GATE_PRIOR
            ? Parameter("enc.gate_logit", Tensor(repeating: -Float(c.GATE_INIT), shape: [c.GATE_NUM]), trainable: true) : nil
        temp = c.TEMP_LEARN ? Parameter("enc.temp", Tensor(repeating: 1, shape: [c.TEMP_NUM]), trainable: true) : nil
        try super.init(id: "gatevpt", setup: setup, naming: .timm) { _ in false }
    }

    public override var parameters: [Parameter] {
        vit.parameters + [prompt] + (gateLogit.map { [$0] } ?? []) + (temp.map { [$0] } ?? []) + head.parameters
    }

    public override func role(of p: Parameter) -> ParameterRole {
        p === prompt || p === gateLogit || p === temp ? .prompt : super.role(of: p)
    }

    /// `reinit_temp` (vit_mae.py:106-108): the stored temperatures are clamped in place before every forward.
    func clampTemperatures() {
        guard let t = temp?.value else { return }
        let lo = Float(config.TEMP_MIN), hi = Float(config.TEMP_MAX)
        for i in 0..<t.count { t.data[i] = min(max(t.data[i], lo), hi) }
    }

    /// One block with the attention logits divided by `temperature` ([1] tensor, or nil for a constant).
    func block(_ blk: ViTBlock, _ x: Tensor, temperature: Tensor?) -> Tensor {
        let b = x.shape[0], n = x.shape[1], d = x.shape[2]
        var (q, k, v) = blk.queryKeyValue(blk.norm1(x))
        let scale = 1 / Float(d / blk.heads).squareRoot()
        // (q kᵀ · scale) / t = (q / t) kᵀ · scale: the division moves onto q so the gradient reaches t.
        if let temperature { q = q / temperature }
        let constant = temperature == nil ? Float(config.TEMP) : 1
        let o = Tensor.attention(q, k, v, scale: scale / constant)
        let h = x + blk.proj(o.transposed(1, 2).reshaped([b, n, d]))
        return h + blk.mlp(blk.norm2(h))
    }

    public override func logits(_ images: Tensor, context: inout ForwardContext) -> Tensor {
        let n = config.NUM_TOKENS
        var x = vit.embed(images)  // patch_embed, [CLS; ·], + pos_embed; pos_drop p = 0 and in eval
        let b = x.shape[0], total = x.shape[1], d = x.shape[2]
        var p = prompt.value.expand([b, n, d])
        if context.training && config.DROPOUT > 0 { p = p.dropout(Float(config.DROPOUT), rng: &context.rng) }
        x = Tensor.concat([x.slice(axis: 1, 0, 1), p, x.slice(axis: 1, 1, total)], axis: 1)
        clampTemperatures()
        let all = x.shape[1]
        for blk in vit.blocks {
            let i = blk.index
            let gated = gateLogit != nil && i < config.GATE_NUM
            let promptIn = gated ? x.slice(axis: 1, 1, 1 + n) : nil
            x = block(blk, x, temperature: temp?.value.rows(i, i + 1))
            if let promptIn, let gateLogit {
                let g = gateLogit.value.rows(i, i + 1).sigmoid()
                let mixed = g * x.slice(axis: 1, 1, 1 + n) + (1 - g) * promptIn
                x = Tensor.concat([x.slice(axis: 1, 0, 1), mixed, x.slice(axis: 1, 1 + n, all)], axis: 1)
            }
        }
        let f: Tensor
        switch config.VIT_POOL_TYPE {
        case "original" where !meanPool:
            f = vit.norm(x.slice(axis: 1, 0, 1)).reshaped([b, d])  // norm is per token: norm(x)[:, 0] = norm(x[:, 0])
        case "original", "imgprompt_pool": f = vit.norm(x.slice(axis: 1, 1, all).mean(axis: 1))
        case "img_pool": f = vit.norm(x.slice(axis: 1, 1 + n, all).mean(axis: 1))
        default: f = vit.norm(x.slice(axis: 1, 1, 1 + n).mean(axis: 1))  // prompt_pool
        }
        return head(f)
    }
}

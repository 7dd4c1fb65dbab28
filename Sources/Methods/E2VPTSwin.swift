// E2VPT on Swin (transfer type "P_VK", MODEL.TYPE "swin") — the official Swin model of ChengHan111/E2VPT @ 7a66e75:
// `src/models/vit_prompt/swin_transformer_prompt_VK.py` (PromptedSwinTransformer_Prompt_VK, PromptedPatchMerging,
// PromptedSwinTransformerBlock, PromptedWindowAttention) on the BasicLayer of `src/models/vit_backbones/swin_transformer.py`,
// built by `build_vit_backbone.py:193-205` (`swinb_imagenet22k_224`) and wrapped by `vit_models.py` `Swin` (P_VK freezing
// rule: tensors whose name holds "QKV" or "prompt" train, plus the head `head.last_layer`).
//
// Shapes: B batch, P visual prompts (NUM_TOKENS_P), K key/value prompts (NUM_TOKENS), stage s of width C_s, resolution R_s,
// window w (N = w² tokens), nW windows per image, h_s heads of size d_s = C_s/h_s.
//   x = [drop_p(P₀)·masks; PatchEmbed(img)]                                   [B, P + R_0², C_0]   (:226-255)
//   stage s, block j (BasicLayer.forward, swin_transformer.py:462-497; DEEP_P, :322-352):
//     s = 0, j ≥ 1: prompt slots ← drop_p(deep_0)[j − 1];  s ≥ 1, every j: prompt slots ← drop_p(deep_s)[j]
//     block (:460-537): y = norm1(x); prompts y_p [B, P, C], image → (shifted) windows [B·nW, N, C];
//       window row i (= b·nW + w, batch-major) is prefixed with the prompts of batch slot i mod B: the official
//       `prompt_emb.unsqueeze(0).expand(nW, …).reshape(-1, P, C)` is window-major (a batch mix-up that only shows when
//       the prompts differ per image: the first block in training, or DEEP_P off);
//       attention over the P + N tokens with keys/values [E_s,j; k] (LAYER_BEHIND) or [k; E_s,j], E [h, K, d] shared
//       by keys and values (SHARE_PARAM_KV; unshared is "not supported" in the official Swin code);
//       additive term: the relative-position bias (+ the shift mask) padded with zeros in front: P zero rows and
//       P + K zero columns (:612-650) — the columns line up with the image keys only with LAYER_BEHIND; with
//       [k; E] the bias of image key j lands on key j + K (official bug, reproduced; FIXED_SWIN_KV_BIAS aligns it);
//       prompt outputs = the mean over the rows i ≡ b (mod B); image windows reversed, shift undone;
//       x = x + [prompt outputs; image];  x = x + MLP(norm2(x)).
//     PatchMerging (:372-437): image 2×2 merge; prompts [p; p; p; p] (4C); then both through norm and reduction.
//   features = mean over all P + R_3² tokens of norm(x) (:354-356: the prompts are pooled too); logits = head(features).
// The visual-prompt masks (MASK_CLS_TOKEN) scale only the first-stage prompts P₀ (the deep-prompt masking is commented
// out, :336-349) — unlike the ViT model, whose masks scale every layer's prompts.
// model.train() (:308-320) switches every child module to eval but the prompt dropout: only DROPOUT_P acts in training
// (QKV_dropout, drop path and the backbone's dropouts stay off, so DROPOUT and DEEP have no effect here; every block
// holds its K/V prompts).
import Backbones
import Engine
import Foundation
import Random

/// E2VPT on a Swin with four stages (the official deep prompts are hard-coded for four: `deep_prompt_embeddings_0…3`).
public final class E2VPTSwin: E2VPTMasking {
    public let id = "e2vpt"
    public let config: E2VPTConfig
    public let swin: Swin
    /// `enc.prompt_embeddings` [1, P, C_0].
    public let prompt: Parameter
    /// `enc.deep_prompt_embeddings_{s}`: [depth_0 − 1, P, C_0], then [depth_s, P, C_s] (DEEP_P).
    public let deepPrompts: [Parameter]
    /// `enc.layers.{s}.blocks.{j}.attn.deep_QKV_embeddings` [h_s, K, d_s], per stage and block.
    public let keyValuePrompts: [[Parameter]]
    public let tokenMask: Parameter?, pieceMask: Parameter?
    public let head: ClassifierHead
    static let prefix = "enc."

    public init(setup: MethodSetup) throws {
        let config = try setup.options.decode(E2VPTConfig.self, method: "e2vpt", known: E2VPTConfig.known)
        guard let swin = setup.backbone.swin else { throw MethodError("e2vpt-swin needs a Swin backbone") }
        let c = swin.config
        guard c.stageCount == 4 else { throw MethodError("e2vpt on Swin: the official deep prompts are written for 4 stages, this Swin has \(c.stageCount)") }
        let p = config.NUM_TOKENS_P, k = config.NUM_TOKENS
        guard p > 0, k > 0 else { throw MethodError("e2vpt: NUM_TOKENS_P and NUM_TOKENS must be positive") }
        guard config.SHARE_PARAM_KV else {
            throw MethodError("e2vpt on Swin: SHARE_PARAM_KV false is not supported by the official Swin model (\"Not supported for unshare VK in swin setting\", swin_transformer_prompt_VK.py:575)")
        }
        self.config = config
        self.swin = swin
        for q in swin.parameters { q.trainable = false }
        var rng = setup.rng.child(1)
        let pre = Self.prefix
        // Visual prompts: uniform ±√(6/(3·patch² + C_0)) (:122, :156-187).
        let bound = Float((6.0 / Double(3 * c.patchSize * c.patchSize + c.embedDim)).squareRoot())
        prompt = Parameter(pre + "prompt_embeddings", Init.uniform([1, p, c.embedDim], -bound, bound, rng: &rng), trainable: true)
        deepPrompts = config.DEEP_P ? (0..<4).map { s in
            let rows = s == 0 ? c.depths[0] - 1 : c.depths[s]
            return Parameter(pre + "deep_prompt_embeddings_\(s)", Init.uniform([rows, p, c.dim(s)], -bound, bound, rng: &rng), trainable: true)
        } : []
        // K/V prompts (:556-573): kaiming_uniform_(a=0, fan_in = K·d) ⇒ bound √(6/(K·d)), whatever ORIGIN_INIT says —
        // the Swin attention compares it with the strings '0' and '1' while yacs holds an int, so its other inits never run.
        keyValuePrompts = (0..<4).map { s in
            let h = c.numHeads[s], d = c.dim(s) / h, kb = Float((6.0 / Double(k * d)).squareRoot())
            return (0..<c.depths[s]).map { j in
                Parameter(pre + "layers.\(s).blocks.\(j).attn.deep_QKV_embeddings", Init.uniform([h, k, d], -kb, kb, rng: &rng), trainable: true)
            }
        }
        let pieces = config.CLS_TOKEN_P_PIECES_NUM
        if config.MASK_CLS_TOKEN && config.CLS_TOKEN_MASK_PIECES {
            guard pieces > 0, c.embedDim % pieces == 0 else { throw MethodError("e2vpt: CLS_TOKEN_P_PIECES_NUM \(pieces) must divide the width \(c.embedDim)") }
        }
        tokenMask = config.MASK_CLS_TOKEN && config.CLS_TOKEN_MASK
            ? Parameter(pre + "prompt_soft_tokens_mask_cls_token", Tensor(repeating: 1, shape: [p]), trainable: true) : nil
        pieceMask = config.MASK_CLS_TOKEN && config.CLS_TOKEN_MASK_PIECES
            ? Parameter(pre + "prompt_soft_tokens_pieces_mask_cls_token", Tensor(repeating: 1, shape: [p, pieces]), trainable: true) : nil
        var headRng = setup.rng
        let classes = (config.FIXED_NUMBER_CLASSES ? nil : config.NUMBER_CLASSES) ?? setup.numClasses
        head = ClassifierHead(inFeatures: c.featureDim, classes: classes, rng: &headRng)
        try applyRewindStatus()
    }

    var ownParameters: [Parameter] { [prompt] + deepPrompts + keyValuePrompts.flatMap { $0 } + [tokenMask, pieceMask].compactMap { $0 } }
    public var parameters: [Parameter] { swin.parameters + ownParameters + head.parameters }
    public var officialBackbone: (naming: ViTNaming, prefix: String) { (.timm, Self.prefix) }
    public var backboneViT: ViT? { nil }
    public var backboneSwin: (model: Swin, prefix: String)? { (swin, Self.prefix) }

    public func parameterGroups(lr: Float, weightDecay: Float) -> [ParamGroup] {
        // src/solver/optimizer.py (KMnP/vpt's): one group per tensor; no decay on `last_layer.bias`.
        perTensorGroups(lr: lr, weightDecay: weightDecay) { $0.name.hasSuffix("last_layer.bias") }
    }

    public func role(of p: Parameter) -> ParameterRole {
        if p.name.contains("prompt") || p.name.contains("QKV") { return .prompt }
        return p.name.hasPrefix("head.") ? .head : .other
    }

    public func checkpointState() -> [String: Tensor] { maskCheckpointState() }
    public func restore(checkpointState s: [String: Tensor]) throws { try restoreMasks(s) }

    /// Trainable count of the official model: prompts, deep prompts, K/V prompts, masks, head (MLP_NUM 0).
    public static func trainableCount(_ c: SwinConfig, _ o: E2VPTConfig, classes: Int) -> Int {
        let p = o.NUM_TOKENS_P
        var n = p * c.embedDim
        if o.DEEP_P { n += (0..<4).map { s in (s == 0 ? c.depths[0] - 1 : c.depths[s]) * p * c.dim(s) }.reduce(0, +) }
        n += (0..<4).map { s in c.depths[s] * o.NUM_TOKENS * c.dim(s) }.reduce(0, +)
        if o.MASK_CLS_TOKEN && o.CLS_TOKEN_MASK { n += p }
        if o.MASK_CLS_TOKEN && o.CLS_TOKEN_MASK_PIECES { n += p * o.CLS_TOKEN_P_PIECES_NUM }
        return n + classes * (c.featureDim + 1)
    }

    // MARK: - forward

    /// Mask factor [P, C_0]: Mpiece.repeat(1, C_0/S) ⊙ Mtok[:, None] (:240-249; column c ↦ piece c mod S), or nil.
    func maskFactor() -> Tensor? {
        var m: Tensor? = nil
        if let pm = pieceMask {
            m = Tensor.concat(Array(repeating: pm.value, count: swin.config.embedDim / config.CLS_TOKEN_P_PIECES_NUM), axis: 1)
        }
        if let tm = tokenMask {
            let t = tm.value.reshaped([config.NUM_TOKENS_P, 1])
            m = m.map { $0 * t } ?? t
        }
        return m
    }

    func dropPrompt(_ x: Tensor, _ context: inout ForwardContext) -> Tensor {
        guard context.training && config.DROPOUT_P > 0 else { return x }
        return x.dropout(Float(config.DROPOUT_P), rng: &context.rng)
    }

    public func logits(_ images: Tensor, context: inout ForwardContext) -> Tensor {
        let p = config.NUM_TOKENS_P, c = swin.config
        var x = swin.patchEmbed(images)
        let b = x.shape[0]
        // incorporate_prompt: dropout on the prompts expanded over the batch, then the masks.
        var first = dropPrompt(prompt.value.expand([b, p, c.embedDim]), &context)
        if let m = maskFactor() { first = first * m }
        x = Tensor.concat([first, x], axis: 1)
        for s in 0..<4 {
            // The deep prompts of a stage go through the dropout once per forward (:334), shared by the batch.
            let deep = config.DEEP_P ? dropPrompt(deepPrompts[s].value, &context) : nil
            for j in 0..<c.depths[s] {
                if let deep, s > 0 || j > 0 {
                    let row = s == 0 ? j - 1 : j
                    let total = x.shape[1]
                    x = Tensor.concat([deep.rows(row, row + 1).expand([b, p, c.dim(s)]), x.slice(axis: 1, p, total)], axis: 1)
                }
                x = block(s, j, x)
            }
            x = merge(s, x)
        }
        return head(swin.pool(x))
    }

    /// PatchMerging with prompts: the image part merged as usual, the prompts as [p; p; p; p], both normed and reduced.
    func merge(_ s: Int, _ x: Tensor) -> Tensor {
        guard let layers = swin.downsampleParts(stage: s) else { return x }
        let p = config.NUM_TOKENS_P, total = x.shape[1]
        let prompts = x.slice(axis: 1, 0, p)
        let up = Tensor.concat([prompts, prompts, prompts, prompts], axis: 2)
        return Tensor.concat([layers.reduction(layers.norm(up)), swin.downsample(stage: s, x.slice(axis: 1, p, total))], axis: 1)
    }

    /// One prompted Swin block, [B, P + R², C] → [B, P + R², C].
    func block(_ s: Int, _ j: Int, _ x: Tensor) -> Tensor {
        let parts = swin.blockParts(stage: s, j)
        let p = config.NUM_TOKENS_P, k = config.NUM_TOKENS
        let b = x.shape[0], c = x.shape[2], r = parts.resolution, w = parts.window, n = w * w, nW = (r / w) * (r / w)
        let heads = parts.heads, d = c / heads, rows = b * nW
        let y = parts.norm1(x)
        var img = y.slice(axis: 1, p, p + r * r).reshaped([b, r, r, c])
        if parts.shift > 0 { img = Swin.roll(Swin.roll(img, -parts.shift, axis: 1), -parts.shift, axis: 2) }
        let windows = img.reshaped([b, r / w, w, r / w, w, c]).permuted([0, 1, 3, 2, 4, 5]).reshaped([rows, n, c])
        // Window-major prompt rows (row i carries batch slot i mod B), as the official expand + reshape.
        let promptRows = y.slice(axis: 1, 0, p).reshaped([1, b, p, c]).expand([nW, b, p, c]).reshaped([rows, p, c])
        let tokens = Tensor.concat([promptRows, windows], axis: 1)
        let t = parts.qkv(tokens).reshaped([rows, p + n, 3, heads, d]).permuted([2, 0, 3, 1, 4])
        var q = t.rows(0, 1).reshaped([rows, heads, p + n, d])
        var kk = t.rows(1, 2).reshaped([rows, heads, p + n, d]), vv = t.rows(2, 3).reshaped([rows, heads, p + n, d])
        let e = keyValuePrompts[s][j].value.reshaped([1, heads, k, d]).expand([rows, heads, k, d])
        if config.LAYER_BEHIND {
            kk = Tensor.concat([e, kk], axis: 2); vv = Tensor.concat([e, vv], axis: 2)
        } else {
            kk = Tensor.concat([kk, e], axis: 2); vv = Tensor.concat([vv, e], axis: 2)
        }
        let m = p + n + k
        let bias = paddedBias(parts.attentionBias, prompts: p, keyPrompts: k, window: n)
        if parts.shift > 0 {
            // One mask per window: view the B·nW windows × heads as B × (nW·heads) "heads" (same memory order).
            q = q.reshaped([b, nW * heads, p + n, d]); kk = kk.reshaped([b, nW * heads, m, d]); vv = vv.reshaped([b, nW * heads, m, d])
        }
        let a = Tensor.attention(q, kk, vv, mask: bias, scale: 1 / Float(d).squareRoot())
        let out = parts.proj(a.reshaped([rows, heads, p + n, d]).permuted([0, 2, 1, 3]).reshaped([rows, p + n, c]))
        let promptOut = out.slice(axis: 1, 0, p).reshaped([nW, b, p, c]).mean(axis: 0)
        var h = out.slice(axis: 1, p, p + n).reshaped([b, r / w, r / w, w, w, c]).permuted([0, 1, 3, 2, 4, 5]).reshaped([b, r, r, c])
        if parts.shift > 0 { h = Swin.roll(Swin.roll(h, parts.shift, axis: 1), parts.shift, axis: 2) }
        let z = x + Tensor.concat([promptOut, h.reshaped([b, r * r, c])], axis: 1)
        return z + parts.fc2(parts.fc1(parts.norm2(z)).gelu())
    }

    /// The official padding of the additive term [1, X, N, N] → [1, X, P + N, P + K + N]: zeros for the P prompt rows
    /// and the first P + K columns (:612-650). With LAYER_BEHIND the keys are [E; prompts; image] and the columns line
    /// up; with [prompts; image; E] they do not (reproduced) unless FIXED_SWIN_KV_BIAS puts the image columns at P…P+N.
    func paddedBias(_ bias: Tensor, prompts p: Int, keyPrompts k: Int, window n: Int) -> Tensor {
        let x = bias.shape[1], m = p + k + n
        let out = Tensor(zeros: [1, x, p + n, m])
        let colOffset = (!config.LAYER_BEHIND && config.FIXED_SWIN_KV_BIAS) ? p : p + k
        let src = bias.data, dst = out.data
        for h in 0..<x {
            for i in 0..<n {
                let s = src + (h * n + i) * n, t = dst + (h * (p + n) + p + i) * m + colOffset
                for j in 0..<n { t[j] = s[j] }
            }
        }
        return out
    }
}

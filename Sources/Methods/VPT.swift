// VPT — Visual Prompt Tuning (Jia et al., ECCV 2022), "prepend" location, shallow and deep.
// Official code: KMnP/vpt `src/models/vit_prompt/vit.py` (spec: shared/design/methods/vpt.md).
//   h0 = [CLS; dropout(P₀); patches]  → block 0
//   deep: before block i ≥ 1, the P prompt slots are replaced by dropout(Pᵢ) (previous prompt outputs discarded)
//   logits = head(encoder_norm(h)[:, 0])
// The backbone stays in eval mode (its dropout off); only the prompt dropout is active in training.
import Backbones
import Engine
import Foundation
import Random

/// VPT options, with the official config names (`MODEL.PROMPT.*`).
public struct VPTConfig: Codable, Sendable, Equatable {
    public var NUM_TOKENS: Int = 10
    public var DEEP: Bool = true
    /// Dropout on the expanded prompts (`prompt_dropout`); the demo/tune scripts use 0.1 for deep.
    public var DROPOUT: Double = 0.0
    static let known: Set<String> = ["NUM_TOKENS", "DEEP", "DROPOUT"]

    public init() {}

    // Missing keys take the defaults above (the synthesised decoder would require every key).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = VPTConfig()
        NUM_TOKENS = try c.decodeIfPresent(Int.self, forKey: .NUM_TOKENS) ?? d.NUM_TOKENS
        DEEP = try c.decodeIfPresent(Bool.self, forKey: .DEEP) ?? d.DEEP
        DROPOUT = try c.decodeIfPresent(Double.self, forKey: .DROPOUT) ?? d.DROPOUT
    }
}

/// VPT-shallow / VPT-deep on a ViT.
public final class VPT: BackboneWithHead {
    public let config: VPTConfig
    /// `enc.transformer.prompt_embeddings` [1, P, D].
    public let prompt: Parameter
    /// `enc.transformer.deep_prompt_embeddings` [L − 1, P, D] (deep only).
    public let deepPrompt: Parameter?

    public init(id: String, setup: MethodSetup, deepDefault: Bool) throws {
        var opts = setup.options
        if opts["DEEP"] == nil { opts["DEEP"] = .bool(deepDefault) }
        let config = try opts.decode(VPTConfig.self, method: id, known: VPTConfig.known)
        guard let c = setup.backbone.vit?.config else { throw MethodError("\(id) needs a ViT backbone") }
        self.config = config
        let p = config.NUM_TOKENS
        // Xavier-uniform-like bound of KMnP/vpt vit.py:55-62: √(6 / (3·patch² + D)) = 0.0625 for B/16.
        let bound = Float((6.0 / Double(3 * c.patchSize * c.patchSize + c.dim)).squareRoot())
        var rng = setup.rng.child(1)
        prompt = Parameter("enc.transformer.prompt_embeddings", Init.uniform([1, p, c.dim], -bound, bound, rng: &rng), trainable: true)
        deepPrompt = config.DEEP
            ? Parameter("enc.transformer.deep_prompt_embeddings", Init.uniform([c.depth - 1, p, c.dim], -bound, bound, rng: &rng), trainable: true)
            : nil
        try super.init(id: id, setup: setup) { _ in false }
    }

    public override var parameters: [Parameter] { vit.parameters + [prompt] + (deepPrompt.map { [$0] } ?? []) + head.parameters }

    /// Prompts of one layer expanded to the batch, with prompt dropout in training.
    func prompts(_ layer: Int, batch b: Int, context: inout ForwardContext) -> Tensor {
        let d = vit.config.dim, n = config.NUM_TOKENS
        let source = layer == 0 ? prompt.value : deepPrompt!.value.rows(layer - 1, layer)
        let expanded = source.expand([b, n, d])
        guard context.training && config.DROPOUT > 0 else { return expanded }
        return expanded.dropout(Float(config.DROPOUT), rng: &context.rng)
    }

    public override func logits(_ images: Tensor, context: inout ForwardContext) -> Tensor {
        let n = config.NUM_TOKENS
        var ctx = context
        var hooks = ViTHooks()
        hooks.beforeBlock = { [self] i, h in
            let b = h.shape[0], total = h.shape[1]
            if i == 0 {
                return Tensor.concat([h.slice(axis: 1, 0, 1), prompts(0, batch: b, context: &ctx), h.slice(axis: 1, 1, total)], axis: 1)
            }
            guard deepPrompt != nil else { return h }
            return Tensor.concat([h.slice(axis: 1, 0, 1), prompts(i, batch: b, context: &ctx), h.slice(axis: 1, 1 + n, total)], axis: 1)
        }
        var backboneCtx = ForwardContext.eval  // KMnP/vpt keeps the encoder in eval mode while training prompts
        let f = vit.features(images, hooks: hooks, context: &backboneCtx)
        context.rng = ctx.rng
        return head(f)
    }
}

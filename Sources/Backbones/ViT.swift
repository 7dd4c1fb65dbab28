// Vision Transformer (Dosovitskiy et al. 2021), timm layout, with the extension points prompt methods need.
// Shapes: B batch, N tokens (1 CLS + patches, plus any inserted prompts), D width, H heads, d = D / H.
//   x [B, 3, S, S] → patch conv (P×P, stride P) → [B, N−1, D] → [CLS; patches] + pos → blocks → norm → readout
// Block (pre-norm): x = x + Attn(LN1(x)); x = x + MLP(LN2(x)), MLP = fc1 → GELU → fc2.
import Engine
import Foundation
import Random

/// ViT hyper-parameters.
public struct ViTConfig: Codable, Sendable, Equatable {
    public var imageSize: Int
    public var patchSize: Int
    public var channels: Int = 3
    public var dim: Int
    public var depth: Int
    public var heads: Int
    public var mlpDim: Int
    /// Classifier outputs of the backbone's own head; 0 = no head (methods attach their own).
    public var numClasses: Int = 0
    /// DAM-VP's IN-21k checkpoint has a representation layer: tanh(Linear(D, D)) on the CLS feature.
    public var preLogits: Bool = false
    public var layerNormEps: Float = 1e-6

    public init(imageSize: Int, patchSize: Int, channels: Int = 3, dim: Int, depth: Int, heads: Int, mlpDim: Int,
                numClasses: Int = 0, preLogits: Bool = false, layerNormEps: Float = 1e-6) {
        self.imageSize = imageSize; self.patchSize = patchSize; self.channels = channels; self.dim = dim
        self.depth = depth; self.heads = heads; self.mlpDim = mlpDim; self.numClasses = numClasses
        self.preLogits = preLogits; self.layerNormEps = layerNormEps
    }

    /// ViT-B/16 at 224 (86M backbone parameters without head).
    public static func vitB16(numClasses: Int = 0, preLogits: Bool = false) -> ViTConfig {
        ViTConfig(imageSize: 224, patchSize: 16, dim: 768, depth: 12, heads: 12, mlpDim: 3072, numClasses: numClasses, preLogits: preLogits)
    }

    public var gridSize: Int { imageSize / patchSize }
    public var numPatches: Int { gridSize * gridSize }
    public var headDim: Int { dim / heads }

    /// Parameter count from the config alone (no allocation).
    public var parameterCount: Int {
        let patch = dim * channels * patchSize * patchSize + dim
        let block = 2 * 2 * dim + (3 * dim * dim + 3 * dim) + (dim * dim + dim) + (dim * mlpDim + mlpDim) + (mlpDim * dim + dim)
        let head = numClasses > 0 ? dim * numClasses + numClasses : 0
        return patch + dim + (numPatches + 1) * dim + depth * block + 2 * dim + (preLogits ? dim * dim + dim : 0) + head
    }
}

/// Training-time behaviour of one forward pass: dropout/drop-path switches and their random stream.
public struct ForwardContext {
    public var training: Bool
    public var dropPath: Float
    /// The backbone's own dropout (jeonsworld/KMnP-vpt `dropout_rate`): after the position embedding and twice in
    /// each MLP (after GELU, after fc2). Attention dropout is 0 in every official config, so it has no switch.
    /// Only KMnP/vpt's full fine-tuning trains with it on; everything else keeps the backbone in eval mode.
    public var dropout: Float = 0
    public var rng: RandomStream
    public init(training: Bool = false, dropPath: Float = 0, rng: RandomStream = RandomStream(0)) {
        self.training = training; self.dropPath = dropPath; self.rng = rng
    }
    /// Whether the backbone's dropout layers act in this pass.
    public var dropsOut: Bool { training && dropout > 0 }
    public static var eval: ForwardContext { ForwardContext() }
}

/// Optional hooks into the forward pass; every method attaches through these.
public struct ViTHooks {
    /// Edits the input image before patch embedding (InsVP, DAM-VP, ILM-VP-style pixel prompts).
    public var input: ((Tensor) -> Tensor)?
    /// Edits the token sequence [B, N, D] before block `i` (VPT prompt insertion / replacement).
    public var beforeBlock: ((Int, Tensor) -> Tensor)?
    /// Extends keys and values [B, H, M, d] of block `i` after projection (E2VPT K/V prompts).
    public var extraKeyValues: ((Int, Tensor, Tensor) -> (Tensor, Tensor))?
    /// K/V tokens [H, P, d] shared by every image, attended to beside block `i`'s own keys (`first`: before them):
    /// E2VPT's K/V prompts without a per-image copy. Runs on the packed attention path; nil for a block without.
    public var prefixKeyValues: ((Int) -> (keys: Tensor, values: Tensor, first: Bool)?)?
    /// Additive attention mask for block `i` given the key count (broadcastable to [B, H, N, M]).
    public var attentionMask: ((Int, Int) -> Tensor?)?
    /// Observes block `i`'s output tokens (auxiliary losses, feature taps).
    public var afterBlock: ((Int, Tensor) -> Tensor)?
    /// Edits block `i`'s MLP output [B, N, D] before its residual add (adapters, KMnP/vpt `vit_adapter`).
    public var mlpOutput: ((Int, Tensor) -> Tensor)?
    /// Maps the final normed tokens [B, N, D] to features [B, D]; default: the CLS token.
    public var readout: ((Tensor) -> Tensor)?

    public init() {}
}

/// One pre-norm transformer block; its pieces are public so methods can run side streams through them.
public final class ViTBlock: ParameterContainer {
    public let index: Int
    public let norm1: LayerNorm, qkv: Linear, proj: Linear, norm2: LayerNorm, fc1: Linear, fc2: Linear
    public let heads: Int

    init(_ i: Int, _ c: ViTConfig, rng: inout RandomStream) {
        let p = "blocks.\(i)."
        index = i
        heads = c.heads
        norm1 = LayerNorm(p + "norm1", c.dim, eps: c.layerNormEps)
        qkv = Linear(p + "attn.qkv", c.dim, 3 * c.dim, rng: &rng)
        proj = Linear(p + "attn.proj", c.dim, c.dim, rng: &rng)
        norm2 = LayerNorm(p + "norm2", c.dim, eps: c.layerNormEps)
        fc1 = Linear(p + "mlp.fc1", c.dim, c.mlpDim, rng: &rng)
        fc2 = Linear(p + "mlp.fc2", c.mlpDim, c.dim, rng: &rng)
    }

    public var parameters: [Parameter] {
        norm1.parameters + qkv.parameters + proj.parameters + norm2.parameters + fc1.parameters + fc2.parameters
    }

    /// [B, N, D] → q, k, v each [B, H, N, d].
    public func queryKeyValue(_ x: Tensor) -> (Tensor, Tensor, Tensor) {
        let b = x.shape[0], n = x.shape[1], dim = x.shape[2]
        let t = qkv(x).reshaped([b, n, 3, heads, dim / heads]).permuted(2, 0, 3, 1, 4)  // [3, B, H, N, d]
        let parts = t.split([1, 1, 1], axis: 0).map { $0.reshaped([b, heads, n, dim / heads]) }
        return (parts[0], parts[1], parts[2])
    }

    /// Multi-head self-attention on already-normalised tokens, with the hooks' extra K/V and mask.
    public func attention(_ x: Tensor, hooks: ViTHooks) -> Tensor {
        let b = x.shape[0], n = x.shape[1], dim = x.shape[2]
        if hooks.extraKeyValues == nil {
            // Packed path: heads read in place from the qkv projection, output written head-concatenated.
            return proj(packedAttention(x, hooks: hooks))
        }
        var (q, k, v) = queryKeyValue(x)
        if let extra = hooks.extraKeyValues { (k, v) = extra(index, k, v) }
        let mask = hooks.attentionMask?(index, k.shape[2])
        let o = Tensor.attention(q, k, v, mask: mask)  // [B, H, N, d]
        return proj(o.transposed(1, 2).reshaped([b, n, dim]))
    }

    /// The packed path (heads read in place from the qkv projection) with the hooks' mask and prefix K/V; output
    /// head-concatenated [B, queries, D], before `proj`.
    func packedAttention(_ x: Tensor, hooks: ViTHooks, queries: Int? = nil) -> Tensor {
        let pre = hooks.prefixKeyValues?(index)
        return Tensor.packedAttention(qkv(x), heads: heads, mask: hooks.attentionMask?(index, x.shape[1]), queries: queries,
                                      prefix: pre.map { ($0.keys, $0.values) }, prefixFirst: pre?.first ?? true)
    }

    public func mlp(_ x: Tensor) -> Tensor { fc2(fc1(x).gelu()) }

    /// The MLP with the backbone's dropout when the pass uses it: fc1 → GELU → Dropout → fc2 → Dropout (vit.py Mlp).
    func mlp(_ x: Tensor, context: inout ForwardContext) -> Tensor {
        guard context.dropsOut else { return mlp(x) }
        return fc2(fc1(x).gelu().dropout(context.dropout, rng: &context.rng)).dropout(context.dropout, rng: &context.rng)
    }

    /// The block's output restricted to its first `rows` tokens (queries of those rows only; keys and values
    /// still cover every token): all a CLS readout needs from the last block. No drop-path (eval or dropPath 0).
    public func firstRows(_ x: Tensor, rows: Int, hooks: ViTHooks) -> Tensor {
        let a = proj(packedAttention(norm1(x), hooks: hooks, queries: rows))
        let h = x.slice(axis: 1, 0, rows) + a
        var m = mlp(norm2(h))
        if let edit = hooks.mlpOutput { m = edit(index, m) }
        return h + m
    }

    public func callAsFunction(_ x: Tensor, hooks: ViTHooks = ViTHooks(), context: inout ForwardContext) -> Tensor {
        var a = attention(norm1(x), hooks: hooks)
        if context.training && context.dropPath > 0 { a = a.dropPath(context.dropPath, rng: &context.rng) }
        let h = x + a
        var m = mlp(norm2(h), context: &context)
        if let edit = hooks.mlpOutput { m = edit(index, m) }
        if context.training && context.dropPath > 0 { m = m.dropPath(context.dropPath, rng: &context.rng) }
        return h + m
    }
}

/// The ViT backbone. Parameter names follow timm (`patch_embed.proj.weight`, `blocks.0.attn.qkv.weight`, …);
/// loaders translate Google `.npz` and VPT/jeonsworld names into these.
public final class ViT: ParameterContainer {
    public let config: ViTConfig
    public let patchEmbed: Conv2d
    public let clsToken: Parameter
    public let posEmbed: Parameter
    public let blocks: [ViTBlock]
    public let norm: LayerNorm
    public let preLogits: Linear?
    public let head: Linear?

    /// Random initialisation (timm-style trunc-normal for tokens; PyTorch defaults for layers).
    public init(_ config: ViTConfig, seed: UInt64 = 0) {
        self.config = config
        var rng = RandomStream(seed)
        patchEmbed = Conv2d("patch_embed.proj", config.channels, config.dim, kernel: (config.patchSize, config.patchSize),
                            stride: (config.patchSize, config.patchSize), rng: &rng)
        clsToken = Parameter("cls_token", Init.truncatedNormal([1, 1, config.dim], std: 0.02, rng: &rng))
        posEmbed = Parameter("pos_embed", Init.truncatedNormal([1, config.numPatches + 1, config.dim], std: 0.02, rng: &rng))
        blocks = (0..<config.depth).map { ViTBlock($0, config, rng: &rng) }
        norm = LayerNorm("norm", config.dim, eps: config.layerNormEps)
        preLogits = config.preLogits ? Linear("pre_logits.fc", config.dim, config.dim, rng: &rng) : nil
        head = config.numClasses > 0 ? Linear("head", config.dim, config.numClasses, rng: &rng) : nil
    }

    public var parameters: [Parameter] {
        patchEmbed.parameters + [clsToken, posEmbed] + blocks.flatMap(\.parameters) + norm.parameters
            + (preLogits?.parameters ?? []) + (head?.parameters ?? [])
    }

    /// Image [B, C, S, S] → tokens [B, 1 + N, D] (CLS first, position embedding added).
    public func embed(_ x: Tensor) -> Tensor {
        let b = x.shape[0]
        let p = patchEmbed(x)  // [B, D, g, g]
        let d = p.shape[1], n = p.shape[2] * p.shape[3]
        precondition(n + 1 == posEmbed.shape[1], "input \(x.shape) gives \(n) patches; position embedding has \(posEmbed.shape[1] - 1)")
        let patches = p.reshaped([b, d, n]).transposed(1, 2)
        let cls = clsToken.value.expand([b, 1, d])
        return Tensor.concat([cls, patches], axis: 1) + posEmbed.value
    }

    /// Runs blocks `range` on tokens with hooks. `lastBlockRows` = r computes only the first r output tokens of
    /// the last block (callers that read only the CLS row; requires no afterBlock/extraKeyValues hooks).
    public func encode(_ tokens: Tensor, hooks: ViTHooks = ViTHooks(), context: inout ForwardContext, lastBlockRows: Int? = nil) -> Tensor {
        var t = tokens
        for blk in blocks {
            if let before = hooks.beforeBlock { t = before(blk.index, t) }
            if let rows = lastBlockRows, blk.index == blocks.count - 1, hooks.afterBlock == nil, hooks.extraKeyValues == nil,
               !(context.training && context.dropPath > 0), !context.dropsOut {
                return blk.firstRows(t, rows: rows, hooks: hooks)
            }
            t = blk(t, hooks: hooks, context: &context)
            if let after = hooks.afterBlock { t = after(blk.index, t) }
        }
        return t
    }

    /// Features [B, D]: final norm, readout (CLS by default), then the pre-logits tanh layer if present.
    /// The final norm's CLS row [B, D] of tokens [B, N, D]: the feature of every method that runs the blocks itself.
    public func normedCLS(_ x: Tensor) -> Tensor {
        let t = norm(x)
        return t.slice(axis: 1, 0, 1).reshaped([t.shape[0], t.shape[2]])
    }

    /// Stochastic-depth rate of block `layer` of `depth` when the last block gets `maxRate` (timm's
    /// `torch.linspace(0, drop_path_rate, depth)`).
    public static func dropPathRate(_ maxRate: Double, layer: Int, depth: Int) -> Float {
        Float(depth > 1 ? maxRate * Double(layer) / Double(depth - 1) : 0)
    }

    public func features(_ x: Tensor, hooks: ViTHooks = ViTHooks(), context: inout ForwardContext) -> Tensor {
        let input = hooks.input.map { $0(x) } ?? x
        // Only the CLS row is read after the last block unless a custom readout or block taps are installed.
        let clsOnly = hooks.readout == nil && hooks.afterBlock == nil && hooks.extraKeyValues == nil
        var e = embed(input)
        if context.dropsOut { e = e.dropout(context.dropout, rng: &context.rng) }  // Embeddings' Dropout (vit.py)
        let t = norm(encode(e, hooks: hooks, context: &context, lastBlockRows: clsOnly ? 1 : nil))
        var f = hooks.readout.map { $0(t) } ?? t.slice(axis: 1, 0, 1).reshaped([t.shape[0], t.shape[2]])
        if let preLogits { f = preLogits(f).tanh() }
        return f
    }

    /// Logits of the backbone's own head (requires `numClasses > 0`).
    public func callAsFunction(_ x: Tensor, hooks: ViTHooks = ViTHooks(), context: inout ForwardContext) -> Tensor {
        guard let head else { preconditionFailure("this ViT has no head (numClasses = 0)") }
        return head(features(x, hooks: hooks, context: &context))
    }

    /// Convenience for evaluation.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        var ctx = ForwardContext.eval
        return self(x, hooks: ViTHooks(), context: &ctx)
    }
}

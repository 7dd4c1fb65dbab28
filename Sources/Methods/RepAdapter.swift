// RepAdapter (Luo et al., 2023, "Towards Efficient Visual Adaption via Structural Re-parameterization"),
// luogen1996/RepAdapter @ 360992f `repadapter.py`. A linear adapter in front of the attention (repattn) or in front of
// both the attention and the MLP (repblock, the VTAB table's variant, scripts/train_repblock.sh):
//   adapter(x) = conv_B(Dropout₀.₁(conv_A(x))) · s + x                                   (RepAdapter.forward, :168-172)
//   conv_A = Conv1d(D, h, 1) (bias), conv_B = Conv1d(h, D, 1, groups=2) (bias): a grouped 1×1 conv, i.e. the first D/2
//   outputs read the first h/2 hidden channels and the rest the other half.
//   block: x += DropPath(Attn(adapter_attn(LN1(x)))); x += DropPath(MLP(adapter_mlp(LN2(x))))  (forward_vit_block_adapter, :21-24)
// Init (:164-167): conv_A xavier_uniform (fans of [h, D, 1]: fan_in D, fan_out h), conv_A bias, conv_B weight and bias
// zero, so training starts at the pre-trained model. Trainable: every name containing 'adapter' or 'head'
// (train.py:126-131). Head: timm `reset_classifier` → nn.Linear, PyTorch default init. Drop path:
// create_model(drop_path_rate=0.1) (train.py:95), linspace over depth; the official block uses drop_path1 on both
// branches (same rate).
// Re-parameterisation (set_RepWeight, :271-310; reparameterize :201-211): after training, adapter ∘ linear folds into the following linear:
//   W' = W (I + s·B·A),  b' = b + s·W (B·b_A + b_B)   for qkv (adapter_attn) and fc1 (adapter_mlp).
// `merge()` does that in place on the backbone (eval only: the adapter's dropout has no merged form); the merged model
// runs the plain ViT and gives the same eval logits.
// PyTorch's draws cannot be matched bit for bit; parity goldens load the official weights from a file.
import Backbones
import Engine
import Foundation
import Random

/// RepAdapter options, with the official argument names (train.py `--method`, `--dim`, `--scale`).
public struct RepAdapterConfig: Codable, Sendable, Equatable {
    /// `repblock` (adapters before attention and MLP) or `repattn` (before attention only).
    public var method: String = "repblock"
    /// Hidden width h (`--dim`, 8 in scripts/train_repblock.sh).
    public var dim: Int = 8
    /// Scale s (`--scale`; 0 → configs/<method>/<dataset>.yaml `scale`).
    public var scale: Double = 1
    /// Groups of conv_B (RepAdapter.__init__ default 2; set_RepAdapter passes none).
    public var groups: Int = 2
    /// Dropout between conv_A and conv_B (nn.Dropout(0.1), :160).
    public var dropout: Double = 0.1
    /// Stochastic depth of the frozen blocks (create_model drop_path_rate 0.1, train.py:95).
    public var drop_path: Double = 0.1

    static let known: Set<String> = ["method", "dim", "scale", "groups", "dropout", "drop_path"]
    public init() {}
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        method = try c.decodeIfPresent(String.self, forKey: .method) ?? method
        dim = try c.decodeIfPresent(Int.self, forKey: .dim) ?? dim
        scale = try c.decodeIfPresent(Double.self, forKey: .scale) ?? scale
        groups = try c.decodeIfPresent(Int.self, forKey: .groups) ?? groups
        dropout = try c.decodeIfPresent(Double.self, forKey: .dropout) ?? dropout
        drop_path = try c.decodeIfPresent(Double.self, forKey: .drop_path) ?? drop_path
    }
}

/// One RepAdapter (`blocks.{i}.adapter_attn` / `adapter_mlp`): official Conv1d tensor shapes [out, in/groups, 1].
final class RepAdapterLayer: ParameterContainer {
    let aw: Parameter, ab: Parameter, bw: Parameter, bb: Parameter
    let dim: Int, hidden: Int, groups: Int

    init(prefix: String, dim: Int, hidden: Int, groups: Int, rng: inout RandomStream) {
        self.dim = dim; self.hidden = hidden; self.groups = groups
        aw = Parameter(prefix + ".conv_A.weight", Init.xavierUniform([hidden, dim, 1], rng: &rng), trainable: true)
        ab = Parameter(prefix + ".conv_A.bias", Tensor(zeros: [hidden]), trainable: true)
        bw = Parameter(prefix + ".conv_B.weight", Tensor(zeros: [dim, hidden / groups, 1]), trainable: true)
        bb = Parameter(prefix + ".conv_B.bias", Tensor(zeros: [dim]), trainable: true)
    }

    var parameters: [Parameter] { [aw, ab, bw, bb] }

    /// conv_B(dropout(conv_A(x))) · s + x on tokens [B, N, D].
    func callAsFunction(_ x: Tensor, scale: Float, dropout: Float, context: inout ForwardContext) -> Tensor {
        var a = Tensor.linear(x, aw.value.reshaped([hidden, dim]), ab.value)
        if context.training && dropout > 0 { a = a.dropout(dropout, rng: &context.rng) }
        let w = bw.value.reshaped([dim, hidden / groups])
        let b: Tensor
        if groups == 1 { b = Tensor.linear(a, w, bb.value) } else {
            let go = dim / groups, gi = hidden / groups
            let parts = (0..<groups).map { g in Tensor.linear(a.slice(axis: a.rank - 1, g * gi, (g + 1) * gi), w.slice(axis: 0, g * go, (g + 1) * go)) }
            b = Tensor.concat(parts, axis: a.rank - 1) + bb.value
        }
        return b * scale + x
    }

    /// The adapter as one affine map x ↦ M x + c: M = I + s·B·A [D, D], c = s·(B·b_A + b_B) (reparameterize, :201-211).
    func affine(scale s: Float) -> (m: [Float], c: [Float]) {
        let a = aw.value.scalars, ba = ab.value.scalars, w = bw.value.scalars, bb = bb.value.scalars
        let go = dim / groups, gi = hidden / groups
        var m = [Float](repeating: 0, count: dim * dim), c = [Float](repeating: 0, count: dim)
        for o in 0..<dim {
            let g = o / go
            var acc = bb[o]
            for j in 0..<gi {
                let wv = w[o * gi + j], hIdx = g * gi + j
                acc += wv * ba[hIdx]
                for i in 0..<dim { m[o * dim + i] += s * wv * a[hIdx * dim + i] }
            }
            m[o * dim + o] += 1
            c[o] = s * acc
        }
        return (m, c)
    }
}

/// RepAdapter on a frozen ViT with a linear head.
public final class RepAdapter: PromptMethod {
    public let id = "repadapter"
    public let config: RepAdapterConfig
    public let vit: ViT
    let attnAdapters: [RepAdapterLayer]
    let mlpAdapters: [RepAdapterLayer]
    public let head: Linear
    /// Whether `merge()` has folded the adapters into the backbone's qkv and fc1.
    public private(set) var merged = false

    public init(setup: MethodSetup) throws {
        let config = try setup.options.decode(RepAdapterConfig.self, method: "repadapter", known: RepAdapterConfig.known)
        guard let vit = setup.backbone.vit else { throw MethodError("repadapter needs a ViT backbone") }
        guard ["repblock", "repattn"].contains(config.method) else {
            throw MethodError("repadapter: method must be repblock or repattn (train.py --method), found '\(config.method)'")
        }
        guard config.dim > 0, config.groups > 0, config.dim % config.groups == 0, vit.config.dim % config.groups == 0 else {
            throw MethodError("repadapter: dim (\(config.dim)) and the width (\(vit.config.dim)) must be positive multiples of groups (\(config.groups))")
        }
        guard (0..<1).contains(config.dropout), (0..<1).contains(config.drop_path) else {
            throw MethodError("repadapter: dropout and drop_path must lie in [0, 1)")
        }
        self.config = config
        self.vit = vit
        for p in vit.parameters { p.trainable = false }
        var rng = setup.rng
        let d = vit.config.dim
        var attn: [RepAdapterLayer] = [], mlp: [RepAdapterLayer] = []
        for i in 0..<vit.config.depth {  // set_RepAdapter: adapter_attn then adapter_mlp per block
            attn.append(RepAdapterLayer(prefix: "blocks.\(i).adapter_attn", dim: d, hidden: config.dim, groups: config.groups, rng: &rng))
            if config.method == "repblock" {
                mlp.append(RepAdapterLayer(prefix: "blocks.\(i).adapter_mlp", dim: d, hidden: config.dim, groups: config.groups, rng: &rng))
            }
        }
        attnAdapters = attn; mlpAdapters = mlp
        let bound = 1 / Float(d).squareRoot()
        head = Linear(weight: Parameter("head.weight", Init.kaimingUniformDefault([setup.numClasses, d], rng: &rng), trainable: true),
                      bias: Parameter("head.bias", Init.uniform([setup.numClasses], -bound, bound, rng: &rng), trainable: true))
    }

    public var parameters: [Parameter] {
        vit.parameters + (0..<attnAdapters.count).flatMap { i in attnAdapters[i].parameters + (mlpAdapters.isEmpty ? [] : mlpAdapters[i].parameters) }
            + head.parameters
    }

    public func features(_ images: Tensor, context: inout ForwardContext) -> Tensor {
        if merged {
            var ctx = context
            ctx.dropPath = 0
            return vit.features(images, context: &ctx)
        }
        var x = vit.embed(images)
        let depth = vit.config.depth, s = Float(config.scale), p = Float(config.dropout)
        for l in 0..<depth {
            let blk = vit.blocks[l]
            let rate = ViT.dropPathRate(config.drop_path, layer: l, depth: depth)
            let dp = context.training && rate > 0
            let rows: Int? = l == depth - 1 && !dp ? 1 : nil  // only the CLS row is read after the last block
            let ai = attnAdapters[l](blk.norm1(x), scale: s, dropout: p, context: &context)
            var a = blk.proj(Tensor.packedAttention(blk.qkv(ai), heads: blk.heads, queries: rows))
            if dp { a = a.dropPath(rate, rng: &context.rng) }
            let h = (rows.map { x.slice(axis: 1, 0, $0) } ?? x) + a
            var mi = blk.norm2(h)
            if !mlpAdapters.isEmpty { mi = mlpAdapters[l](mi, scale: s, dropout: p, context: &context) }
            var m = blk.mlp(mi)
            if dp { m = m.dropPath(rate, rng: &context.rng) }
            x = h + m
        }
        return vit.normedCLS(x)
    }

    public func logits(_ images: Tensor, context: inout ForwardContext) -> Tensor {
        head(features(images, context: &context))
    }

    /// Folds every adapter into the linear after it (set_RepWeight): qkv ← qkv ∘ adapter_attn, fc1 ← fc1 ∘ adapter_mlp.
    /// The model then runs as the plain ViT + head; eval logits are unchanged. Training after a merge is refused by
    /// nothing but would train a different model, so only call this for inference.
    public func merge() {
        guard !merged else { return }
        let s = Float(config.scale), d = vit.config.dim
        func fold(_ lin: Linear, _ ad: RepAdapterLayer) {
            let (m, c) = ad.affine(scale: s)
            let w = lin.weight.value, out = w.shape[0]
            let (nw, shift) = withoutGrad { (Tensor.matmul(w, Tensor(m, shape: [d, d])), Tensor.matmul(w, Tensor(c, shape: [d, 1]))) }
            lin.weight.value.assign(nw)
            let b0 = lin.bias?.value.scalars ?? [Float](repeating: 0, count: out)
            if let b = lin.bias { b.value.assign(Tensor(zip(b0, shift.scalars).map { $0 + $1 }, shape: [out])) }
        }
        for (l, blk) in vit.blocks.enumerated() {
            fold(blk.qkv, attnAdapters[l])
            if !mlpAdapters.isEmpty { fold(blk.fc1, mlpAdapters[l]) }
        }
        merged = true
    }

    /// train.py:133 AdamW(trainable, lr, weight_decay): one group, decay on every trainable tensor.
    public func parameterGroups(lr: Float, weightDecay: Float) -> [ParamGroup] {
        [ParamGroup("all", params: trainable, lr: lr, weightDecay: weightDecay)]
    }

    public func role(of p: Parameter) -> ParameterRole { p.name.hasPrefix("head.") ? .head : .other }

    public var officialBackbone: (naming: ViTNaming, prefix: String) { (.timm, "") }
    public var backboneViT: ViT? { vit }
}

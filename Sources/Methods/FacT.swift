// FacT-TK (Jie & Deng, AAAI 2023, "FacT: Factor-Tuning for Lightweight Adaptation on Vision Transformer"),
// JieShibo/PETL-ViT @ 026e4f1 `FacT/fact_tk.py`. The weight increments of every block's qkv, proj, fc1 and fc2 are
// one Tucker-factorised tensor shared by the whole network:
//   FacTu: D → r (no bias), FacTv: r → D (no bias), FacTp [r, 12·L], FacTc [r, r, r]   (set_FacT, :105-117)
//   block l's attention uses the slots idx = 12l … 12l+3, its MLP 12l+4 … 12l+11 (set_FacT's traversal order):
//   Cₐ = FacTc @ FacTp[:, idx:idx+4] → [r, r, 4];  qkv(x) += cat(V(dp(U x · Cₐ[:,:,j])) for j = q, k, v) · s
//   proj(o) += V(dp(U o · Cₐ[:,:,3])) · s                                                    (fact_forward_attn, :59-85)
//   Cₘ = FacTc @ FacTp[:, idx:idx+8] → [r, r, 8];  fc1_c, fc2_c = Cₘ[:,:,:4], Cₘ[:,:,4:] each reshaped [r, 4r]
//   fc1(x) += V(dp(U x · fc1_c) as [B, N, 4, r]) as [B, N, 4D] · s
//   fc2(h) += V(dp(U(h as [B, N, 4, D]) as [B, N, 4r] · fc2_cᵀ)) · s                        (fact_forward_mlp, :88-102)
// dp = nn.Dropout(0.1) (hard-coded, :120,:130), training only. The official code hard-codes D = 768 and the 144
// = 12 blocks × 12 slots of ViT-B/16 (:109-111); here they follow the backbone (D, 12·depth), equal on ViT-B/16.
// Init (:113-116): FacTu nn.Linear default (kaiming_uniform(a=√5) = U(±1/√D)), FacTv zero (so training starts at the
// pre-trained model), FacTc and FacTp xavier_uniform (PyTorch fans: FacTc fan_in = fan_out = r², FacTp fan_in 12·L,
// fan_out r). Trainable: every name containing 'FacT' or 'head' (:195-201). Head: timm `reset_classifier` → nn.Linear,
// PyTorch default init. Drop path: create_model(drop_path_rate=0.1) (:183) → linspace(0, 0.1, depth) on both branches.
// Backbone: README's timm 0.4.12 `vit_base_patch16_224_in21k` (no pre-logits layer, timm vision_transformer.py:724-727)
// loaded from Google's imagenet21k ViT-B_16.npz (:183) — the suite's vit-b16-in21k.
// PyTorch's draws cannot be matched bit for bit; parity goldens load the official weights from a file.
import Backbones
import Engine
import Foundation
import Random

/// FacT options, with the official argument names (`--dim`, `--scale` of fact_tk.py; configs/tk/<dataset>.yaml
/// `rank` and `scale`).
public struct FacTConfig: Codable, Sendable, Equatable {
    /// Rank r of the factors (`--dim`, or the config's `rank`).
    public var dim: Int = 32
    /// Scale s of the increments (`--scale`, or the config's `scale`).
    public var scale: Double = 0.1
    /// Dropout on the factorised path (nn.Dropout(0.1) hard-coded at fact_tk.py:120,130).
    public var dropout: Double = 0.1
    /// Stochastic depth of the frozen blocks (create_model drop_path_rate 0.1, fact_tk.py:183).
    public var drop_path: Double = 0.1

    static let known: Set<String> = ["dim", "scale", "dropout", "drop_path"]
    public init() {}
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        dim = try c.decodeIfPresent(Int.self, forKey: .dim) ?? dim
        scale = try c.decodeIfPresent(Double.self, forKey: .scale) ?? scale
        dropout = try c.decodeIfPresent(Double.self, forKey: .dropout) ?? dropout
        drop_path = try c.decodeIfPresent(Double.self, forKey: .drop_path) ?? drop_path
    }
}

/// FacT-TK on a frozen ViT with a linear head.
public final class FacT: PromptMethod {
    public let id = "fact"
    public let config: FacTConfig
    public let vit: ViT
    /// `FacTu.weight` [r, D], `FacTv.weight` [D, r], `FacTp` [r, 12·L], `FacTc` [r, r, r].
    public let u: Parameter, v: Parameter, p: Parameter, c: Parameter
    public let head: Linear
    /// Why this backbone cannot run FacT (an MLP width other than 4 × D), or nil.
    let mlpProblem: String?

    public init(setup: MethodSetup) throws {
        let config = try setup.options.decode(FacTConfig.self, method: "fact", known: FacTConfig.known)
        guard let vit = setup.backbone.vit else { throw MethodError("fact needs a ViT backbone") }
        guard config.dim > 0 else { throw MethodError("fact: dim (the rank) must be positive, found \(config.dim)") }
        // The MLP increments reshape fc1's output into 4 × D. Checked before training and probing (`prepare`,
        // `notReady`), not here: the cell classifier builds methods on stand-in backbones with a narrow MLP.
        mlpProblem = vit.config.mlpDim == 4 * vit.config.dim ? nil
            : "fact: the MLP increments reshape fc1's output into 4 × D (fact_tk.py:92-101); this ViT's MLP width \(vit.config.mlpDim) is not 4 × \(vit.config.dim)"
        guard (0..<1).contains(config.dropout), (0..<1).contains(config.drop_path) else {
            throw MethodError("fact: dropout and drop_path must lie in [0, 1)")
        }
        self.config = config
        self.vit = vit
        for q in vit.parameters { q.trainable = false }
        let d = vit.config.dim, r = config.dim
        var rng = setup.rng
        // Construction order of set_FacT (:109-116): FacTu (drawn by nn.Linear), FacTv (zeroed), FacTc, FacTp.
        u = Parameter("FacTu.weight", Init.kaimingUniformDefault([r, d], rng: &rng), trainable: true)
        v = Parameter("FacTv.weight", Tensor(zeros: [d, r]), trainable: true)
        c = Parameter("FacTc", Init.xavierUniform([r, r, r], rng: &rng), trainable: true)
        p = Parameter("FacTp", Init.xavierUniform([r, 12 * vit.config.depth], rng: &rng), trainable: true)
        let bound = 1 / Float(d).squareRoot()
        head = Linear(weight: Parameter("head.weight", Init.kaimingUniformDefault([setup.numClasses, d], rng: &rng), trainable: true),
                      bias: Parameter("head.bias", Init.uniform([setup.numClasses], -bound, bound, rng: &rng), trainable: true))
    }

    /// Official named_parameters order: the backbone, FacTu, FacTv, FacTp, FacTc (attribute order), head.
    public var parameters: [Parameter] { vit.parameters + [u, v, p, c] + head.parameters }

    /// FacTc @ FacTp[:, idx:idx+k] → [r, r, k].
    func core(_ idx: Int, _ k: Int) -> Tensor {
        let r = config.dim
        return Tensor.matmul(c.value.reshaped([r * r, r]), p.value.slice(axis: 1, idx, idx + k)).reshaped([r, r, k])
    }

    func drop(_ t: Tensor, _ context: inout ForwardContext) -> Tensor {
        context.training && config.dropout > 0 ? t.dropout(Float(config.dropout), rng: &context.rng) : t
    }

    public func features(_ images: Tensor, context: inout ForwardContext) -> Tensor {
        var x = vit.embed(images)
        let depth = vit.config.depth, d = vit.config.dim, r = config.dim, s = Float(config.scale)
        for l in 0..<depth {
            let blk = vit.blocks[l]
            let b = x.shape[0], n = x.shape[1]
            let rate = ViT.dropPathRate(config.drop_path, layer: l, depth: depth)
            let dp = context.training && rate > 0
            // Only the CLS row is read after the last block: its queries, proj and MLP suffice there.
            let rows = l == depth - 1 && !dp ? 1 : n
            // Attention (fact_forward_attn): q, k, v increments from one U·x, each through its own slice of Cₐ.
            let ca = core(12 * l, 4)
            let h1 = blk.norm1(x)
            let ux = Tensor.linear(h1, u.value)                                                   // [B, N, r]
            let wqkv = ca.slice(axis: 2, 0, 3).permuted(2, 1, 0).reshaped([3 * r, r])             // row j·r + c = Cⱼ[:, c]
            let dqkv = Tensor.linear(drop(Tensor.linear(ux, wqkv), &context).reshaped([b, n, 3, r]), v.value)  // [B, N, 3, D]
            let qkv = blk.qkv(h1) + dqkv.reshaped([b, n, 3 * d]) * s
            let o = Tensor.packedAttention(qkv, heads: blk.heads, queries: rows == n ? nil : rows)  // [B, rows, D]
            let wp = ca.slice(axis: 2, 3, 4).permuted(2, 1, 0).reshaped([r, r])
            var a = blk.proj(o) + Tensor.linear(drop(Tensor.linear(Tensor.linear(o, u.value), wp), &context), v.value) * s
            if dp { a = a.dropPath(rate, rng: &context.rng) }
            let h = (rows == n ? x : x.slice(axis: 1, 0, rows)) + a
            // MLP (fact_forward_mlp).
            let cm = core(12 * l + 4, 8)
            let fc1c = cm.slice(axis: 2, 0, 4).reshaped([r, 4 * r]), fc2c = cm.slice(axis: 2, 4, 8).reshaped([r, 4 * r])
            let h2 = blk.norm2(h)
            let u2 = Tensor.linear(h2, u.value).reshaped([b * rows, r])
            let d1 = Tensor.linear(drop(Tensor.matmul(u2, fc1c), &context).reshaped([b, rows, 4, r]), v.value)  // [B, rows, 4, D]
            let act = (blk.fc1(h2) + d1.reshaped([b, rows, 4 * d]) * s).gelu()
            let u4 = Tensor.linear(act.reshaped([b, rows, 4, d]), u.value).reshaped([b * rows, 4 * r])
            let d2 = Tensor.linear(drop(Tensor.matmul(u4, fc2c, transB: true), &context), v.value).reshaped([b, rows, d])
            var m = blk.fc2(act) + d2 * s
            if dp { m = m.dropPath(rate, rng: &context.rng) }
            x = h + m
        }
        return vit.normedCLS(x)
    }

    public func logits(_ images: Tensor, context: inout ForwardContext) -> Tensor {
        head(features(images, context: &context))
    }

    public var notReady: String? { mlpProblem }
    public func prepare(trainingData: TrainingData) throws {
        if let mlpProblem { throw MethodError(mlpProblem) }
    }

    /// fact_tk.py:203 AdamW(trainable, lr, weight_decay): one group, decay on every trainable tensor.
    public func parameterGroups(lr: Float, weightDecay: Float) -> [ParamGroup] {
        [ParamGroup("all", params: trainable, lr: lr, weightDecay: weightDecay)]
    }

    public func role(of q: Parameter) -> ParameterRole { q.name.hasPrefix("head.") ? .head : .other }

    public var officialBackbone: (naming: ViTNaming, prefix: String) { (.timm, "") }
    public var backboneViT: ViT? { vit }
}

// Hydra (Kim et al., 2023, "Hydra: Multi-head Low-rank Adaptation for Parameter Efficient Fine-tuning"),
// extremebird/Hydra @ 4138457 `vtab1k/hydra.py`, variant hydra_both (the only one set_hydra accepts, :77-95):
// a parallel and a sequential low-rank branch beside the attention projection and beside fc2:
//   attn: o = attention output (before proj);  out = proj(o) + par(o) + seq(proj(o))      (forward_vit_hydra_attn, :18-40)
//   MLP:  h = GELU(fc1(x));                    out = fc2(h) + par(h) + seq(fc2(h))        (forward_vit_hydra_ffn, :8-16)
//   branch(x) = up_proj(Dropout_p(down_proj(x))) · s, down: in → r, up: r → D, both with bias (Hydra_layer, :43-62)
// Shapes (set_hydra :81-84): hydra_mlp_par 4D → r → D, hydra_mlp_seq D → r → D, hydra_proj_par and hydra_proj_seq
// D → r → D (the official code hard-codes D = 768; here D follows the backbone). Init (:54-57): down xavier_uniform,
// down bias, up weight and bias zero, so training starts at the pre-trained model. Construction order: mlp_par,
// mlp_seq, proj_par, proj_seq. Trainable: names containing 'hydra', 'head' or 'scale' (train.py:105-110; no ViT tensor
// has 'scale' in its name). Head: timm 0.9.2 `reset_classifier` → nn.Linear, PyTorch default init. Drop path:
// create_model(drop_path_rate=0.1) (train.py:76), linspace over depth.
// Re-parameterisation: every branch is linear, so out = W'x + b' with, for fc2, W' = W₀ + s·(P + S·W₀),
// b' = b₀ + s·(b_P + S·b₀ + b_S) (P = up_par·down_par, S = up_seq·down_seq), and the same for proj. `merge()` folds them
// in place (eval only: the branch dropout has no merged form). The official set_hydraWeight (:97-125, run by test.py:61)
// folds fc2 this way but builds the attention merge from mlp.fc2's weight (:118) — a [D, 4D] matrix added to a [D, D]
// one, which raises a shape error on a ViT — so the official merged model cannot be built; parity is checked unmerged,
// and merged == unmerged here.
// PyTorch's draws cannot be matched bit for bit; parity goldens load the official weights from a file.
import Backbones
import Engine
import Foundation
import Random

/// Hydra options, with the official names (train.py `--dim`, `--scale`, `--dropout`; configs/hydra_both keys).
public struct HydraConfig: Codable, Sendable, Equatable {
    /// Rank r of every branch (`--dim`, 2 in scripts/train_hydra.sh).
    public var dim: Int = 2
    /// Scale s of every branch (config `scale`).
    public var scale: Double = 0.1
    /// Dropout between down_proj and up_proj (config `dropout`).
    public var dropout: Double = 0.2
    /// Stochastic depth of the frozen blocks (create_model drop_path_rate 0.1, train.py:76).
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

/// One Hydra_layer: down_proj (in → r) and up_proj (r → out), both nn.Linear with bias.
final class HydraBranch: ParameterContainer {
    let down: Linear, up: Linear

    init(prefix: String, inFeatures: Int, rank: Int, outFeatures: Int, rng: inout RandomStream) {
        down = Linear(weight: Parameter(prefix + ".down_proj.weight", Init.xavierUniform([rank, inFeatures], rng: &rng), trainable: true),
                      bias: Parameter(prefix + ".down_proj.bias", Tensor(zeros: [rank]), trainable: true))
        up = Linear(weight: Parameter(prefix + ".up_proj.weight", Tensor(zeros: [outFeatures, rank]), trainable: true),
                    bias: Parameter(prefix + ".up_proj.bias", Tensor(zeros: [outFeatures]), trainable: true))
    }

    var parameters: [Parameter] { down.parameters + up.parameters }

    func callAsFunction(_ x: Tensor, scale: Float, dropout: Float, context: inout ForwardContext) -> Tensor {
        var d = down(x)
        if context.training && dropout > 0 { d = d.dropout(dropout, rng: &context.rng) }
        return up(d) * scale
    }

    /// The branch as an affine map: (up·down [out, in], up·b_down + b_up [out]).
    func affine() -> (Tensor, [Float]) {
        withoutGrad {
            let w = Tensor.matmul(up.weight.value, down.weight.value)
            let b = Tensor.linear(down.bias!.value.reshaped([1, down.bias!.value.count]), up.weight.value, up.bias!.value)
            return (w, b.scalars)
        }
    }
}

/// Hydra on a frozen ViT with a linear head.
public final class Hydra: PromptMethod {
    public let id = "hydra"
    public let config: HydraConfig
    public let vit: ViT
    /// Per block: hydra_proj_par, hydra_proj_seq (attention), hydra_mlp_par, hydra_mlp_seq (MLP).
    let projPar: [HydraBranch], projSeq: [HydraBranch], mlpPar: [HydraBranch], mlpSeq: [HydraBranch]
    public let head: Linear
    /// Whether `merge()` has folded the branches into proj and fc2.
    public private(set) var merged = false

    public init(setup: MethodSetup) throws {
        let config = try setup.options.decode(HydraConfig.self, method: "hydra", known: HydraConfig.known)
        guard let vit = setup.backbone.vit else { throw MethodError("hydra needs a ViT backbone") }
        guard config.dim > 0 else { throw MethodError("hydra: dim (the rank) must be positive, found \(config.dim)") }
        guard (0..<1).contains(config.dropout), (0..<1).contains(config.drop_path) else {
            throw MethodError("hydra: dropout and drop_path must lie in [0, 1)")
        }
        self.config = config
        self.vit = vit
        for p in vit.parameters { p.trainable = false }
        var rng = setup.rng
        let d = vit.config.dim, h = vit.config.mlpDim, r = config.dim
        var pp: [HydraBranch] = [], ps: [HydraBranch] = [], mp: [HydraBranch] = [], ms: [HydraBranch] = []
        for i in 0..<vit.config.depth {  // set_hydra :81-84 order
            mp.append(HydraBranch(prefix: "blocks.\(i).mlp.hydra_mlp_par", inFeatures: h, rank: r, outFeatures: d, rng: &rng))
            ms.append(HydraBranch(prefix: "blocks.\(i).mlp.hydra_mlp_seq", inFeatures: d, rank: r, outFeatures: d, rng: &rng))
            pp.append(HydraBranch(prefix: "blocks.\(i).attn.hydra_proj_par", inFeatures: d, rank: r, outFeatures: d, rng: &rng))
            ps.append(HydraBranch(prefix: "blocks.\(i).attn.hydra_proj_seq", inFeatures: d, rank: r, outFeatures: d, rng: &rng))
        }
        projPar = pp; projSeq = ps; mlpPar = mp; mlpSeq = ms
        let bound = 1 / Float(d).squareRoot()
        head = Linear(weight: Parameter("head.weight", Init.kaimingUniformDefault([setup.numClasses, d], rng: &rng), trainable: true),
                      bias: Parameter("head.bias", Init.uniform([setup.numClasses], -bound, bound, rng: &rng), trainable: true))
    }

    /// named_parameters order: per block attn (proj_par, proj_seq) before mlp (mlp_par, mlp_seq), then the head.
    public var parameters: [Parameter] {
        vit.parameters + (0..<projPar.count).flatMap { i in projPar[i].parameters + projSeq[i].parameters + mlpPar[i].parameters + mlpSeq[i].parameters }
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
            let o = Tensor.packedAttention(blk.qkv(blk.norm1(x)), heads: blk.heads, queries: rows)
            let pr = blk.proj(o)
            var a = pr + projPar[l](o, scale: s, dropout: p, context: &context) + projSeq[l](pr, scale: s, dropout: p, context: &context)
            if dp { a = a.dropPath(rate, rng: &context.rng) }
            let h = (rows.map { x.slice(axis: 1, 0, $0) } ?? x) + a
            let act = blk.fc1(blk.norm2(h)).gelu()
            let f2 = blk.fc2(act)
            var m = f2 + mlpPar[l](act, scale: s, dropout: p, context: &context) + mlpSeq[l](f2, scale: s, dropout: p, context: &context)
            if dp { m = m.dropPath(rate, rng: &context.rng) }
            x = h + m
        }
        return vit.normedCLS(x)
    }

    public func logits(_ images: Tensor, context: inout ForwardContext) -> Tensor {
        head(features(images, context: &context))
    }

    /// Folds both branches of every block into proj and fc2 (W' = W₀ + s·(P + S·W₀), b' = b₀ + s·(b_P + S·b₀ + b_S));
    /// the model then runs as the plain ViT + head with the same eval logits. For inference only.
    public func merge() {
        guard !merged else { return }
        let s = Float(config.scale)
        func fold(_ lin: Linear, _ par: HydraBranch, _ seq: HydraBranch) {
            let (pw, pb) = par.affine(), (sw, sb) = seq.affine()
            let w0 = lin.weight.value, b0 = lin.bias!.value
            let (nw, sb0) = withoutGrad { () -> (Tensor, [Float]) in
                let w = w0 + (pw + Tensor.matmul(sw, w0)) * s
                let shifted = Tensor.matmul(sw, b0.reshaped([b0.count, 1])).scalars
                return (w, shifted)
            }
            let nb = (0..<b0.count).map { b0.scalars[$0] + s * (pb[$0] + sb0[$0] + sb[$0]) }
            lin.weight.value.assign(nw)
            lin.bias!.value.assign(Tensor(nb, shape: [b0.count]))
        }
        for (l, blk) in vit.blocks.enumerated() {
            fold(blk.proj, projPar[l], projSeq[l])
            fold(blk.fc2, mlpPar[l], mlpSeq[l])
        }
        merged = true
    }

    /// train.py:112 AdamW(trainable, lr, weight_decay): one group, decay on every trainable tensor.
    public func parameterGroups(lr: Float, weightDecay: Float) -> [ParamGroup] {
        [ParamGroup("all", params: trainable, lr: lr, weightDecay: weightDecay)]
    }

    public func role(of p: Parameter) -> ParameterRole { p.name.hasPrefix("head.") ? .head : .other }

    public var officialBackbone: (naming: ViTNaming, prefix: String) { (.timm, "") }
    public var backboneViT: ViT? { vit }
}

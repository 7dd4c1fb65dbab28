// AdaptFormer (Chen et al., NeurIPS 2022), ShoufaChen/AdaptFormer @ 6967d67: a bottleneck "AdaptMLP" beside each
// block's MLP (models/custom_modules.py:51-94, models/adapter.py:11-70):
//   h = x + Attn(LN1(x))
//   a = s · up(Dropout₀.₁(ReLU(down(LN_in(h)))))            (computed from h, the MLP block's input, not LN2(h))
//   parallel:   out = h + DropPath(MLP(LN2(h))) + a
//   sequential: out = h + (m + s · up(…(m)…)),  m = DropPath(MLP(LN2(h)))
// down: D → ffn_num (kaiming_uniform(√5) weight, zero bias), up: ffn_num → D (zero weight and bias): the "lora" init
// (adapter.py:43-48), so the adapters start as the identity. The bottleneck dropout p = 0.1 is hard-coded
// (custom_modules.py:70) and acts in training only. Only `adaptmlp` tensors and the head train (main_image.py:233-240:
// everything missing from the pre-trained checkpoint trains, i.e. the adapters and the head).
// The official image script fixes ffn_option parallel, layernorm none, init lora, scalar 0.1, ffn_num 64
// (main_image.py:114,184-196); those are the defaults here.
// Head: main_image.py:227,231 puts BatchNorm1d(affine=False, eps 1e-6) before a Linear whose weight is
// trunc_normal(std 0.01) — `head: mae-bn` (the default, as the official script runs it). The table rows that quote
// AdaptFormer on VTAB/FGVC come from NOAH-style code (V-PETL Bench train_model_adapter.py:156 `reset_classifier`):
// a plain nn.Linear with PyTorch's default init — `head: linear`.
// Drop path: the official block puts DropPath on the attention branch and on the MLP branch (not on the adapter)
// (custom_modules.py:77,83), rate linspace(0, drop_path, depth)[i] (vit_image.py:40), in training only.
import Backbones
import Engine
import Foundation
import Random

/// AdaptFormer options, with the official names (main_image.py tuning_config / argparse).
public struct AdaptFormerConfig: Codable, Sendable, Equatable {
    /// Bottleneck width (`--ffn_num`, main_image.py:114).
    public var ffn_num: Int = 64
    /// Scale of the adapter output: a number, or `learnable_scalar` (a trainable scalar initialised to 1).
    public var ffn_adapter_scalar: String = "0.1"
    /// `none`, `in` (LayerNorm on the adapter input) or `out` (on its scaled output).
    public var ffn_adapter_layernorm_option: String = "none"
    /// Only `lora` exists (`bert` raises NotImplementedError in adapter.py:41-42).
    public var ffn_adapter_init_option: String = "lora"
    /// `parallel` (the paper's AdaptFormer) or `sequential`.
    public var ffn_option: String = "parallel"
    /// Bottleneck dropout (custom_modules.py:70 hard-codes 0.1).
    public var adapter_dropout: Double = 0.1
    /// Stochastic depth of the frozen blocks (`--drop_path`, main_image.py:107; V-PETL Bench `--dpr`).
    public var drop_path: Double = 0
    /// `mae-bn` (main_image.py:227,231) or `linear` (timm `reset_classifier`, NOAH-style codebases).
    public var head: String = "mae-bn"

    static let known: Set<String> = ["ffn_num", "ffn_adapter_scalar", "ffn_adapter_layernorm_option", "ffn_adapter_init_option",
                                     "ffn_option", "adapter_dropout", "drop_path", "head"]
    enum CodingKeys: String, CodingKey {
        case ffn_num, ffn_adapter_scalar, ffn_adapter_layernorm_option, ffn_adapter_init_option, ffn_option, adapter_dropout, drop_path, head
    }
    public init() {}
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        ffn_num = try c.decodeIfPresent(Int.self, forKey: .ffn_num) ?? ffn_num
        // The official value is a string ("0.1", "learnable_scalar"); a YAML number is accepted too.
        if let s = try? c.decodeIfPresent(String.self, forKey: .ffn_adapter_scalar) { ffn_adapter_scalar = s }
        else if let d = try c.decodeIfPresent(Double.self, forKey: .ffn_adapter_scalar) { ffn_adapter_scalar = "\(d)" }
        ffn_adapter_layernorm_option = try c.decodeIfPresent(String.self, forKey: .ffn_adapter_layernorm_option) ?? ffn_adapter_layernorm_option
        ffn_adapter_init_option = try c.decodeIfPresent(String.self, forKey: .ffn_adapter_init_option) ?? ffn_adapter_init_option
        ffn_option = try c.decodeIfPresent(String.self, forKey: .ffn_option) ?? ffn_option
        adapter_dropout = try c.decodeIfPresent(Double.self, forKey: .adapter_dropout) ?? adapter_dropout
        drop_path = try c.decodeIfPresent(Double.self, forKey: .drop_path) ?? drop_path
        head = try c.decodeIfPresent(String.self, forKey: .head) ?? head
    }
}

/// One AdaptMLP (`blocks.{i}.adaptmlp`).
final class AdaptMLP: ParameterContainer {
    let down: Linear, up: Linear
    let norm: LayerNorm?
    let learnedScale: Parameter?
    let fixedScale: Float

    init(prefix: String, dim: Int, bottleneck: Int, config: AdaptFormerConfig, rng: inout RandomStream) {
        // adapter.py:27-29: the LayerNorm exists for options `in` and `out` (default eps 1e-5).
        norm = ["in", "out"].contains(config.ffn_adapter_layernorm_option) ? LayerNorm(prefix + ".adapter_layer_norm_before", dim) : nil
        if config.ffn_adapter_scalar == "learnable_scalar" {
            learnedScale = Parameter(prefix + ".scale", Tensor(repeating: 1, shape: [1]), trainable: true)
            fixedScale = 1
        } else {
            learnedScale = nil
            fixedScale = Float(config.ffn_adapter_scalar) ?? 1
        }
        // adapter.py:36-48 ("lora" init): down kaiming_uniform_(a=√5), up and both biases zero.
        down = Linear(weight: Parameter(prefix + ".down_proj.weight", Init.kaimingUniformDefault([bottleneck, dim], rng: &rng), trainable: true),
                      bias: Parameter(prefix + ".down_proj.bias", Tensor(zeros: [bottleneck]), trainable: true))
        up = Linear(weight: Parameter(prefix + ".up_proj.weight", Tensor(zeros: [dim, bottleneck]), trainable: true),
                    bias: Parameter(prefix + ".up_proj.bias", Tensor(zeros: [dim]), trainable: true))
        norm?.weight.trainable = true
        norm?.bias.trainable = true
    }

    /// Official state-dict order: adapter_layer_norm_before, scale, down_proj, up_proj (registration order).
    var parameters: [Parameter] { (norm?.parameters ?? []) + (learnedScale.map { [$0] } ?? []) + down.parameters + up.parameters }

    /// adapter.py:50-70 with add_residual=False: the scaled bottleneck output.
    func callAsFunction(_ x: Tensor, layerNormOption: String, dropout: Float, context: inout ForwardContext) -> Tensor {
        var t = x
        if layerNormOption == "in", let norm { t = norm(t) }
        var d = down(t).relu()
        if context.training && dropout > 0 { d = d.dropout(dropout, rng: &context.rng) }
        var u = up(d)
        if let learnedScale { u = u * learnedScale.value } else if fixedScale != 1 { u = u * fixedScale }
        if layerNormOption == "out", let norm { u = norm(u) }
        return u
    }
}

/// The head: `mae-bn` = BatchNorm1d(affine=False, eps 1e-6) → Linear; `linear` = Linear.
final class AdaptFormerHead: ParameterContainer {
    let layer: Linear
    let batchNorm: Bool
    /// BatchNorm1d running statistics (momentum 0.1, unbiased running variance), used in eval.
    var runningMean: [Float], runningVar: [Float]
    static let eps: Float = 1e-6

    init(dim: Int, classes: Int, batchNorm: Bool, rng: inout RandomStream) {
        self.batchNorm = batchNorm
        let bound = 1 / Float(dim).squareRoot()
        // nn.Linear default init; mae-bn then re-draws the weight trunc_normal(std 0.01) (main_image.py:227).
        var w = Init.kaimingUniformDefault([classes, dim], rng: &rng)
        let b = Init.uniform([classes], -bound, bound, rng: &rng)
        if batchNorm { w = Init.truncatedNormal([classes, dim], std: 0.01, rng: &rng) }
        layer = Linear(weight: Parameter(batchNorm ? "head.1.weight" : "head.weight", w, trainable: true),
                       bias: Parameter(batchNorm ? "head.1.bias" : "head.bias", b, trainable: true))
        runningMean = [Float](repeating: 0, count: dim)
        runningVar = [Float](repeating: 1, count: dim)
    }

    var parameters: [Parameter] { layer.parameters }

    func callAsFunction(_ f: Tensor, training: Bool) -> Tensor {
        guard batchNorm else { return layer(f) }
        let n = f.shape[0], d = f.shape[1]
        if training && n > 1 {
            let mean = f.mean(axis: 0, keepDims: true)
            let centred = f - mean
            let variance = (centred * centred).mean(axis: 0, keepDims: true)
            // Running statistics (no gradient): momentum 0.1, unbiased variance (PyTorch BatchNorm).
            let m = mean.scalars, v = variance.scalars
            let unbias = Float(n) / Float(n - 1)
            for j in 0..<d {
                runningMean[j] = 0.9 * runningMean[j] + 0.1 * m[j]
                runningVar[j] = 0.9 * runningVar[j] + 0.1 * v[j] * unbias
            }
            return layer(centred / (variance + Self.eps).sqrt())
        }
        let mean = Tensor(runningMean, shape: [1, d])
        let scale = Tensor(runningVar.map { 1 / ($0 + Self.eps).squareRoot() }, shape: [1, d])
        return layer((f - mean) * scale)
    }
}

/// AdaptFormer on a ViT.
public final class AdaptFormer: PromptMethod {
    public let id = "adaptformer"
    public let config: AdaptFormerConfig
    public let vit: ViT
    let adapters: [AdaptMLP]
    let head: AdaptFormerHead

    public init(setup: MethodSetup) throws {
        let config = try setup.options.decode(AdaptFormerConfig.self, method: "adaptformer", known: AdaptFormerConfig.known)
        guard let vit = setup.backbone.vit else { throw MethodError("adaptformer needs a ViT backbone") }
        guard config.ffn_num > 0 else { throw MethodError("adaptformer: ffn_num must be > 0, found \(config.ffn_num)") }
        guard config.ffn_adapter_scalar == "learnable_scalar" || Float(config.ffn_adapter_scalar) != nil else {
            throw MethodError("adaptformer: ffn_adapter_scalar must be a number or learnable_scalar, found '\(config.ffn_adapter_scalar)'")
        }
        guard ["none", "in", "out"].contains(config.ffn_adapter_layernorm_option) else {
            throw MethodError("adaptformer: ffn_adapter_layernorm_option must be none, in or out, found '\(config.ffn_adapter_layernorm_option)'")
        }
        guard config.ffn_adapter_init_option == "lora" else {
            throw MethodError("adaptformer: ffn_adapter_init_option must be lora (bert raises NotImplementedError in adapter.py:41-42), found '\(config.ffn_adapter_init_option)'")
        }
        guard ["parallel", "sequential"].contains(config.ffn_option) else {
            throw MethodError("adaptformer: ffn_option must be parallel or sequential, found '\(config.ffn_option)'")
        }
        guard ["mae-bn", "linear"].contains(config.head) else {
            throw MethodError("adaptformer: head must be mae-bn or linear, found '\(config.head)'")
        }
        guard (0..<1).contains(config.adapter_dropout), (0..<1).contains(config.drop_path) else {
            throw MethodError("adaptformer: adapter_dropout and drop_path must be in [0, 1)")
        }
        self.config = config
        self.vit = vit
        for p in vit.parameters { p.trainable = false }
        var rng = setup.rng
        adapters = (0..<vit.config.depth).map {
            AdaptMLP(prefix: "blocks.\($0).adaptmlp", dim: vit.config.dim, bottleneck: config.ffn_num, config: config, rng: &rng)
        }
        head = AdaptFormerHead(dim: vit.config.dim, classes: setup.numClasses, batchNorm: config.head == "mae-bn", rng: &rng)
    }

    public var parameters: [Parameter] { vit.parameters + adapters.flatMap(\.parameters) + head.parameters }

    /// Features [B, D] (final norm, CLS token).
    public func features(_ images: Tensor, context: inout ForwardContext) -> Tensor {
        var t = vit.embed(images)
        let depth = vit.blocks.count
        for (i, blk) in vit.blocks.enumerated() {
            let rate = Float(depth > 1 ? config.drop_path * Double(i) / Double(depth - 1) : 0)
            let dp = context.training && rate > 0
            var a = blk.attention(blk.norm1(t), hooks: ViTHooks())
            if dp { a = a.dropPath(rate, rng: &context.rng) }
            let h = t + a
            let adapter = adapters[i]
            let ln = config.ffn_adapter_layernorm_option, p = Float(config.adapter_dropout)
            if config.ffn_option == "parallel" {
                let adapt = adapter(h, layerNormOption: ln, dropout: p, context: &context)
                var m = blk.mlp(blk.norm2(h))
                if dp { m = m.dropPath(rate, rng: &context.rng) }
                t = h + (m + adapt)
            } else {
                var m = blk.mlp(blk.norm2(h))
                if dp { m = m.dropPath(rate, rng: &context.rng) }
                t = h + (m + adapter(m, layerNormOption: ln, dropout: p, context: &context))
            }
        }
        let n = vit.norm(t)
        return n.slice(axis: 1, 0, 1).reshaped([n.shape[0], n.shape[2]])
    }

    public func logits(_ images: Tensor, context: inout ForwardContext) -> Tensor {
        head(features(images, context: &context), training: context.training)
    }

    /// main_image.py:266 (SGD, one group, one weight decay); AdamW-based recipes (V-PETL Bench
    /// train_model_adapter.py:172 `AdamW(trainable, lr, weight_decay)`) also use one group with decay on everything.
    public func parameterGroups(lr: Float, weightDecay: Float) -> [ParamGroup] {
        [ParamGroup("all", params: trainable, lr: lr, weightDecay: weightDecay)]
    }

    public func role(of p: Parameter) -> ParameterRole { p.name.hasPrefix("head.") ? .head : .other }

    public var officialBackbone: (naming: ViTNaming, prefix: String) { (.timm, "") }
    public var backboneViT: ViT? { vit }

    public func checkpointState() -> [String: Tensor] {
        guard head.batchNorm else { return [:] }
        let d = head.runningMean.count
        return ["head.0.running_mean": Tensor(head.runningMean, shape: [d]), "head.0.running_var": Tensor(head.runningVar, shape: [d])]
    }

    public func restore(checkpointState: [String: Tensor]) throws {
        guard head.batchNorm else { return }
        guard let m = checkpointState["head.0.running_mean"], let v = checkpointState["head.0.running_var"],
              m.count == head.runningMean.count, v.count == head.runningVar.count else {
            throw MethodError("adaptformer: checkpoint lacks head.0.running_mean/running_var of width \(head.runningMean.count)")
        }
        head.runningMean = m.scalars
        head.runningVar = v.scalars
    }

    public func loadProbeState(from weights: StateDict) throws -> [String] {
        guard head.batchNorm else { return [] }
        let d = head.runningMean.count
        var used: [String] = []
        if weights.contains("head.0.running_mean") { head.runningMean = try weights.tensor("head.0.running_mean", shape: [d]).scalars; used.append("head.0.running_mean") }
        if weights.contains("head.0.running_var") { head.runningVar = try weights.tensor("head.0.running_var", shape: [d]).scalars; used.append("head.0.running_var") }
        return used
    }
}

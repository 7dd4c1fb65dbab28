// DTL — Disentangled Transfer Learning (Fu et al., AAAI 2024), heekhero/DTL @ bf6c51e, models/vision_transformer.py.
// A compact side network (CSN) of low-rank maps reads the input of blocks `lora_before_blocks` and its running sum is
// added back, through a swish, after blocks `add_after_blocks`:
//   residuals = 0
//   for each block i:  if i ∈ lora_before_blocks: residuals += x · lora_Aᵢᵀ · lora_Bᵢᵀ      (LoRALinear :47-68, :424-427)
//                      x = block(x)                                   (timm pre-norm block with drop-path :263-277)
//                      if i ∈ add_after_blocks:   x += swish(residuals, beta) = residuals · σ(beta · residuals)  (:44-45, :429-444)
//   features = norm(mean of the patch tokens, CLS excluded)           (:446-448; no pre-logits layer)
// The table's DTL row is `--fusion_size 0` (train_scripts/vit/vtab/*/train_dtl.sh: r 2, beta 100, blocks 0-11 / 6-11):
// 12 × (2·768 + 768·2) = 36,864 trainable CSN weights (0.04 M). DTL+ (`--fusion_size 3`, a depthwise 3×3 conv on the
// patch residuals, :434-440) is another row and is not implemented here (fusion_size > 0 is rejected).
// Init: lora_A kaiming_uniform(a=√5) = U(±1/√in), lora_B zero (:59-63), created after `init_weights`, so not re-drawn;
// the head nn.Linear(768, C) is re-drawn by `init_weights` (self.apply(_init_vit_weights) with no name, :381-383, :475-477):
// trunc_normal(std .02), bias 0; the in21k checkpoint's head is skipped (different class count).
// Trainable: `lora_*` and the head (train_vit_vtab.py:44-53 mark_trainable_parameters). Optimiser groups: no decay on
// names ending in ".bias" (the head bias), decay on lora_A, lora_B and head.weight (train_vit_vtab.py:178-192).
// PyTorch's random draws cannot be matched bit for bit; parity goldens load the official weights from a file.
import Backbones
import Engine
import Foundation
import Random

/// DTL options, with the official argument names (train_vit_vtab.py:74-78, --drop_path :82).
public struct DTLConfig: Codable, Sendable, Equatable {
    /// Rank of each low-rank map (`--r`, default 2).
    public var r: Int = 2
    /// Swish sharpness in the CSN (`--beta`, default 100).
    public var beta: Double = 100
    /// Blocks whose input feeds the CSN, `start-end` inclusive (`--lora_before_blocks`, default "0-11").
    public var lora_before_blocks: String = "0-11"
    /// Blocks after which swish(residuals) is added to the tokens (`--add_after_blocks`, default "6-11").
    public var add_after_blocks: String = "6-11"
    /// DTL+'s depthwise conv kernel (`--fusion_size`); only 0 (plain DTL, the table's row) is implemented.
    public var fusion_size: Int = 0
    /// Stochastic depth, linspace(0, drop_path, depth) (`--drop_path`, per dataset in the scripts; :327).
    public var drop_path: Double = 0

    static let known: Set<String> = ["r", "beta", "lora_before_blocks", "add_after_blocks", "fusion_size", "drop_path"]
    public init() {}
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        r = try c.decodeIfPresent(Int.self, forKey: .r) ?? 2
        beta = try c.decodeIfPresent(Double.self, forKey: .beta) ?? 100
        // A single block may come as a YAML integer (`add_after_blocks: 11`).
        func blocks(_ key: CodingKeys, _ fallback: String) throws -> String {
            if let i = try? c.decodeIfPresent(Int.self, forKey: key) { return String(i) }
            return try c.decodeIfPresent(String.self, forKey: key) ?? fallback
        }
        lora_before_blocks = try blocks(.lora_before_blocks, "0-11")
        add_after_blocks = try blocks(.add_after_blocks, "6-11")
        fusion_size = try c.decodeIfPresent(Int.self, forKey: .fusion_size) ?? 0
        drop_path = try c.decodeIfPresent(Double.self, forKey: .drop_path) ?? 0
    }

    /// `parse_block_info` (train_vit_vtab.py:55-60): "a-b" → a…b, "a" → a.
    static func blocks(_ s: String, option: String, depth: Int) throws -> [Int] {
        let parts = s.split(separator: "-", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard (1...2).contains(parts.count), let lo = parts.first ?? nil, let hi = parts.last ?? nil, 0 <= lo, lo <= hi, hi < depth else {
            throw MethodError("dtl: \(option) must be 'start-end' (or one block) within 0-\(depth - 1), found '\(s)'")
        }
        return Array(lo...hi)
    }
}

/// DTL (plain, fusion_size 0) on a frozen ViT with a mean-pooled linear head.
public final class DTL: PromptMethod {
    public let id = "dtl"
    public let config: DTLConfig
    public let vit: ViT
    public let head: Linear
    /// Blocks with a low-rank map, and the blocks after which the CSN output is added.
    public let loraBlocks: [Int], addBlocks: Set<Int>
    /// Per entry of `loraBlocks`: `lora_dict.<i>.lora_A` [r, D] and `lora_dict.<i>.lora_B` [D, r].
    public let loraA: [Parameter], loraB: [Parameter]

    public init(setup: MethodSetup) throws {
        let config = try setup.options.decode(DTLConfig.self, method: "dtl", known: DTLConfig.known)
        guard let vit = setup.backbone.vit else { throw MethodError("dtl needs a ViT backbone") }
        guard config.r > 0 else { throw MethodError("dtl: r must be positive, found \(config.r)") }
        guard config.fusion_size == 0 else {
            throw MethodError("dtl: fusion_size \(config.fusion_size) is DTL+ (depthwise conv fusion), which is not implemented; use 0")
        }
        guard (0..<1).contains(config.drop_path) else { throw MethodError("dtl: drop_path must lie in [0, 1), found \(config.drop_path)") }
        let depth = vit.config.depth
        let lora = try DTLConfig.blocks(config.lora_before_blocks, option: "lora_before_blocks", depth: depth)
        let add = try DTLConfig.blocks(config.add_after_blocks, option: "add_after_blocks", depth: depth)
        // The official loop would call swish on the float 0.0 (a TypeError) if it added before any map had run.
        guard add[0] >= lora[0] else {
            throw MethodError("dtl: add_after_blocks (\(config.add_after_blocks)) starts before lora_before_blocks (\(config.lora_before_blocks))")
        }
        self.config = config
        self.vit = vit
        loraBlocks = lora; addBlocks = Set(add)
        for p in vit.parameters { p.trainable = false }
        let d = vit.config.dim, r = config.r
        var rng = setup.rng
        loraA = lora.map { Parameter("lora_dict.\($0).lora_A", Init.kaimingUniformDefault([r, d], rng: &rng), trainable: true) }
        loraB = lora.map { Parameter("lora_dict.\($0).lora_B", Tensor(zeros: [d, r]), trainable: true) }
        let c = setup.numClasses
        head = Linear(weight: Parameter("head.weight", Init.truncatedNormal([c, d], std: 0.02, rng: &rng), trainable: true),
                      bias: Parameter("head.bias", Tensor(zeros: [c]), trainable: true))
    }

    public var parameters: [Parameter] { vit.parameters + zip(loraA, loraB).flatMap { [$0, $1] } + head.parameters }

    public func features(_ images: Tensor, context: inout ForwardContext) -> Tensor {
        var x = vit.embed(images)
        let depth = vit.config.depth
        let beta = Float(config.beta)
        var residuals: Tensor?
        var k = 0
        for l in 0..<depth {
            if k < loraBlocks.count, loraBlocks[k] == l {
                let delta = Tensor.linear(Tensor.linear(x, loraA[k].value), loraB[k].value)
                residuals = residuals.map { $0 + delta } ?? delta
                k += 1
            }
            var ctx = context
            ctx.dropPath = ViT.dropPathRate(config.drop_path, layer: l, depth: depth)
            x = vit.blocks[l](x, context: &ctx)
            context.rng = ctx.rng
            if addBlocks.contains(l), let res = residuals {
                x = x + res * (res * beta).sigmoid()
            }
        }
        let n = x.shape[1]
        return vit.norm(x.slice(axis: 1, 1, n).mean(axis: 1))
    }

    public func logits(_ images: Tensor, context: inout ForwardContext) -> Tensor {
        head(features(images, context: &context))
    }

    public func parameterGroups(lr: Float, weightDecay: Float) -> [ParamGroup] {
        perTensorGroups(lr: lr, weightDecay: weightDecay) { $0.name.hasSuffix(".bias") }
    }

    public func role(of p: Parameter) -> ParameterRole {
        p.name.hasPrefix("head.") ? .head : .other
    }

    public var officialBackbone: (naming: ViTNaming, prefix: String) { (.timm, "") }
    public var backboneViT: ViT? { vit }
}

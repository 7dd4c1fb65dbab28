// SCT — Salient Channel Tuning (Zhao et al., IJCV 2024), showlab/SCT @ 384cecb, `tuning_mode: sct_attn` (run_model_sct.sh).
// Model (models/vision_transformer_sct.py): in every block, after the attention residual, a ChannelAdapter adds a
// Linear(topN, topN) of the block's topN salient channels to those channels (:272-306, Block.forward :340-346):
//   h = x + DropPath(attn(norm1(x)));   h[..., idx_i] += adapt_linear_i(h[..., idx_i]);   x = h + DropPath(mlp(norm2(h)))
// then the final norm and the CLS token (global_pool 'token', :398-400, :515-534). Trainable: names containing 'sct_attn'
// and the head (train_model_sct.py:242-248): 12 × (96·96 + 96) = 111,744 adapter values for ViT-B (0.11 M).
// Salient channels (train_model_sct.py:22-111 getSalientChannels): the frozen base model (drop-path 0, eval) runs over the
// whole training set (train800val200, no augmentation, batches of 50: :216-219, vtab.py:54-83); for block i the input of
// norm2 (= h above, before any adapter) is taken on the patch tokens (CLS dropped, :34); per class present, the L2
// norm of each channel over (images of the class × tokens) (:79-84); those are averaged over the classes (:89); the
// channels strictly above the (D−1−topN)-th smallest value are kept, in ascending channel order (:105-108).
// The suite computes this at the first training epoch from every training image once (eval transform, no drop-last),
// unless a checkpoint of the run already holds it (the `channel_index` state, restored on resume).
// Init: adapt_linear trunc_normal(std .02), bias 0 (ChannelAdapter._init_weights :285-291; init_weights_vit_timm
// re-draws the same way); the head is `reset_classifier`'s nn.Linear(D, C) with PyTorch's default init
// (kaiming_uniform(a=√5), bias U(±1/√D)) (:507-512, train_model_sct.py:234). Optimiser: AdamW(trainable, lr, wd), one
// group, decay on every tensor (train_model_sct.py:250). `scale`/`scaleonx` of the configs are unused by the forward
// (the scaled variants are commented out, :297-302).
// PyTorch's random draws cannot be matched bit for bit; parity goldens load the official weights from a file.
import Backbones
import Engine
import Foundation
import Random

/// SCT options, with the official names (train_model_sct.py argparse: --topN, --tuning_mode, --dpr).
public struct SCTConfig: Codable, Sendable, Equatable {
    /// Salient channels per block (`--topN`, 96 in run_model_sct.sh).
    public var topN: Int = 96
    /// Only `sct_attn` (the VTAB runs' mode) is implemented.
    public var tuning_mode: String = "sct_attn"
    /// Stochastic depth, linspace(0, dpr, depth) (`--dpr`, default 0.1, train_model_sct.py:168).
    public var dpr: Double = 0.1

    static let known: Set<String> = ["topN", "tuning_mode", "dpr"]
    public init() {}
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        topN = try c.decodeIfPresent(Int.self, forKey: .topN) ?? 96
        tuning_mode = try c.decodeIfPresent(String.self, forKey: .tuning_mode) ?? "sct_attn"
        dpr = try c.decodeIfPresent(Double.self, forKey: .dpr) ?? 0.1
    }
}

/// SCT (`sct_attn`) on a frozen ViT with a CLS linear head.
public final class SCT: PromptMethod {
    public let id = "sct"
    public let config: SCTConfig
    public let vit: ViT
    public let head: Linear
    /// `blocks.{i}.sct_attn.adapt_linear` (weight [topN, topN], bias [topN]).
    public let adapters: [Linear]
    /// Per block, the salient channels (ascending); nil until computed, restored or loaded.
    public private(set) var channelIndex: [[Int]]?

    public init(setup: MethodSetup) throws {
        let config = try setup.options.decode(SCTConfig.self, method: "sct", known: SCTConfig.known)
        guard config.tuning_mode == "sct_attn" else {
            throw MethodError("sct: tuning_mode '\(config.tuning_mode)' is not implemented; only sct_attn (the VTAB runs' mode)")
        }
        guard let vit = setup.backbone.vit else { throw MethodError("sct needs a ViT backbone") }
        guard config.topN > 0, config.topN < vit.config.dim else {
            throw MethodError("sct: topN must lie in 1..<\(vit.config.dim), found \(config.topN)")
        }
        guard (0..<1).contains(config.dpr) else { throw MethodError("sct: dpr must lie in [0, 1), found \(config.dpr)") }
        self.config = config
        self.vit = vit
        for p in vit.parameters { p.trainable = false }
        var rng = setup.rng
        let k = config.topN, d = vit.config.dim, c = setup.numClasses
        adapters = (0..<vit.config.depth).map { i in
            Linear(weight: Parameter("blocks.\(i).sct_attn.adapt_linear.weight", Init.truncatedNormal([k, k], std: 0.02, rng: &rng), trainable: true),
                   bias: Parameter("blocks.\(i).sct_attn.adapt_linear.bias", Tensor(zeros: [k]), trainable: true))
        }
        let bound = 1 / Float(d).squareRoot()
        head = Linear(weight: Parameter("head.weight", Init.kaimingUniformDefault([c, d], rng: &rng), trainable: true),
                      bias: Parameter("head.bias", Init.uniform([c], -bound, bound, rng: &rng), trainable: true))
    }

    public var parameters: [Parameter] { vit.parameters + adapters.flatMap(\.parameters) + head.parameters }

    // MARK: - Salient channels

    /// Installs per-block channel lists (each `topN` distinct channels in 0..<D).
    public func setChannels(_ index: [[Int]]) throws {
        let d = vit.config.dim
        guard index.count == vit.config.depth,
              index.allSatisfy({ $0.count == config.topN && Set($0).count == $0.count && $0.allSatisfy { (0..<d).contains($0) } }) else {
            throw MethodError("sct: channel index must be \(vit.config.depth) lists of \(config.topN) distinct channels in 0..<\(d)")
        }
        channelIndex = index
    }

    /// getSalientChannels (train_model_sct.py:22-111) on batches of (images, labels): per block, the topN channels of the
    /// class-averaged per-class L2 norms of the norm2 inputs on the patch tokens.
    public func salientChannels(_ read: TrainingBatchReader) throws -> [[Int]] {
        let depth = vit.config.depth, d = vit.config.dim
        var sums: [Int: [Double]] = [:]  // class → [block · D + channel] sum of squares
        while let (x, labels) = try read() {
            var t = vit.embed(x)
            let b = t.shape[0], n = t.shape[1]
            for l in 0..<depth {
                let blk = vit.blocks[l]
                let h = t + blk.attention(blk.norm1(t), hooks: ViTHooks())
                let v = h.scalars
                for i in 0..<b {
                    var acc = sums.removeValue(forKey: labels[i]) ?? [Double](repeating: 0, count: depth * d)
                    for tok in 1..<n {
                        let base = (i * n + tok) * d
                        for ch in 0..<d { let e = Double(v[base + ch]); acc[l * d + ch] += e * e }
                    }
                    sums[labels[i]] = acc
                }
                if l < depth - 1 { t = h + blk.mlp(blk.norm2(h)) }
            }
        }
        guard !sums.isEmpty else { throw MethodError("sct: no training images to select salient channels from") }
        let classes = sums.keys.sorted()
        var out: [[Int]] = []
        for l in 0..<depth {
            var fea = [Double](repeating: 0, count: d)
            for c in classes { for ch in 0..<d { fea[ch] += sums[c]![l * d + ch].squareRoot() } }
            for ch in 0..<d { fea[ch] /= Double(classes.count) }
            let threshold = fea.sorted()[d - 1 - config.topN]
            let idx = (0..<d).filter { fea[$0] > threshold }
            guard idx.count == config.topN else {
                throw MethodError("sct: block \(l) has \(idx.count) channels above the threshold (ties); the official code needs exactly topN \(config.topN)")
            }
            out.append(idx)
        }
        return out
    }

    /// Selection at the first training epoch (every training image once), unless restored from the run's checkpoint.
    public func epochWillBegin(_ epoch: Int, trainingData: TrainingData) throws {
        guard channelIndex == nil else { return }
        try setChannels(salientChannels(trainingData(wholeTrainingSetEpoch)))
    }

    public var notReady: String? {
        channelIndex == nil ? "sct: salient channels not computed (they come from the training set at the first epoch, or from a checkpoint)" : nil
    }

    static func stateName(_ i: Int) -> String { "blocks.\(i).sct_attn.channel_index" }

    public func checkpointState() -> [String: Tensor] {
        guard let idx = channelIndex else { return [:] }
        var out: [String: Tensor] = [:]
        for (i, c) in idx.enumerated() { out[Self.stateName(i)] = Tensor(c.map(Float.init), shape: [c.count]) }
        return out
    }

    public func restore(checkpointState: [String: Tensor]) throws {
        let names = (0..<vit.config.depth).map(Self.stateName)
        guard names.allSatisfy({ checkpointState[$0] != nil }) else {
            if names.contains(where: { checkpointState[$0] != nil }) { throw MethodError("sct: checkpoint holds channel indices for some blocks only") }
            return
        }
        try setChannels(names.map { checkpointState[$0]!.scalars.map { Int($0) } })
    }

    /// A probe's weights carry the official model's `blocks.{i}.sct_attn.channel_index` (a plain attribute there).
    public func loadProbeState(from weights: StateDict) throws -> [String] {
        let names = (0..<vit.config.depth).map(Self.stateName)
        var found: [String: Tensor] = [:]
        for n in names where weights.contains(n) { let (shape, values) = try weights.raw(n); found[n] = Tensor(values, shape: shape) }
        guard found.count == names.count else {
            throw MethodError("sct: the weights lack \(names.filter { found[$0] == nil }) (the official model's salient channels, per block)")
        }
        try restore(checkpointState: found)
        return names
    }

    // MARK: - Forward

    public func features(_ images: Tensor, context: inout ForwardContext) -> Tensor {
        guard let index = channelIndex else { preconditionFailure(notReady!) }
        var x = vit.embed(images)
        let depth = vit.config.depth, d = vit.config.dim, k = config.topN
        for l in 0..<depth {
            let blk = vit.blocks[l]
            let rate = Float(depth > 1 ? config.dpr * Double(l) / Double(depth - 1) : 0)
            let dp = context.training && rate > 0
            var a = blk.attention(blk.norm1(x), hooks: ViTHooks())
            if dp { a = a.dropPath(rate, rng: &context.rng) }
            var h = x + a
            // h[..., idx] += adapt_linear(h[..., idx]): the update scattered back through a zero column.
            let delta = adapters[l](h.indexSelect(axis: 2, index[l]))
            var position = [Int](repeating: k, count: d)
            for (j, ch) in index[l].enumerated() { position[ch] = j }
            let padded = Tensor.concat([delta, Tensor(zeros: [delta.shape[0], delta.shape[1], 1])], axis: 2)
            h = h + padded.indexSelect(axis: 2, position)
            var m = blk.mlp(blk.norm2(h))
            if dp { m = m.dropPath(rate, rng: &context.rng) }
            x = h + m
        }
        return vit.normedCLS(x)
    }

    public func logits(_ images: Tensor, context: inout ForwardContext) -> Tensor {
        head(features(images, context: &context))
    }

    public func parameterGroups(lr: Float, weightDecay: Float) -> [ParamGroup] {
        [ParamGroup("all", params: trainable, lr: lr, weightDecay: weightDecay)]  // train_model_sct.py:250
    }

    public func role(of p: Parameter) -> ParameterRole { p.name.hasPrefix("head.") ? .head : .other }

    public var officialBackbone: (naming: ViTNaming, prefix: String) { (.timm, "") }
    public var backboneViT: ViT? { vit }
}

// MLP-k: a frozen ViT and a k-layer MLP classifier on its CLS feature (KMnP/vpt @ 4410440: `src/models/mlp.py` MLP,
// built by `src/models/vit_models.py:159-165` setup_head with mlp_dims = [feat_dim] × MODEL.MLP_NUM + [classes] and
// special_bias=True; TRANSFER_TYPE linear freezes the encoder, vit_models.py:89-91).
// The tables' "MLP-3" is MLP_NUM = 2, two hidden layers and the last layer: demo.ipynb, "MLP-3 (3 layer MLP):
// --config-file configs/linear/*.yaml MODEL.MLP_NUM "2"".
// Per hidden layer i the MLP's defaults (mlp.py:16-49: dropout 0.1, ReLU, BatchNorm1d, add_bn_first False) give
//   head.projection.{4i}   Linear(D, D): weight kaiming_normal_(fan_out), bias nn.Linear's default U(±1/√D)
//   head.projection.{4i+1} ReLU
//   head.projection.{4i+2} BatchNorm1d(D): weight 1, bias 0, running_mean 0, running_var 1 (momentum 0.1, eps 1e-5)
//   head.projection.{4i+3} Dropout(0.1)
// then head.last_layer (ClassifierHead). The hidden width is the feature width D (mlp_dims repeats feat_dim).
// Training runs the head in train mode (ViT.forward puts only `enc` in eval, vit_models.py:173-174): BatchNorm on batch
// statistics (updating the running ones) and dropout; evaluation uses the running statistics. PyTorch refuses a
// training batch of one image (BatchNorm1d: "Expected more than 1 value per channel"); here such a batch normalises to
// the BatchNorm bias. Initial draws come from the suite's RandomStream (PyTorch's cannot be matched bit for bit).
import Backbones
import Engine
import Foundation
import Random

/// MLP head on a frozen backbone.
public final class MLPProbe: BackboneWithHead {
    /// One hidden layer: Linear → ReLU → BatchNorm1d → Dropout.
    public struct Hidden {
        public let linear: Linear
        public let bnWeight: Parameter, bnBias: Parameter
        /// BatchNorm buffers (not learnable; saved with checkpoints, loaded by probes).
        public let runningMean: Parameter, runningVar: Parameter
    }

    public let hidden: [Hidden]
    /// The head's dropout probability (mlp.py default 0.1; the official code never changes it). Tests set 0 to
    /// compare a training-mode forward without random masks.
    public var dropout: Float = 0.1

    struct Options: Codable { var MLP_NUM: Int? }

    public init(id: String, setup: MethodSetup, defaultLayers: Int) throws {
        let o = try setup.options.decode(Options.self, method: id, known: ["MLP_NUM"])
        let n = o.MLP_NUM ?? defaultLayers
        guard n >= 0 else { throw MethodError("\(id): MLP_NUM must be ≥ 0, got \(n)") }
        guard let d = setup.backbone.vit?.config.dim else { throw MethodError("\(id) needs a ViT backbone") }
        // Its own stream, after the last layer's draws (BackboneWithHead draws those from `setup.rng`).
        var rng = setup.rng
        rng = RandomStream(rng.next(), 0x4D4C50)
        hidden = (0..<n).map { i in
            let p = "head.projection.\(4 * i)", bn = "head.projection.\(4 * i + 2)"
            let bound = 1 / Float(d).squareRoot()
            let w = Parameter(p + ".weight", Init.kaimingNormal([d, d], fanOut: true, rng: &rng), trainable: true)
            let b = Parameter(p + ".bias", Init.uniform([d], -bound, bound, rng: &rng), trainable: true)
            return Hidden(linear: Linear(weight: w, bias: b),
                          bnWeight: Parameter(bn + ".weight", Tensor(repeating: 1, shape: [d]), trainable: true),
                          bnBias: Parameter(bn + ".bias", Tensor(zeros: [d]), trainable: true),
                          runningMean: Parameter(bn + ".running_mean", Tensor(zeros: [d])),
                          runningVar: Parameter(bn + ".running_var", Tensor(repeating: 1, shape: [d])))
        }
        try super.init(id: id, setup: setup) { _ in false }
    }

    var buffers: [Parameter] { hidden.flatMap { [$0.runningMean, $0.runningVar] } }

    override public var parameters: [Parameter] {
        vit.parameters + hidden.flatMap { [$0.linear.weight, $0.linear.bias!, $0.bnWeight, $0.bnBias] } + head.parameters
    }

    /// The MLP on features [B, D]: batch statistics and dropout when `context.training`.
    public func classify(_ features: Tensor, context: inout ForwardContext) -> Tensor {
        var x = features
        for h in hidden {
            let z = h.linear(x).relu()
            let b = z.shape[0], d = z.shape[1]
            x = z.reshaped([b, d, 1, 1]).batchNorm2d(weight: h.bnWeight.value, bias: h.bnBias.value, runningMean: h.runningMean.value,
                                                     runningVar: h.runningVar.value, training: context.training).reshaped([b, d])
            if context.training { x = x.dropout(dropout, rng: &context.rng) }
        }
        return head(x)
    }

    override public func logits(_ images: Tensor, context: inout ForwardContext) -> Tensor {
        var frozen = ForwardContext.eval  // the encoder is in eval mode (vit_models.py:173-174)
        return classify(vit.features(images, context: &frozen), context: &context)
    }

    override public func role(of p: Parameter) -> ParameterRole { p.name.hasPrefix("head.") ? .head : .other }

    // The running statistics are state, not parameters: they must survive a resume and come with probe weights.
    override public func checkpointState() -> [String: Tensor] {
        Dictionary(uniqueKeysWithValues: buffers.map { ($0.name, $0.value) })
    }

    override public func restore(checkpointState: [String: Tensor]) throws {
        for b in buffers {
            guard let t = checkpointState[b.name], t.count == b.count else {
                throw MethodError("\(id): checkpoint lacks \(b.name) (or it has the wrong size)")
            }
            b.value.data.update(from: t.data, count: b.count)
        }
    }

    /// Probe weights carry the BatchNorm buffers under their official names (`num_batches_tracked` is read and unused:
    /// momentum 0.1 is set, so PyTorch never reads it).
    override public func loadProbeState(from weights: StateDict) throws -> [String] {
        var used: [String] = []
        for b in buffers {
            try weights.load(b.name, into: b)
            used.append(b.name)
        }
        for h in hidden {
            let n = h.bnWeight.name.replacingOccurrences(of: ".weight", with: ".num_batches_tracked")
            if weights.contains(n) { _ = try weights.raw(n); used.append(n) }
        }
        return used
    }
}

extension MLPProbe: CachesFrozenFeatures {
    public func frozenFeatures(_ images: Tensor) -> Tensor {
        var ctx = ForwardContext.eval
        return withoutGrad { vit.features(images, context: &ctx) }
    }

    public func logits(fromFeatures features: Tensor) -> Tensor {
        var ctx = ForwardContext.eval
        return classify(features, context: &ctx)
    }

    public func trainingLogits(fromFeatures features: Tensor, context: inout ForwardContext) -> Tensor {
        classify(features, context: &context)
    }

    public var featureWidth: Int { vit.config.dim }
}

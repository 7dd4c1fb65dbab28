// The `linear` and `full` baselines on torchvision ResNets, as OPTML-Group/ILM-VP @ 84ca042 runs them for its Table 1
// (experiments/cnn/linear_probing.py, experiments/cnn/full_finetune.py). The registry builds these instead of the
// ViT classes (LinearProbe, FullFinetune) when the cell's backbone is a ResNet; the method ids stay `linear` and `full`
// because the two scripts are the same baselines (frozen network + new classifier; everything trains), only their
// details differ from KMnP/vpt's:
// - linear_probing.py:52-55 freezes the network, puts it in eval mode once (BatchNorm on running statistics throughout)
//   and replaces `network.fc` with a fresh `torch.nn.Linear(fc.in_features, len(class_names))`: PyTorch's default
//   init, weight kaiming_uniform(a=√5) = U(±1/√fan_in), bias U(±1/√fan_in) (not KMnP/vpt's kaiming-normal head with the
//   −4.6 focal bias). Named `fc.weight`/`fc.bias` as the official state dict.
// - full_finetune.py:54 makes every tensor trainable and does NOT replace `fc`: the pretrained 1000-way ImageNet head
//   trains on the target labels 0…C−1 (cross-entropy over all 1000 logits, argmax over all 1000 at test). It calls
//   `network.train()` every epoch (:69), so BatchNorm normalises with batch statistics and updates its running
//   statistics in training, and `network.eval()` before testing (:94).
// Both scripts train under torch.cuda.amp autocast + GradScaler (fp16 on the GPU); we train in fp32.
import Backbones
import Engine
import Foundation
import Random

/// linear_probing.py: frozen ResNet in eval mode, a new `fc`.
public final class ResNetLinearProbe: PromptMethod {
    public let id = "linear"
    public let resnet: ResNet
    /// The replaced `network.fc`: [C, F] + [C].
    public let fc: Linear

    public init(setup: MethodSetup) throws {
        guard let r = setup.backbone.resnet else { throw MethodError("linear: ResNetLinearProbe needs a ResNet backbone") }
        resnet = r
        for p in r.parameters { p.trainable = false }
        var rng = setup.rng
        let f = r.config.featureDim, c = setup.numClasses
        // torch.nn.Linear.reset_parameters: kaiming_uniform_(a=√5) on [C, F] is U(±√(6 / ((1 + 5)·F))) = U(±1/√F); bias U(±1/√F).
        let bound = 1 / Float(f).squareRoot()
        fc = Linear(weight: Parameter("fc.weight", Init.uniform([c, f], -bound, bound, rng: &rng), trainable: true),
                    bias: Parameter("fc.bias", Init.uniform([c], -bound, bound, rng: &rng), trainable: true))
    }

    /// The network as the official script holds it: the backbone without its ImageNet `fc`, then the new `fc`.
    public var parameters: [Parameter] {
        resnet.parameters.filter { $0 !== resnet.fc.weight && $0 !== resnet.fc.bias } + fc.parameters
    }

    public func logits(_ images: Tensor, context: inout ForwardContext) -> Tensor { fc(resnet.features(images)) }

    /// linear_probing.py:59: Adam(network.fc.parameters(), lr) — one group, the recipe's weight decay (0 there).
    public func parameterGroups(lr: Float, weightDecay: Float) -> [ParamGroup] {
        [ParamGroup("fc", params: fc.parameters, lr: lr, weightDecay: weightDecay)]
    }

    public func role(of p: Parameter) -> ParameterRole { p === fc.weight || p === fc.bias ? .head : .other }
    public var officialBackbone: (naming: ViTNaming, prefix: String) { (.timm, "") }
    public var backboneViT: ViT? { nil }
    public var backboneResNet: ResNet? { resnet }
}

/// The frozen prefix is the whole ResNet up to the pooled features (eval-mode BatchNorm, no randomness).
extension ResNetLinearProbe: CachesFrozenFeatures {
    public func frozenFeatures(_ images: Tensor) -> Tensor { withoutGrad { resnet.features(images) } }
    public func logits(fromFeatures features: Tensor) -> Tensor { fc(features) }
    public var featureWidth: Int { resnet.config.featureDim }
}

/// full_finetune.py: every tensor trains, the pretrained K-way `fc` kept, BatchNorm in training mode while training.
public final class ResNetFullFinetune: PromptMethod {
    public let id = "full"
    public let resnet: ResNet

    public init(setup: MethodSetup) throws {
        guard let r = setup.backbone.resnet else { throw MethodError("full: ResNetFullFinetune needs a ResNet backbone") }
        guard setup.numClasses <= r.config.numClasses else {
            // The official cross-entropy would fail on a label ≥ K.
            throw MethodError("full: on a ResNet the pretrained \(r.config.numClasses)-way fc is trained on the target labels (ILM-VP full_finetune.py keeps network.fc); \(setup.numClasses) classes do not fit")
        }
        resnet = r
        for p in r.parameters { p.trainable = true }
    }

    public var parameters: [Parameter] { resnet.parameters }

    /// Logits over all K source classes; training passes use batch statistics (`network.train()`), others the running ones.
    public func logits(_ images: Tensor, context: inout ForwardContext) -> Tensor {
        resnet.trainsBatchNorm = context.training
        defer { resnet.trainsBatchNorm = false }
        return resnet.forward(images)
    }

    /// full_finetune.py:58: Adam(network.parameters(), lr, weight_decay=5e-4) — one group, L2 decay on every tensor.
    public func parameterGroups(lr: Float, weightDecay: Float) -> [ParamGroup] {
        [ParamGroup("network", params: trainable, lr: lr, weightDecay: weightDecay)]
    }

    public func role(of p: Parameter) -> ParameterRole { p === resnet.fc.weight || p === resnet.fc.bias ? .head : .other }
    public var officialBackbone: (naming: ViTNaming, prefix: String) { (.timm, "") }
    public var backboneViT: ViT? { nil }
    public var backboneResNet: ResNet? { resnet }

    /// The BatchNorm running statistics change in training: a resume must restore them.
    public func checkpointState() -> [String: Tensor] {
        Dictionary(uniqueKeysWithValues: resnet.buffers.map { ($0.name, $0.value) })
    }

    public func restore(checkpointState: [String: Tensor]) throws {
        for b in resnet.buffers {
            guard let t = checkpointState[b.name], t.count == b.count else {
                throw MethodError("full: the checkpoint lacks BatchNorm statistics '\(b.name)' (or has the wrong size)")
            }
            b.value.assign(t)
        }
    }
}

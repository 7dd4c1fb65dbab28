// A ViT with KMnP/vpt's classifier head on the CLS feature; the VPT paper's baselines differ only in
// which backbone tensors train (KMnP/vpt `src/models/vit_models.py` `TRANSFER_TYPE`).
import Backbones
import Engine
import Foundation
import Random

/// Shared body of the VPT-paper baselines: frozen (or partly trainable) ViT + `head.last_layer`.
open class BackboneWithHead: PromptMethod {
    public let id: String
    public let vit: ViT
    public let head: ClassifierHead

    /// How the official code names the backbone's tensors under `enc.`: jeonsworld for the supervised ViT, timm for
    /// KMnP/vpt's MoCo v3 / MAE encoders (`SSLViT`).
    public let officialNaming: ViTNaming

    /// `trains(officialName)` decides, like the official code, which backbone tensors train; it is given the
    /// KMnP/vpt (`naming`, `enc.`-prefixed; jeonsworld unless said) names of the tensor(s) a parameter stands for.
    public init(id: String, setup: MethodSetup, naming: ViTNaming = .jeonsworld, trains: ([String]) -> Bool) throws {
        guard let vit = setup.backbone.vit else { throw MethodError("\(id) needs a ViT backbone") }
        self.id = id
        self.vit = vit
        officialNaming = naming
        var rng = setup.rng
        head = ClassifierHead(inFeatures: vit.config.dim, classes: setup.numClasses, rng: &rng)
        let official = vit.officialNames(naming, prefix: "enc.")
        for p in vit.parameters { p.trainable = trains(official[p.name] ?? [p.name]) }
    }

    open var parameters: [Parameter] { vit.parameters + head.parameters }

    open func logits(_ images: Tensor, context: inout ForwardContext) -> Tensor {
        head(vit.features(images, context: &context))
    }

    open func parameterGroups(lr: Float, weightDecay: Float) -> [ParamGroup] {
        // KMnP/vpt src/solver/optimizer.py: one group per tensor; no decay on `last_layer.bias`.
        perTensorGroups(lr: lr, weightDecay: weightDecay) { $0.name.hasSuffix("last_layer.bias") }
    }

    open func role(of p: Parameter) -> ParameterRole {
        if p.name.contains("prompt") { return .prompt }
        if p.name.hasPrefix("head.") { return .head }
        return .other
    }

    open var officialBackbone: (naming: ViTNaming, prefix: String) { (officialNaming, "enc.") }
    public var backboneViT: ViT? { vit }

    // Declared here (not only in the protocol extension) so subclasses can override them: a protocol extension's
    // default is what the class's witness table would otherwise call, whatever a subclass defines.
    open func epochDidEnd(_ epoch: Int) {}
    open func checkpointState() -> [String: Tensor] { [:] }
    open func restore(checkpointState: [String: Tensor]) throws {}
    open func loadProbeState(from weights: StateDict) throws -> [String] { [] }
}

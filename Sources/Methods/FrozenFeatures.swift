// Methods whose trainable tensors all sit after a frozen, deterministic prefix (the linear probe: a frozen ViT,
// then the head). The trainer may run the prefix once per image and train on the cached features when the
// training pipeline draws no random numbers (see Bench's FeatureCache).
import Backbones
import Engine

public protocol CachesFrozenFeatures: PromptMethod {
    /// The frozen prefix's output for a batch, [B, F]: no trainable tensor, no randomness (no dropout or drop-path
    /// in training either), so the training forward and this one agree.
    func frozenFeatures(_ images: Tensor) -> Tensor
    /// Logits [B, C] from those features; the training loss is the method's cross-entropy of these logits.
    func logits(fromFeatures features: Tensor) -> Tensor
}

extension LinearProbe: CachesFrozenFeatures {
    public func frozenFeatures(_ images: Tensor) -> Tensor {
        var ctx = ForwardContext.eval
        return withoutGrad { vit.features(images, context: &ctx) }
    }

    public func logits(fromFeatures features: Tensor) -> Tensor { head(features) }
}

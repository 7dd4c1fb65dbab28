// Methods whose trainable tensors all sit after a frozen, deterministic prefix: the linear probe (a frozen ViT, then
// the head) and Partial-1 (the first L − 1 blocks frozen; the last block, the final norm and the head train). The
// trainer may run the prefix once per image and train on the cached features when the training pipeline draws no
// random numbers (see Bench's FeatureCache).
import Backbones
import Engine

public protocol CachesFrozenFeatures: PromptMethod {
    /// The frozen prefix's output for a batch, [B, F]: no trainable tensor, no randomness (no dropout or drop-path
    /// in training either), so the training forward and this one agree.
    func frozenFeatures(_ images: Tensor) -> Tensor
    /// Logits [B, C] from those features; the training loss is the method's cross-entropy of these logits.
    func logits(fromFeatures features: Tensor) -> Tensor
    /// F: floats per image of the cached features.
    var featureWidth: Int { get }
}

extension LinearProbe: CachesFrozenFeatures {
    public func frozenFeatures(_ images: Tensor) -> Tensor {
        var ctx = ForwardContext.eval
        return withoutGrad { vit.features(images, context: &ctx) }
    }

    public func logits(fromFeatures features: Tensor) -> Tensor { head(features) }

    public var featureWidth: Int { vit.config.dim }
}

/// Partial-1 caches the tokens entering the last block, [B, (1 + N)·D] (605 KB per ViT-B/16 image): KMnP/vpt keeps
/// a partly trained encoder in eval mode, so the frozen blocks run without dropout and the prefix is deterministic.
extension Partial1: CachesFrozenFeatures {
    public func frozenFeatures(_ images: Tensor) -> Tensor {
        var ctx = ForwardContext.eval
        return withoutGrad {
            var t = vit.embed(images)
            for blk in vit.blocks.dropLast() { t = blk(t, context: &ctx) }
            return t.reshaped([t.shape[0], t.count / t.shape[0]])
        }
    }

    /// The last block on the CLS row only (what `ViT.features` runs for a CLS readout), the final norm, the head.
    public func logits(fromFeatures features: Tensor) -> Tensor {
        let b = features.shape[0], d = vit.config.dim
        let t = features.reshaped([b, features.count / (b * d), d])
        let cls = vit.norm(vit.blocks[vit.blocks.count - 1].firstRows(t, rows: 1, hooks: ViTHooks()))
        var f = cls.reshaped([b, d])
        if let preLogits = vit.preLogits { f = preLogits(f).tanh() }
        return head(f)
    }

    public var featureWidth: Int { (vit.config.numPatches + 1) * vit.config.dim }
}

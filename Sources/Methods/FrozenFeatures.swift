// Methods whose trainable tensors all sit after a frozen, deterministic prefix: the linear probe (a frozen ViT, then
// the head), MLP-k (a frozen ViT, then an MLP head) and Partial-k (the first L − k blocks frozen; the last k blocks, the
// final norm and the head train). The
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
    /// Training logits from those features: `context` carries the training mode and randomness of the trainable part
    /// (MLP-k's BatchNorm batch statistics and dropout). Default: `logits(fromFeatures:)`.
    func trainingLogits(fromFeatures features: Tensor, context: inout ForwardContext) -> Tensor
    /// F: floats per image of the cached features.
    var featureWidth: Int { get }
}

extension CachesFrozenFeatures {
    public func trainingLogits(fromFeatures features: Tensor, context: inout ForwardContext) -> Tensor { logits(fromFeatures: features) }
}

extension LinearProbe: CachesFrozenFeatures {
    public func frozenFeatures(_ images: Tensor) -> Tensor {
        var ctx = ForwardContext.eval
        return withoutGrad { vit.features(images, context: &ctx) }
    }

    public func logits(fromFeatures features: Tensor) -> Tensor { head(features) }

    public var featureWidth: Int { vit.config.dim }
}

/// Partial-k caches the tokens entering its first trained block, [B, (1 + N)·D] (605 KB per ViT-B/16 image): KMnP/vpt
/// keeps a partly trained encoder in eval mode, so the frozen blocks run without dropout and the prefix is deterministic.
extension PartialFinetune: CachesFrozenFeatures {
    public func frozenFeatures(_ images: Tensor) -> Tensor {
        var ctx = ForwardContext.eval
        return withoutGrad {
            var t = vit.embed(images)
            for blk in vit.blocks[..<firstTrainedBlock] { t = blk(t, context: &ctx) }
            return t.reshaped([t.shape[0], t.count / t.shape[0]])
        }
    }

    /// The trained blocks before the last one on every token, the last block on the CLS row only (what
    /// `ViT.features` runs for a CLS readout), the final norm, the head.
    public func logits(fromFeatures features: Tensor) -> Tensor {
        let b = features.shape[0], d = vit.config.dim
        var t = features.reshaped([b, features.count / (b * d), d])
        var ctx = ForwardContext.eval
        for blk in vit.blocks[firstTrainedBlock..<(vit.blocks.count - 1)] { t = blk(t, context: &ctx) }
        let cls = vit.norm(vit.blocks[vit.blocks.count - 1].firstRows(t, rows: 1, hooks: ViTHooks()))
        var f = cls.reshaped([b, d])
        if let preLogits = vit.preLogits { f = preLogits(f).tanh() }
        return head(f)
    }

    public var featureWidth: Int { (vit.config.numPatches + 1) * vit.config.dim }
}

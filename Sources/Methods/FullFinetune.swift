// Full fine-tuning: every backbone tensor trains with the head (KMnP/vpt TRANSFER_TYPE "end2end").
// Unlike every other transfer type, "end2end" leaves the encoder in train mode (`vit_models.py:33-38, 173-174`:
// only frozen encoders are put back into eval), so the backbone's Dropout(0.1) layers act during training
// (`src/configs/vit_configs.py:19` dropout_rate 0.1; `vit_backbones/vit.py` Embeddings and Mlp).
import Backbones
import Engine

/// Full fine-tuning.
public final class FullFinetune: BackboneWithHead {
    /// `config.transformer.dropout_rate` of the official ViT configs.
    public static let backboneDropout: Float = 0.1

    public init(setup: MethodSetup) throws { try super.init(id: "full", setup: setup) { _ in true } }

    public override func logits(_ images: Tensor, context: inout ForwardContext) -> Tensor {
        if context.training { context.dropout = Self.backboneDropout }
        return super.logits(images, context: &context)
    }
}

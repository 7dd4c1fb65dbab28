// Partial-1: the last transformer block and the final norm train, plus the head
// (KMnP/vpt TRANSFER_TYPE "partial-1": `transformer.encoder.layer.{L−1}` and `transformer.encoder.encoder_norm`).
/// Partial fine-tuning of the last block.
public final class Partial1: BackboneWithHead {
    public init(setup: MethodSetup) throws {
        let last = (setup.backbone.vit?.config.depth ?? 12) - 1
        try super.init(id: "partial-1", setup: setup) { names in
            names.allSatisfy { $0.contains("transformer.encoder.layer.\(last).") || $0.contains("transformer.encoder.encoder_norm") }
        }
    }
}

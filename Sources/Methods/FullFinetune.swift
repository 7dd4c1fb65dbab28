// Full fine-tuning: every backbone tensor trains with the head (KMnP/vpt TRANSFER_TYPE "end2end").
/// Full fine-tuning.
public final class FullFinetune: BackboneWithHead {
    public init(setup: MethodSetup) throws { try super.init(id: "full", setup: setup) { _ in true } }
}

// Bias tuning (BitFit / TinyTL-bias): only bias vectors train, plus the head
// (KMnP/vpt TRANSFER_TYPE "tinytl-bias": `requires_grad = "bias" in name`, which includes LayerNorm biases).
/// Bias tuning.
public final class BiasTuning: BackboneWithHead {
    public init(setup: MethodSetup) throws {
        try super.init(id: "bias", setup: setup) { names in names.allSatisfy { $0.contains("bias") } }
    }
}

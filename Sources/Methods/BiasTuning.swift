// Bias tuning (BitFit / TinyTL-bias): only bias vectors train, plus the head
// (KMnP/vpt TRANSFER_TYPE "tinytl-bias": `requires_grad = "bias" in name`, which includes LayerNorm biases).
/// Bias tuning.
public final class BiasTuning: BackboneWithHead {
    /// No options: one given (V-PETL Bench's `--dpr` read as `drop_path`) is rejected by name, not ignored.
    struct NoOptions: Codable {}

    public init(setup: MethodSetup) throws {
        _ = try setup.options.decode(NoOptions.self, method: "bias", known: [])
        try super.init(id: "bias", setup: setup) { names in names.allSatisfy { $0.contains("bias") } }
    }
}

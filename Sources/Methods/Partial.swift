// Partial-k (k = 1, 2, 4 in the VPT paper): the last k transformer blocks and the final norm train, plus the head;
// everything before stays frozen (KMnP/vpt @ 4410440 `src/models/vit_models.py` TRANSFER_TYPE "partial-k").
// The official code writes one branch per k and per backbone family; the rules, by family (`FEATURE`, the official
// DATA.FEATURE, picks one):
//   * supervised ViT (`ViT.build_backbone`, vit_models.py:70-87): a tensor trains when its name contains
//     `transformer.encoder.layer.{L−j}` for some j in 1...k, or `transformer.encoder.encoder_norm`.
//   * MoCo v3 (`SSLViT.build_backbone`, vit_models.py:283-298): `blocks.{L−j}` or `fc_norm`, and `k != "norm"`,
//     which no parameter name equals (they are `norm.weight`, `norm.bias`): the final norm stays FROZEN. That is the
//     official behaviour and the default here; `FIXED_NORM: true` trains it as the supervised rule does.
//   * MAE (same SSLViT rule): the official MAE encoder pools the patch tokens and normalises them with a fresh
//     `fc_norm` (vit_backbones/vit_mae.py:17-47, global_pool=True); the suite's ViT reads the CLS token, so the
//     official MAE partial-k cannot be built and is refused rather than approximated.
//   * Swin (`Swin.build_backbone`, vit_models.py:211-230) is not supported: no table of the suite runs partial-k on Swin.
// Names are matched as substrings, as the official code does (`layer.1` would also match `layer.10`; with L ≤ 32
// blocks no index L−j is a prefix of another existing index, so the quirk changes nothing).
import Backbones
import Engine

/// Partial fine-tuning of the last `k` blocks.
public final class PartialFinetune: BackboneWithHead {
    public let k: Int
    /// The block index where the trainable part starts (L − k, at least 0).
    public let firstTrainedBlock: Int

    struct Options: Codable {
        var FEATURE: String?
        var FIXED_NORM: Bool?
    }

    public init(k: Int, setup: MethodSetup) throws {
        let id = "partial-\(k)"
        let o = try setup.options.decode(Options.self, method: id, known: ["FEATURE", "FIXED_NORM"])
        let depth = setup.backbone.vit?.config.depth ?? 12
        self.k = k
        firstTrainedBlock = max(depth - k, 0)
        let feature = o.FEATURE ?? "sup_vitb16_224"
        let blocks = (1...k).map { depth - $0 }
        if feature.contains("mae") {
            throw MethodError("\(id): FEATURE \(feature): KMnP/vpt's MAE encoder reads a global-pooled, fc_norm-normalised feature (vit_mae.py:17-47); the suite's ViT reads the CLS token, so the official MAE partial-k cannot be built")
        } else if feature.contains("moco") {
            let fixedNorm = o.FIXED_NORM ?? false
            try super.init(id: id, setup: setup, naming: .timm) { names in
                names.allSatisfy { n in
                    blocks.contains { n.contains("blocks.\($0)") } || n.contains("fc_norm") || (fixedNorm && (n == "enc.norm.weight" || n == "enc.norm.bias"))
                }
            }
        } else if feature.hasPrefix("sup") {
            if o.FIXED_NORM != nil { throw MethodError("\(id): FIXED_NORM applies to the MoCo v3 rule only (FEATURE mocov3_vitb)") }
            try super.init(id: id, setup: setup) { names in
                names.allSatisfy { n in blocks.contains { n.contains("transformer.encoder.layer.\($0)") } || n.contains("transformer.encoder.encoder_norm") }
            }
        } else {
            throw MethodError("\(id): FEATURE '\(feature)' is not one of sup_vitb16_224 (supervised), mocov3_vitb, mae_vitb16")
        }
    }
}

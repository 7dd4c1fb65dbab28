// Sidetune (Zhang et al., ECCV 2020) as KMnP/vpt @ 4410440 runs it, TRANSFER_TYPE "side" (demo.ipynb: "Sidetune:
// --config-file configs/linear/*.yaml MODEL.TRANSFER_TYPE "side""):
//   src/models/vit_models.py:51-61 setup_side: side_alpha = nn.Parameter(torch.tensor(0.0)); side = Sequential(features,
//     avgpool) of torchvision `models.alexnet(pretrained=True)`; side_projection = nn.Linear(9216, feat_dim, bias=False);
//   vit_models.py:89-91: the ViT encoder is frozen (requires_grad False) — the side network is NOT: its five
//     convolutions, the projection, side_alpha and the head train;
//   vit_models.py:167-182 forward: side = side_projection(flatten(side(x))); the encoder runs in eval mode on the same
//     (normalised) image; a = sigmoid(side_alpha) (0.5 at init); x = a·enc(x) + (1 − a)·side; head(x).
// Official state-dict names: `side.features.{0,3,6,8,10}.{weight,bias}`, `side_projection.weight`, `side_alpha`,
// `head.last_layer.*`, the ViT under `enc.`. The head is KMnP/vpt's (ClassifierHead; MLP_NUM 0).
// Only the supervised ViT runs it: `SSLViT.build_backbone` (vit_models.py:300) tests "sidetune" while setup_side tests
// "side", so on MAE/MoCo "side" raises and "sidetune" is a plain linear probe; no table runs Sidetune there.
// Side networks (option `side_network`): `alexnet-in1k` (default; torchvision's AlexNet, loaded by the runner from
// alexnet-owt-7be5be79.pth) and `alexnet-mini` (the mini benchmark: AlexNet's layout for 32-px images, see
// Backbones/AlexNet.swift); `side_widths` narrows the five convolutions (tests and probes only). The projection takes
// the side network's flattened width (9216 for AlexNet, as the official hard-coded Linear(9216, ·)).
// Init: side network torchvision's default (replaced by the pretrained weights), side_projection nn.Linear's default
// U(±1/√9216), side_alpha 0; draws come from the suite's RandomStream (PyTorch's cannot be matched bit for bit).
import Backbones
import Engine
import Foundation
import Random

/// A frozen ViT and a trainable AlexNet side network, blended by a learned gate before the head.
public final class Sidetune: BackboneWithHead {
    public let side: AlexNetFeatures
    /// `side_projection.weight` [D, F] (no bias).
    public let projection: Linear
    /// `side_alpha`, a 0-dim tensor; the blend weight is its sigmoid.
    public let alpha: Parameter
    /// Which pretrained side network the runner loads (`alexnet-in1k`, `alexnet-mini`).
    public let sideNetworkID: String

    /// Side networks by id: their shape.
    public static let sideNetworks: [String: AlexNetConfig] = ["alexnet-in1k": .alexnet, "alexnet-mini": .mini]

    struct Options: Codable { var side_network: String?; var side_widths: [Int]? }

    public init(setup: MethodSetup) throws {
        let o = try setup.options.decode(Options.self, method: "sidetune", known: ["side_network", "side_widths"])
        guard let vit = setup.backbone.vit else { throw MethodError("sidetune needs a ViT backbone") }
        if let b = setup.backboneId, b.contains("mae") || b.contains("moco") {
            // vit_models.py:300 SSLViT.build_backbone knows only "sidetune", setup_side only "side": no side network runs there.
            throw MethodError("sidetune: KMnP/vpt runs the side network on the supervised ViT only (its MAE/MoCo class has no side network), not on \(b)")
        }
        let sideID = o.side_network ?? "alexnet-in1k"
        guard var config = Self.sideNetworks[sideID] else {
            throw MethodError("sidetune: unknown side_network '\(sideID)'; known: \(Self.sideNetworks.keys.sorted().joined(separator: ", "))")
        }
        if let w = o.side_widths {
            guard w.count == 5, w.allSatisfy({ $0 > 0 }) else { throw MethodError("sidetune: side_widths needs 5 positive widths, got \(w)") }
            config.widths = w
        }
        let size = vit.config.imageSize
        guard config.mapSize(imageSize: size) != nil else {
            throw MethodError("sidetune: side network \(sideID) cannot take \(size)-px images (it needs at least \(config.minimumImageSize) px)")
        }
        sideNetworkID = sideID
        var rng = setup.rng
        rng = RandomStream(rng.next(), 0x51DE)  // its own stream, apart from the head's draws
        side = AlexNetFeatures(config, prefix: "side.", rng: &rng)
        let d = vit.config.dim
        projection = Linear(weight: Parameter("side_projection.weight", Init.kaimingUniformDefault([d, config.featureDim], rng: &rng), trainable: true),
                            bias: nil)
        alpha = Parameter("side_alpha", Tensor(scalar: 0), trainable: true)
        try super.init(id: "sidetune", setup: setup) { _ in false }
        for p in side.parameters { p.trainable = true }
    }

    override public var parameters: [Parameter] { vit.parameters + side.parameters + [projection.weight, alpha] + head.parameters }

    /// a·feature + (1 − a)·projection(side(images)), a = sigmoid(side_alpha).
    func blend(_ feature: Tensor, _ images: Tensor) -> Tensor {
        let s = projection(side(images))
        let a = alpha.value.sigmoid()
        return a * feature + (1 - a) * s
    }

    override public func logits(_ images: Tensor, context: inout ForwardContext) -> Tensor {
        var frozen = ForwardContext.eval  // the encoder is in eval mode (vit_models.py:173-174); AlexNet's features have no dropout
        return head(blend(vit.features(images, context: &frozen), images))
    }

    override public func role(of p: Parameter) -> ParameterRole { p.name.hasPrefix("head.") ? .head : .other }
}

/// Sidetune caches the frozen ViT's CLS feature and, beside it, the (deterministic) input image the side network
/// trains on: [B, D + C·H·W] (605 KB per 224-px image, Partial-1's size), which spares the ViT forward every epoch.
extension Sidetune: CachesFrozenFeatures {
    public func frozenFeatures(_ images: Tensor) -> Tensor {
        var ctx = ForwardContext.eval
        let f = withoutGrad { vit.features(images, context: &ctx) }
        let b = images.shape[0], d = vit.config.dim, n = images.count / b
        let out = Tensor(uninitialized: [b, d + n])
        for r in 0..<b {
            (out.data + r * (d + n)).update(from: f.data + r * d, count: d)
            (out.data + r * (d + n) + d).update(from: images.data + r * n, count: n)
        }
        return out
    }

    public func logits(fromFeatures features: Tensor) -> Tensor {
        let b = features.shape[0], d = vit.config.dim, w = features.shape[1], n = w - d
        let c = vit.config.channels, s = vit.config.imageSize
        precondition(n == c * s * s, "sidetune: cached rows of \(w) values, expected \(featureWidth)")
        let f = Tensor(uninitialized: [b, d]), x = Tensor(uninitialized: [b, c, s, s])
        for r in 0..<b {
            (f.data + r * d).update(from: features.data + r * w, count: d)
            (x.data + r * n).update(from: features.data + r * w + d, count: n)
        }
        return head(blend(f, x))
    }

    public var featureWidth: Int { vit.config.dim + vit.config.channels * vit.config.imageSize * vit.config.imageSize }
}

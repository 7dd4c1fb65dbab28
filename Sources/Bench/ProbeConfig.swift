// The small config file `bench probe` reads: backbone shape, classes and method options (official names).
import Backbones
import Foundation
import Methods
import Yams

/// A probe configuration (YAML or JSON): exactly one of `backbone` (ViT shape), `swin` (Swin shape, e.g. for
/// `sa2vp-swin`; headless unless `numClasses` is given) and `resnet` (torchvision `block`, `layers`, `widths`, …,
/// `numClasses` = the source classes, for ILM-VP).
public struct ProbeConfig: Codable, Sendable {
    public var backbone: ViTConfig?
    public var swin: SwinConfig?
    public var resnet: ResNetConfig?
    public var numClasses: Int
    public var options: MethodOptions = [:]

    enum CodingKeys: String, CodingKey { case backbone, swin, resnet, numClasses = "num_classes", options }

    public init(backbone: ViTConfig? = nil, swin: SwinConfig? = nil, resnet: ResNetConfig? = nil, numClasses: Int, options: MethodOptions = [:]) {
        self.backbone = backbone; self.swin = swin; self.resnet = resnet; self.numClasses = numClasses; self.options = options
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        backbone = try c.decodeIfPresent(ViTConfig.self, forKey: .backbone)
        swin = try c.decodeIfPresent(SwinConfig.self, forKey: .swin)
        resnet = try c.decodeIfPresent(ResNetConfig.self, forKey: .resnet)
        numClasses = try c.decode(Int.self, forKey: .numClasses)
        options = try c.decodeIfPresent(MethodOptions.self, forKey: .options) ?? [:]
    }

    public static func load(_ url: URL) throws -> ProbeConfig {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw RecipeError(file: url.path, message: "probe config missing or unreadable")
        }
        let cfg: ProbeConfig
        do { cfg = try YAMLDecoder().decode(ProbeConfig.self, from: text) } catch {
            throw RecipeError(file: url.path, message: "not a valid probe config: \(error)")
        }
        guard [cfg.backbone != nil, cfg.swin != nil, cfg.resnet != nil].filter({ $0 }).count == 1 else {
            throw RecipeError(file: url.path, message: "a probe config names exactly one of `backbone` (ViT shape), `swin` (Swin shape) and `resnet` (ResNet shape)")
        }
        return cfg
    }

    /// Builds the method on a randomly initialised backbone of this shape (weights are loaded afterwards).
    public func makeMethod(_ id: String) throws -> PromptMethod {
        let model: BackboneModel
        if let s = swin { model = .swin(Swin(s)) } else if let r = resnet { model = .resnet(ResNet(r)) } else if let b = backbone { model = .vit(ViT(b)) } else {
            throw MethodError("probe config has no backbone shape")
        }
        // Official option names the method does not take (InsVP `mixup`, `p_len_vpt`; DA-VPT `fp16`) are read as the
        // official code reads them (OfficialImporter.probeOptions), not rejected.
        let (opts, notes) = try OfficialImporter.probeOptions(method: id, options)
        for n in notes { print("note: \(n)") }
        return try Methods.makeMethod(id, setup: MethodSetup(backbone: model, numClasses: numClasses, options: opts, rng: .init(0)))
    }
}

// The small config file `bench probe` reads: backbone shape, classes and method options (official names).
import Backbones
import Foundation
import Methods
import Yams

/// A Swin shape in a probe config (`swin:` instead of `backbone:`), e.g. for `sa2vp-swin`.
public struct ProbeSwinShape: Codable, Sendable, Equatable {
    public var imageSize: Int
    public var patchSize: Int = 4
    public var embedDim: Int
    public var depths: [Int]
    public var numHeads: [Int]
    public var windowSize: Int
    public var mlpRatio: Int = 4

    public init(imageSize: Int, patchSize: Int = 4, embedDim: Int, depths: [Int], numHeads: [Int], windowSize: Int, mlpRatio: Int = 4) {
        self.imageSize = imageSize; self.patchSize = patchSize; self.embedDim = embedDim; self.depths = depths
        self.numHeads = numHeads; self.windowSize = windowSize; self.mlpRatio = mlpRatio
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        imageSize = try c.decode(Int.self, forKey: .imageSize)
        patchSize = try c.decodeIfPresent(Int.self, forKey: .patchSize) ?? 4
        embedDim = try c.decode(Int.self, forKey: .embedDim)
        depths = try c.decode([Int].self, forKey: .depths)
        numHeads = try c.decode([Int].self, forKey: .numHeads)
        windowSize = try c.decode(Int.self, forKey: .windowSize)
        mlpRatio = try c.decodeIfPresent(Int.self, forKey: .mlpRatio) ?? 4
    }

    /// The headless Swin the official SA²VP builds (`num_classes=-1`).
    public var config: SwinConfig {
        SwinConfig(imageSize: imageSize, patchSize: patchSize, embedDim: embedDim, depths: depths, numHeads: numHeads,
                   windowSize: windowSize, mlpRatio: mlpRatio, numClasses: 0)
    }
}

/// A ResNet shape in a probe config (`resnet:`), for ILM-VP: torchvision's `block` (basic/bottleneck), `layers`,
/// `widths` (default 64…512), `groups`, `widthPerGroup`, `numClasses` (the source classes, default 1000).
public struct ProbeResNetShape: Codable, Sendable, Equatable {
    public var config: ResNetConfig

    public init(_ config: ResNetConfig) { self.config = config }

    enum CodingKeys: String, CodingKey { case block, layers, widths, groups, widthPerGroup, numClasses }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let block = try c.decode(ResNetConfig.Block.self, forKey: .block)
        let layers = try c.decode([Int].self, forKey: .layers)
        let widths = try c.decodeIfPresent([Int].self, forKey: .widths) ?? [64, 128, 256, 512]
        let groups = try c.decodeIfPresent(Int.self, forKey: .groups) ?? 1
        let wpg = try c.decodeIfPresent(Int.self, forKey: .widthPerGroup) ?? 64
        guard layers.count == widths.count else {
            throw DecodingError.dataCorruptedError(forKey: .widths, in: c, debugDescription: "\(layers.count) stages in layers but \(widths.count) widths")
        }
        guard block == .bottleneck || (groups == 1 && wpg == 64) else {
            throw DecodingError.dataCorruptedError(forKey: .groups, in: c, debugDescription: "basic blocks support only groups 1, widthPerGroup 64")
        }
        config = ResNetConfig(block: block, layers: layers, widths: widths, groups: groups, widthPerGroup: wpg,
                              numClasses: try c.decodeIfPresent(Int.self, forKey: .numClasses) ?? 1000)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(config.block, forKey: .block); try c.encode(config.layers, forKey: .layers)
        try c.encode(config.widths, forKey: .widths); try c.encode(config.groups, forKey: .groups)
        try c.encode(config.widthPerGroup, forKey: .widthPerGroup); try c.encode(config.numClasses, forKey: .numClasses)
    }
}

/// A probe configuration (YAML or JSON): exactly one of `backbone` (ViT), `swin` and `resnet`.
public struct ProbeConfig: Codable, Sendable {
    public var backbone: ViTConfig?
    public var swin: ProbeSwinShape?
    public var resnet: ProbeResNetShape?
    public var numClasses: Int
    public var options: MethodOptions = [:]

    enum CodingKeys: String, CodingKey { case backbone, swin, resnet, numClasses = "num_classes", options }

    public init(backbone: ViTConfig? = nil, swin: ProbeSwinShape? = nil, resnet: ProbeResNetShape? = nil, numClasses: Int, options: MethodOptions = [:]) {
        self.backbone = backbone; self.swin = swin; self.resnet = resnet; self.numClasses = numClasses; self.options = options
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        backbone = try c.decodeIfPresent(ViTConfig.self, forKey: .backbone)
        swin = try c.decodeIfPresent(ProbeSwinShape.self, forKey: .swin)
        resnet = try c.decodeIfPresent(ProbeResNetShape.self, forKey: .resnet)
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
        if let s = swin { model = .swin(Swin(s.config)) } else if let r = resnet { model = .resnet(ResNet(r.config)) } else if let b = backbone { model = .vit(ViT(b)) } else {
            throw MethodError("probe config has no backbone shape")
        }
        return try Methods.makeMethod(id, setup: MethodSetup(backbone: model, numClasses: numClasses, options: options, rng: .init(0)))
    }
}

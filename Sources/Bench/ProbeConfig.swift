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

/// A probe configuration (YAML or JSON): exactly one of `backbone` (ViT) and `swin`.
public struct ProbeConfig: Codable, Sendable {
    public var backbone: ViTConfig?
    public var swin: ProbeSwinShape?
    public var numClasses: Int
    public var options: MethodOptions = [:]

    enum CodingKeys: String, CodingKey { case backbone, swin, numClasses = "num_classes", options }

    public init(backbone: ViTConfig? = nil, swin: ProbeSwinShape? = nil, numClasses: Int, options: MethodOptions = [:]) {
        self.backbone = backbone; self.swin = swin; self.numClasses = numClasses; self.options = options
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        backbone = try c.decodeIfPresent(ViTConfig.self, forKey: .backbone)
        swin = try c.decodeIfPresent(ProbeSwinShape.self, forKey: .swin)
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
        guard (cfg.backbone == nil) != (cfg.swin == nil) else {
            throw RecipeError(file: url.path, message: "a probe config names exactly one of `backbone` (ViT shape) and `swin` (Swin shape)")
        }
        return cfg
    }

    /// Builds the method on a randomly initialised backbone of this shape (weights are loaded afterwards).
    public func makeMethod(_ id: String) throws -> PromptMethod {
        let model: BackboneModel
        if let s = swin { model = .swin(Swin(s.config)) } else if let b = backbone { model = .vit(ViT(b)) } else {
            throw MethodError("probe config has no backbone shape")
        }
        return try Methods.makeMethod(id, setup: MethodSetup(backbone: model, numClasses: numClasses, options: options, rng: .init(0)))
    }
}

// The small config file `bench probe` reads: backbone shape, classes and method options (official names).
import Backbones
import Foundation
import Methods
import Yams

/// A probe configuration (YAML or JSON).
public struct ProbeConfig: Codable, Sendable {
    public var backbone: ViTConfig
    public var numClasses: Int
    public var options: MethodOptions = [:]

    enum CodingKeys: String, CodingKey { case backbone, numClasses = "num_classes", options }

    public static func load(_ url: URL) throws -> ProbeConfig {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw RecipeError(file: url.path, message: "probe config missing or unreadable")
        }
        do { return try YAMLDecoder().decode(ProbeConfig.self, from: text) } catch {
            throw RecipeError(file: url.path, message: "not a valid probe config: \(error)")
        }
    }

    /// Builds the method on a randomly initialised backbone of this shape (weights are loaded afterwards).
    public func makeMethod(_ id: String) throws -> PromptMethod {
        try Methods.makeMethod(id, setup: MethodSetup(backbone: .vit(ViT(backbone)), numClasses: numClasses, options: options, rng: .init(0)))
    }
}

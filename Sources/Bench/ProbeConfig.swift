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

    /// Builds the method on a randomly initialised backbone of this shape (weights are loaded afterwards), with the
    /// probe config's `options` read as `resolve` reads them (no official file).
    public func makeMethod(_ id: String) throws -> PromptMethod {
        let r = try resolve(method: id, official: nil)
        for n in r.notes { print("note: \(n)") }
        return try makeMethod(id, options: r.options)
    }

    /// Builds the method on a randomly initialised backbone of this shape with exactly these method options.
    public func makeMethod(_ id: String, options opts: MethodOptions) throws -> PromptMethod {
        let model: BackboneModel
        if let s = swin { model = .swin(Swin(s)) } else if let r = resnet { model = .resnet(ResNet(r)) } else if let b = backbone { model = .vit(ViT(b)) } else {
            throw MethodError("probe config has no backbone shape")
        }
        return try Methods.makeMethod(id, setup: MethodSetup(backbone: model, numClasses: numClasses, options: opts, rng: .init(0)))
    }

    /// The method options of a probe and where each came from: first the official configuration's (`bench recipe import`'s
    /// reading of FILE + ARGS: its `options.*` values; its training values — lr, epochs, schedule, … — are listed as not used
    /// by a one-batch probe), then the probe config's `options`, which win (a small test backbone needs its own sizes).
    /// Official option names in the probe config (InsVP `mixup`, `p_len_vpt`; DA-VPT `fp16`; DAM-VP `crop_size`) are
    /// read as the official code reads them (OfficialImporter.probeOptions), not rejected.
    public func resolve(method: String, official: ImportResult?, configName: String = "probe config") throws -> ResolvedProbeOptions {
        var r = ResolvedProbeOptions()
        if let official {
            for v in official.values {
                if v.key.hasPrefix("options.") {
                    r.set(String(v.key.dropFirst(8)), v.value, source: "official: " + v.source)
                } else {
                    r.training.append(v)
                }
            }
            r.noEffect = official.noEffect
        }
        let (opts, notes) = try OfficialImporter.probeOptions(method: method, options)
        for (k, v) in opts.sorted(by: { $0.key < $1.key }) {
            let was = r.sources[k].map { " (over \(r.options[k]!) from \($0))" } ?? ""
            r.set(k, v, source: "\(configName) `options`" + was)
        }
        r.notes = notes
        return r
    }
}

/// A probe's method options, each with where its value came from, plus what the official configuration set that a
/// one-batch probe does not use (training values) or that has no effect on results.
public struct ResolvedProbeOptions: Sendable {
    public var options: MethodOptions = [:]
    /// Option → where its value came from (an official file line, a command-line argument, a default, the probe config).
    public var sources: [String: String] = [:]
    /// Recipe values of the official configuration that are not method options (lr, epochs, batch size, schedule, …).
    public var training: [ImportedValue] = []
    public var noEffect: [NoEffectKey] = []
    /// Official option names in the probe config that are not method options, each with how it was read.
    public var notes: [String] = []

    mutating func set(_ k: String, _ v: OptionValue, source: String) { options[k] = v; sources[k] = source }

    /// The probe configuration as printed by `bench probe`: every option with its value and source.
    public func describe(method: String, config: ProbeConfig, configName: String) -> String {
        var out = ["probe config for \(method):"]
        let shape = config.backbone != nil ? "ViT (backbone)" : config.swin != nil ? "Swin (swin)" : "ResNet (resnet)"
        out.append("  backbone: \(shape) shape from \(configName)")
        out.append("  num_classes: \(config.numClasses)   # \(configName)")
        out.append(options.isEmpty ? "  options: {}   # the method's defaults" : "  options:   # any option not listed: the method's default")
        for k in options.keys.sorted() { out.append("    \(k): \(ImportResult.render(options[k]!))   # \(sources[k] ?? "")") }
        if !training.isEmpty {
            out.append("  not used by a one-batch probe (training settings of the official configuration):")
            for v in training { out.append("    \(v.key): \(ImportResult.render(v.value))   # \(v.source)") }
        }
        if !noEffect.isEmpty {
            out.append("  official keys with no effect on results:")
            for n in noEffect { out.append("    \(n.key) = \(n.value) (\(n.source)): \(n.reason)") }
        }
        for n in notes { out.append("  note: \(n)") }
        return out.joined(separator: "\n")
    }
}

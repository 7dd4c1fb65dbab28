// The method registry: adding a method is one file in Sources/Methods plus one line here.
import Foundation

/// Builds a method from its setup.
public typealias MethodFactory = (MethodSetup) throws -> PromptMethod

/// Every method the suite can run, by id.
public let methodRegistry: [String: MethodFactory] = [
    "vpt-shallow": { try VPT(id: "vpt-shallow", setup: $0, deepDefault: false) },
    "vpt-deep": { try VPT(id: "vpt-deep", setup: $0, deepDefault: true) },
    "linear": { $0.backbone.resnet != nil ? try ResNetLinearProbe(setup: $0) as PromptMethod : try LinearProbe(setup: $0) },
    "full": { $0.backbone.resnet != nil ? try ResNetFullFinetune(setup: $0) as PromptMethod : try FullFinetune(setup: $0) },
    "bias": { try BiasTuning(setup: $0) },
    "partial-1": { try PartialFinetune(k: 1, setup: $0) },
    "partial-2": { try PartialFinetune(k: 2, setup: $0) },
    "partial-4": { try PartialFinetune(k: 4, setup: $0) },
    "mlp-3": { try MLPProbe(id: "mlp-3", setup: $0, defaultLayers: 2) },
    "adapter": { try Adapter(setup: $0) },
    "e2vpt": { $0.backbone.swin != nil ? try E2VPTSwin(setup: $0) as PromptMethod : try E2VPT(setup: $0) },
    "da-vpt": { try DAVPT(id: "da-vpt", variant: .plain, setup: $0) },
    "da-vpt-plus": { try DAVPT(id: "da-vpt-plus", variant: .plus, setup: $0) },
    "dam-vp": { try DAMVP(setup: $0) },
    "ilm-vp": { try ILMVP(id: "ilm-vp", setup: $0, mapping: .iterative) },
    "flm-vp": { try ILMVP(id: "flm-vp", setup: $0, mapping: .frequency) },
    "rlm-vp": { try ILMVP(id: "rlm-vp", setup: $0, mapping: .random) },
    "sa2vp": { try SA2VP(setup: $0) },
    "sa2vp-swin": { try SA2VPSwin(setup: $0) },
    "insvp": { try InsVP(setup: $0) },
    "adaptformer": { try AdaptFormer(setup: $0) },
    "ssf": { try SSF(setup: $0) },
    "lora": { try LoRA(setup: $0) },
    "noah": { try NOAH(setup: $0) },
    "vp": { try VP(setup: $0) },
    "sidetune": { try Sidetune(setup: $0) },
    "gatevpt": { try GateVPT(setup: $0) },
    "fact": { try FacT(setup: $0) },
    "repadapter": { try RepAdapter(setup: $0) },
    "hydra": { try Hydra(setup: $0) },
    "dtl": { try DTL(setup: $0) },
    "sct": { try SCT(setup: $0) },
]

/// Builds method `id`, or throws naming the known ids.
public func makeMethod(_ id: String, setup: MethodSetup) throws -> PromptMethod {
    guard let make = methodRegistry[id] else {
        throw MethodError("unknown method '\(id)'; known: \(methodRegistry.keys.sorted().joined(separator: ", "))")
    }
    return try make(setup)
}

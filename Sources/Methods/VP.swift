// VP — visual prompting with a padding prompter (Bahng et al. 2022, "Exploring Visual Prompts for Adapting Large-Scale
// Models"), as the HTA table prints it: on a frozen ViT-B/16 (IN-21k) with a trained linear head.
// Prompter: hjbahng/visual_prompting @ 679e71f `models/prompters.py:6-24` PadPrompter — four torch.randn borders
// pad_up/pad_down [1, 3, p, S], pad_left/pad_right [1, 3, S − 2p, p]; x + [pad_up; pad_left | 0 | pad_right; pad_down].
// `--prompt_size` 30 (main_clip.py / main_vision.py default). The same class is `PadPrompter` in DAMVP.swift (DAM-VP
// copies it verbatim, shikiw/DAM-VP `models/prompters.py:14-32`); it is reused here, not duplicated.
// Head and features: InsVP's HTA table takes its VP row from DAM-VP's head-tuning table, whose code
// (`task_adapting/adapter.py:280`) puts a new nn.Linear(D, C) (PyTorch default init) on the frozen backbone's
// `forward_features` (timm-0.4 layout with `pre_logits`); DAM-VP's code has no VP entry point of its own, so VP here
// is that model with one prompter and no clustering — DAM-VP's `--wo_da` path without the meta-prompt init.
// Prompter and head are trained; the backbone stays frozen and in eval mode (adapter.py:35).
// Optimiser groups follow DAM-VP's task adapting (adapter.py:287-303): prompter {lr, wd}, head {lr, wd 0}.
import Backbones
import Engine
import Foundation
import Random

/// VP options (hjbahng/visual_prompting argument names).
public struct VPConfig: Codable, Sendable, Equatable {
    /// `--prompt_size`: border width in pixels (30 at 224 px).
    public var prompt_size: Int = 30
    static let known: Set<String> = ["prompt_size"]
    public init() {}
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        prompt_size = try c.decodeIfPresent(Int.self, forKey: .prompt_size) ?? 30
    }
}

/// A padding prompter on the input image of a frozen ViT with a linear head.
public final class VP: PromptMethod {
    public let id = "vp"
    public let config: VPConfig
    public let vit: ViT
    /// `prompter.pad_up` … (official names inside `prompter`).
    public let prompter: PadPrompter
    /// `head`: nn.Linear(D, C), PyTorch default init.
    public let head: Linear

    public init(setup: MethodSetup) throws {
        let config = try setup.options.decode(VPConfig.self, method: "vp", known: VPConfig.known)
        guard let vit = setup.backbone.vit else { throw MethodError("vp needs a ViT backbone") }
        let size = vit.config.imageSize
        guard config.prompt_size > 0, 2 * config.prompt_size < size else {
            throw MethodError("vp: prompt_size \(config.prompt_size) must be positive and leave a centre in \(size)-px images")
        }
        self.config = config
        self.vit = vit
        for p in vit.parameters { p.trainable = false }
        var rng = setup.rng.child(1)
        prompter = PadPrompter(prefix: "prompter.", imageSize: size, padSize: config.prompt_size, rng: &rng)
        var hr = setup.rng.child(2)
        head = Linear("head", vit.config.dim, setup.numClasses, rng: &hr)
        for p in head.parameters { p.trainable = true }
    }

    public var parameters: [Parameter] { vit.parameters + prompter.parameters + head.parameters }

    public func logits(_ images: Tensor, context: inout ForwardContext) -> Tensor {
        var ctx = ForwardContext.eval  // frozen backbone in eval mode
        return head(vit.features(images + prompter.prompt(), context: &ctx))
    }

    public func parameterGroups(lr: Float, weightDecay: Float) -> [ParamGroup] {
        [ParamGroup("prompter", params: prompter.parameters, lr: lr, weightDecay: weightDecay),
         ParamGroup("head", params: head.parameters, lr: lr, weightDecay: 0)]
    }

    public func role(of p: Parameter) -> ParameterRole { p.name.hasPrefix("head.") ? .head : .prompt }

    public var officialBackbone: (naming: ViTNaming, prefix: String) { (.timm, "") }
    public var backboneViT: ViT? { vit }
}

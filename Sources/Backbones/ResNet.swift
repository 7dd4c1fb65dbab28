// ResNet / ResNeXt with torchvision naming (torchvision/models/resnet.py, "v1.5": the stride of a
// bottleneck sits on its 3×3 conv). BatchNorm always runs in eval mode on the stored running statistics:
// every method in the suite keeps CNN backbones frozen (ILM-VP: `requires_grad_(False)`, `eval()`).
// The one exception is pretraining the built-in mini ResNet (`bench pretrain --recipe mini-resnet`), which turns
// `trainsBatchNorm` on to train from torchvision's random initialisation (`ResNet(config, seed:)`).
// Shapes: x [B, 3, H, W] (any H, W ≥ 32-ish) → stem [B, C0, H/4, W/4] → stages → pooled [B, F] → logits [B, K].
import Checkpoints
import Engine
import Foundation
import Random

/// Architecture hyper-parameters of a torchvision-style ResNet.
public struct ResNetConfig: Codable, Equatable, Sendable {
    /// The residual block type.
    public enum Block: String, Codable, Sendable {
        /// Two 3×3 convs (ResNet-18/34); expansion 1.
        case basic
        /// 1×1 → 3×3 (grouped, strided) → 1×1 (ResNet-50+, ResNeXt); expansion 4.
        case bottleneck
    }

    public var block: Block
    /// Blocks per stage (`layer1` … `layer4`).
    public var layers: [Int]
    /// torchvision's `planes` per stage; the stem has `widths[0]` channels. Standard: 64, 128, 256, 512.
    public var widths: [Int] = [64, 128, 256, 512]
    public var groups: Int = 1
    public var widthPerGroup: Int = 64
    public var numClasses: Int = 1000

    enum CodingKeys: String, CodingKey { case block, layers, widths, groups, widthPerGroup, numClasses }

    /// Decodes a shape as config files write it (torchvision defaults for what is left out: widths 64…512, groups 1,
    /// width per group 64, 1000 classes); inconsistent shapes are an error, not a crash.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let block = try c.decode(Block.self, forKey: .block), layers = try c.decode([Int].self, forKey: .layers)
        let widths = try c.decodeIfPresent([Int].self, forKey: .widths) ?? [64, 128, 256, 512]
        let groups = try c.decodeIfPresent(Int.self, forKey: .groups) ?? 1, wpg = try c.decodeIfPresent(Int.self, forKey: .widthPerGroup) ?? 64
        guard layers.count == widths.count else {
            throw DecodingError.dataCorruptedError(forKey: .widths, in: c, debugDescription: "\(layers.count) stages in layers but \(widths.count) widths")
        }
        guard block == .bottleneck || (groups == 1 && wpg == 64) else {
            throw DecodingError.dataCorruptedError(forKey: .groups, in: c, debugDescription: "basic blocks support only groups 1, widthPerGroup 64")
        }
        self.init(block: block, layers: layers, widths: widths, groups: groups, widthPerGroup: wpg,
                  numClasses: try c.decodeIfPresent(Int.self, forKey: .numClasses) ?? 1000)
    }

    public init(block: Block, layers: [Int], widths: [Int] = [64, 128, 256, 512], groups: Int = 1,
                widthPerGroup: Int = 64, numClasses: Int = 1000) {
        precondition(layers.count == widths.count, "ResNetConfig: \(layers.count) stages but \(widths.count) widths")
        precondition(block == .bottleneck || (groups == 1 && widthPerGroup == 64), "basic blocks support only groups 1, width 64 (as torchvision)")
        self.block = block; self.layers = layers; self.widths = widths
        self.groups = groups; self.widthPerGroup = widthPerGroup; self.numClasses = numClasses
    }

    public static let resnet18 = ResNetConfig(block: .basic, layers: [2, 2, 2, 2])
    public static let resnet50 = ResNetConfig(block: .bottleneck, layers: [3, 4, 6, 3])
    public static let resnext101_32x8d = ResNetConfig(block: .bottleneck, layers: [3, 4, 23, 3], groups: 32, widthPerGroup: 8)

    public var expansion: Int { block == .basic ? 1 : 4 }
    /// Channels of the pooled features (input of `fc`).
    public var featureDim: Int { widths.last! * expansion }
    /// Inner width of a bottleneck: torchvision's `int(planes * (width_per_group / 64.)) * groups`.
    func innerWidth(_ planes: Int) -> Int { planes * widthPerGroup / 64 * groups }

    /// One residual block's layout: input channels, planes, stride, whether it has a downsample branch.
    struct BlockPlan { var stage: Int; var prefix: String; var inC: Int; var planes: Int; var stride: Int; var downsample: Bool }

    /// Every block in order, as torchvision's `_make_layer` builds them.
    func blockPlans() -> [BlockPlan] {
        var plans: [BlockPlan] = []
        var inC = widths[0]
        for (s, (n, planes)) in zip(layers, widths).enumerated() {
            for i in 0..<n {
                let stride = (i == 0 && s > 0) ? 2 : 1
                let down = i == 0 && (stride != 1 || inC != planes * expansion)
                plans.append(BlockPlan(stage: s, prefix: "layer\(s + 1).\(i)", inC: inC, planes: planes, stride: stride, downsample: down))
                inC = planes * expansion
            }
        }
        return plans
    }

    /// The torchvision state dict (names, shapes, kinds) in file order, without allocating weights.
    public func stateDictSpec() -> [TensorSpec] {
        func bn(_ p: String, _ c: Int) -> [TensorSpec] {
            [TensorSpec(p + ".weight", [c]), TensorSpec(p + ".bias", [c]),
             TensorSpec(p + ".running_mean", [c], .buffer), TensorSpec(p + ".running_var", [c], .buffer),
             TensorSpec(p + ".num_batches_tracked", [], .ignored)]
        }
        var s = [TensorSpec("conv1.weight", [widths[0], 3, 7, 7])] + bn("bn1", widths[0])
        for b in blockPlans() {
            let out = b.planes * expansion
            switch block {
            case .basic:
                s.append(TensorSpec(b.prefix + ".conv1.weight", [b.planes, b.inC, 3, 3])); s += bn(b.prefix + ".bn1", b.planes)
                s.append(TensorSpec(b.prefix + ".conv2.weight", [b.planes, b.planes, 3, 3])); s += bn(b.prefix + ".bn2", b.planes)
            case .bottleneck:
                let w = innerWidth(b.planes)
                s.append(TensorSpec(b.prefix + ".conv1.weight", [w, b.inC, 1, 1])); s += bn(b.prefix + ".bn1", w)
                s.append(TensorSpec(b.prefix + ".conv2.weight", [w, w / groups, 3, 3])); s += bn(b.prefix + ".bn2", w)
                s.append(TensorSpec(b.prefix + ".conv3.weight", [out, w, 1, 1])); s += bn(b.prefix + ".bn3", out)
            }
            if b.downsample {
                s.append(TensorSpec(b.prefix + ".downsample.0.weight", [out, b.inC, 1, 1]))
                s += bn(b.prefix + ".downsample.1", out)
            }
        }
        s += [TensorSpec("fc.weight", [numClasses, featureDim]), TensorSpec("fc.bias", [numClasses])]
        return s
    }

    /// Learnable parameters (torchvision's count), from the config alone.
    public var parameterCount: Int { stateDictSpec().parameterCount }
}

/// A bias-free conv followed by a frozen BatchNorm2d (eval mode, running statistics as buffers), named
/// like torchvision: `<conv>.weight`, `<bn>.{weight,bias,running_mean,running_var}`.
final class ConvBN {
    let weight: Parameter
    let bnWeight: Parameter, bnBias: Parameter
    /// Buffers (not learnable). `num_batches_tracked` is not kept: eval mode never reads it.
    let runningMean: Parameter, runningVar: Parameter
    let stride: Int, padding: Int, groups: Int

    init(conv: String, bn: String, _ inC: Int, _ outC: Int, kernel: Int, stride: Int = 1, padding: Int? = nil, groups: Int = 1) {
        weight = Parameter(conv + ".weight", Tensor(zeros: [outC, inC / groups, kernel, kernel]))
        bnWeight = Parameter(bn + ".weight", Tensor(repeating: 1, shape: [outC]))
        bnBias = Parameter(bn + ".bias", Tensor(zeros: [outC]))
        runningMean = Parameter(bn + ".running_mean", Tensor(zeros: [outC]))
        runningVar = Parameter(bn + ".running_var", Tensor(repeating: 1, shape: [outC]))
        self.stride = stride; self.padding = padding ?? kernel / 2; self.groups = groups
    }

    /// [B, inC, H, W] → [B, outC, H', W']; BatchNorm eps 1e-5, momentum 0.1 as torchvision. `trainBN` uses batch
    /// statistics and updates the running ones (pretraining only).
    /// `residual` is added after the BatchNorm and `relu` applied last: relu(bn(conv(x)) + residual).
    func callAsFunction(_ x: Tensor, trainBN: Bool = false, residual: Tensor? = nil, relu: Bool = false) -> Tensor {
        if trainBN {
            var y = x.conv2d(weight: weight.value, stride: (stride, stride), padding: (padding, padding), groups: groups)
                .batchNorm2d(weight: bnWeight.value, bias: bnBias.value, runningMean: runningMean.value,
                             runningVar: runningVar.value, training: true)
            if let residual { y = y + residual }
            return relu ? y.relu() : y
        }
        // Eval-mode BatchNorm is affine per channel: bn(z) = z·s + (β − μ·s) with s = γ/√(σ² + eps). Frozen (every
        // method's backbone), s and the shift are constants applied in the convolution's epilogue, in PyTorch's order
        // (convolve, then scale and shift), with no per-forward pass over the weights. With any of W, γ, β trainable,
        // the scale folds into W through differentiable ops instead, so they get their gradients. The shortcut add
        // and the ReLU run in the epilogue either way.
        let (s, shift) = bnScaleAndShift()
        if !(weight.value.requiresGrad || s.requiresGrad || shift.requiresGrad) {
            return x.conv2d(weight: weight.value, scale: s, bias: shift, stride: (stride, stride), padding: (padding, padding),
                            groups: groups, residual: residual, relu: relu)
        }
        return x.conv2d(weight: weight.value * s.reshaped([s.count, 1, 1, 1]), bias: shift, stride: (stride, stride),
                        padding: (padding, padding), groups: groups, residual: residual, relu: relu)
    }

    /// Eval-mode BatchNorm as a per-channel affine map: scale γ/√(σ² + eps) and shift β − μ·scale.
    func bnScaleAndShift() -> (scale: Tensor, shift: Tensor) {
        let o = weight.shape[0]
        let rstd = Tensor((0..<o).map { 1 / (runningVar.value.data[$0] + 1e-5).squareRoot() }, shape: [o])
        let s = bnWeight.value * rstd
        return (s, bnBias.value - runningMean.value * s)
    }

    /// torchvision's ResNet init: conv kaiming_normal_(mode="fan_out", nonlinearity="relu"); BN weight 1, bias 0.
    func initialise(rng: inout RandomStream) {
        weight.value.assign(Init.kaimingNormal(weight.shape, fanOut: true, rng: &rng))
    }
    var parameters: [Parameter] { [weight, bnWeight, bnBias] }
    var buffers: [Parameter] { [runningMean, runningVar] }
}

/// One residual block (basic or bottleneck) with its optional downsample branch (`downsample.0/1`).
final class ResidualBlock {
    let units: [ConvBN]
    let downsample: ConvBN?

    init(_ plan: ResNetConfig.BlockPlan, _ config: ResNetConfig) {
        let p = plan.prefix, out = plan.planes * config.expansion
        func unit(_ i: Int, _ inC: Int, _ outC: Int, _ k: Int, stride: Int = 1, groups: Int = 1) -> ConvBN {
            ConvBN(conv: "\(p).conv\(i)", bn: "\(p).bn\(i)", inC, outC, kernel: k, stride: stride, groups: groups)
        }
        switch config.block {
        case .basic:
            units = [unit(1, plan.inC, plan.planes, 3, stride: plan.stride), unit(2, plan.planes, plan.planes, 3)]
        case .bottleneck:
            let w = config.innerWidth(plan.planes)
            // v1.5: the stride is on the grouped 3×3 conv, not on the first 1×1.
            units = [unit(1, plan.inC, w, 1), unit(2, w, w, 3, stride: plan.stride, groups: config.groups), unit(3, w, out, 1)]
        }
        downsample = plan.downsample
            ? ConvBN(conv: p + ".downsample.0", bn: p + ".downsample.1", plan.inC, out, kernel: 1, stride: plan.stride) : nil
    }

    /// y = relu(bn_last(conv_last(…relu(bn1(conv1(x)))…)) + shortcut(x))
    func callAsFunction(_ x: Tensor, trainBN: Bool = false) -> Tensor {
        let shortcut = downsample.map { $0(x, trainBN: trainBN) } ?? x
        var h = x
        for (i, u) in units.enumerated() {
            let last = i == units.count - 1
            h = u(h, trainBN: trainBN, residual: last ? shortcut : nil, relu: true)
        }
        return h
    }

    var parameters: [Parameter] { units.flatMap(\.parameters) + (downsample?.parameters ?? []) }
    var buffers: [Parameter] { units.flatMap(\.buffers) + (downsample?.buffers ?? []) }
}

/// torchvision ResNet / ResNeXt, frozen-BN, loadable from torchvision state dicts.
///
/// The forward is split into `stem`, `stage(_:_:)`, `pool` and `head` so methods can hook in between
/// (ILM-VP edits the input image before `stem`; VPT "pad" prompts grow the image).
public final class ResNet: ParameterContainer {
    public let config: ResNetConfig
    /// `conv1` + `bn1`.
    let stemUnit: ConvBN
    /// `layer1` … `layer4`, each a list of blocks.
    let stages: [[ResidualBlock]]
    public let fc: Linear
    /// BatchNorm in training mode (batch statistics, running-statistics update). Off everywhere except when
    /// pretraining the built-in mini ResNet: methods keep CNN backbones in eval mode.
    public var trainsBatchNorm = false

    /// Builds the model with placeholder weights (zeros; norms identity); call `load(from:)` next.
    public init(_ config: ResNetConfig) {
        self.config = config
        stemUnit = ConvBN(conv: "conv1", bn: "bn1", 3, config.widths[0], kernel: 7, stride: 2, padding: 3)
        var stages: [[ResidualBlock]] = Array(repeating: [], count: config.layers.count)
        for plan in config.blockPlans() { stages[plan.stage].append(ResidualBlock(plan, config)) }
        self.stages = stages
        fc = Linear(weight: Parameter("fc.weight", Tensor(zeros: [config.numClasses, config.featureDim])),
                    bias: Parameter("fc.bias", Tensor(zeros: [config.numClasses])))
    }

    /// Builds the model with torchvision's random initialisation (`ResNet.__init__`, zero_init_residual False):
    /// convs kaiming-normal fan-out, BN weight 1 / bias 0, `fc` as nn.Linear's default (uniform ±1/√fan_in).
    public convenience init(_ config: ResNetConfig, seed: UInt64) {
        self.init(config)
        var rng = RandomStream(seed)
        stemUnit.initialise(rng: &rng)
        for block in stages.joined() {
            for u in block.units { u.initialise(rng: &rng) }
            block.downsample?.initialise(rng: &rng)
        }
        let bound = 1 / Float(config.featureDim).squareRoot()
        fc.weight.value.assign(Init.uniform(fc.weight.shape, -bound, bound, rng: &rng))
        fc.bias!.value.assign(Init.uniform(fc.bias!.shape, -bound, bound, rng: &rng))
    }

    /// Learnable parameters in state-dict order.
    public var parameters: [Parameter] {
        stemUnit.parameters + stages.flatMap { $0.flatMap(\.parameters) } + fc.parameters
    }
    /// BatchNorm running statistics (`running_mean`, `running_var`), loaded but never trained.
    public var buffers: [Parameter] { stemUnit.buffers + stages.flatMap { $0.flatMap(\.buffers) } }
    public var parameterCount: Int { parameters.totalCount }

    // MARK: forward, in stages

    /// conv1 7×7/2 → bn1 → relu → maxpool 3×3/2: [B, 3, H, W] → [B, C0, ⌈H/4⌉, ⌈W/4⌉].
    public func stem(_ x: Tensor) -> Tensor {
        stemUnit(x, trainBN: trainsBatchNorm, relu: true).maxPool2d(kernel: (3, 3), stride: (2, 2), padding: (1, 1))
    }

    /// Residual stage `index` (0-based; `layer{index+1}`).
    public func stage(_ index: Int, _ x: Tensor) -> Tensor { stages[index].reduce(x) { h, block in block(h, trainBN: trainsBatchNorm) } }

    /// Global average pool: [B, F, h, w] → [B, F].
    public func pool(_ x: Tensor) -> Tensor { x.adaptiveAvgPool2d(1, 1).reshaped([x.shape[0], x.shape[1]]) }

    /// Pre-head pooled features [B, F].
    public func features(_ x: Tensor) -> Tensor {
        pool((0..<stages.count).reduce(stem(x)) { h, i in stage(i, h) })
    }

    /// Logits [B, numClasses].
    public func forward(_ x: Tensor) -> Tensor { fc(features(x)) }

    // MARK: loading

    /// Loads a torchvision-layout state dict (plain, or wrapped in `model`/`state_dict`, `module.` stripped).
    /// `num_batches_tracked` is reported as ignored. Strict by default: missing or extra tensors throw.
    @discardableResult
    public func load(from checkpoint: Checkpoint, strict: Bool = true) throws -> LoadReport {
        let dict = StateDict(try preparedCheckpoint(checkpoint))
        var byName: [String: Parameter] = [:]
        for p in parameters + buffers { byName[p.name] = p }
        return try loadTensors(config.stateDictSpec(), into: byName, from: dict, strict: strict)
    }

    /// Loads from a state dict that may hold more than this ResNet (a probe's file: the ResNet plus a method's
    /// tensors); what it reads is marked used in `dict`. Names in `skipping` belong to the method (a linear probe's
    /// replaced `fc`) and are left for it.
    @discardableResult
    public func load(_ dict: StateDict, strict: Bool, skipping: Set<String> = []) throws -> LoadReport {
        var byName: [String: Parameter] = [:]
        for p in parameters + buffers { byName[p.name] = p }
        return try loadTensors(config.stateDictSpec().filter { !skipping.contains($0.name) }, into: byName, from: dict, strict: strict)
    }

    /// The torchvision state dict (parameters and BN running statistics, `num_batches_tracked` left out: torch's
    /// BatchNorm fills it in when loading a plain dict without version metadata, and our loader ignores it).
    public func exportTensors() -> [StoredTensor] {
        (parameters + buffers).map { StoredTensor(name: $0.name, shape: $0.shape, floats: $0.value.scalars) }
    }

    /// Builds and loads a named backbone after checking the file is that backbone.
    public static func pretrained(_ id: BackboneID, from checkpoint: Checkpoint) throws -> ResNet {
        let config: ResNetConfig
        switch id {
        case .resnet18In1k: config = .resnet18
        case .resnet50In1k: config = .resnet50
        case .resnext101_32x8dIG: config = .resnext101_32x8d
        default: throw BackboneError(file: checkpoint.file, "'\(id.rawValue)' is not a ResNet backbone")
        }
        try id.verify(try preparedCheckpoint(checkpoint))
        let model = ResNet(config)
        try model.load(from: checkpoint)
        return model
    }
}

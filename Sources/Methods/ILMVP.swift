// ILM-VP — Iterative Label Mapping Visual Prompting (Chen et al., CVPR 2023), CNN variant, and its FLM / RLM baselines.
// Official code: OPTML-Group/ILM-VP @ 84ca042 (spec: shared/design/methods/ilm_vp.md).
//   x  : [B, 3, s, s] in [0, 1]                             (ToTensor; no augmentation, `data/prepare_data.py`)
//   x' = pad(x, l, r, l, r; 0) + sigmoid(program) ⊙ mask     (`models/visual_prompt.py:7-32`, l = ⌊(O−s+1)/2⌋, r = ⌊(O−s)/2⌋,
//                                                             mask = 1 on the border, 0 on the s×s image)
//   z  = f(Normalize_ImageNet(x'))                           (frozen ImageNet ResNet, eval-mode BN)
//   ŷ  = z[:, mapping]                                       (`algorithms/label_mapping.py`)
// Loss: CE(ŷ, y) mean (`experiments/cnn/ilm_vp.py:90-91`). Adam(lr 0.01) over `program` only, MultiStepLR.
// Label mapping (`algorithms/flm_calculation.py:5-45`): count matrix of the source argmax per target class over the
// whole training set with the current prompt, then a greedy one-to-one assignment. ILM recomputes it at the start of
// every `mapping_interval`-th epoch (`ilm_vp.py:76-78`), FLM once before training (`flm_vp.py:70-72`), RLM draws a random
// permutation once (`rlm_vp.py:72-74`; our random stream, not torch's).
// NOTE: the official training runs under AMP autocast + GradScaler; we compute in fp32.
import Backbones
import Engine
import Foundation
import Random

/// ILM-VP options (official argument names where they exist).
public struct ILMVPConfig: Codable, Sendable, Equatable {
    /// `--mapping-interval` (ILM only).
    public var mapping_interval: Int = 1
    /// Side s of the (resized) input image (32 for CIFAR/SVHN/GTSRB, 128 otherwise; `data/prepare_data.py`).
    public var input_size: Int = 32
    /// Output size of the prompt canvas (`ExpansiveVisualPrompt(224, …)`).
    public var out_size: Int = 224
    /// Addition: normalisation the loader already applied (`none`, `half`, `imagenet`), undone before padding so the
    /// method sees ToTensor's [0, 1] images; the official loaders apply none.
    public var input_normalization: String = "none"

    public init() {}
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        mapping_interval = try c.decodeIfPresent(Int.self, forKey: .mapping_interval) ?? mapping_interval
        input_size = try c.decodeIfPresent(Int.self, forKey: .input_size) ?? input_size
        out_size = try c.decodeIfPresent(Int.self, forKey: .out_size) ?? out_size
        input_normalization = try c.decodeIfPresent(String.self, forKey: .input_normalization) ?? input_normalization
    }
    static let known: Set<String> = ["mapping_interval", "input_size", "out_size", "input_normalization"]
}

/// The frequency-based label mapping of ILM-VP, engine-independent.
public enum LabelMapping {
    /// `get_dist_matrix`: counts [S][C] of (source argmax s, target label t); C = number of distinct labels, columns
    /// 0..<C (the official code assumes labels 0..C−1 are all present).
    public static func countMatrix(predictions: [Int], labels: [Int], sourceClasses s: Int) -> (counts: [Int], columns: Int) {
        let c = Set(labels).count
        var m = [Int](repeating: 0, count: s * c)
        for (p, y) in zip(predictions, labels) where y < c { m[p * c + y] += 1 }
        return (m, c)
    }

    /// `predictive_distribution_based_multi_label_mapping`: repeat C·k times: take the first maximum of the row-major
    /// flattened matrix (s*, t*), mark it, set row s* to −1, and column t* to −1 once it has k entries.
    public static func greedyAssignment(_ counts: [Int], rows s: Int, columns c: Int, perColumn k: Int = 1) -> [(source: Int, target: Int)] {
        precondition(k * c <= s, "source label number not enough for mapping")
        var d = counts, pairs: [(Int, Int)] = [], perCol = [Int](repeating: 0, count: c)
        for _ in 0..<(k * c) {
            var loc = 0
            for i in 1..<d.count where d[i] > d[loc] { loc = i }
            let r = loc / c, t = loc % c
            pairs.append((r, t))
            perCol[t] += 1
            for j in 0..<c { d[r * c + j] = -1 }
            if perCol[t] == k { for i in 0..<s { d[i * c + t] = -1 } }
        }
        return pairs
    }

    /// `generate_label_mapping_by_frequency` with `mapping_num = 1`: mapping[t] = source class of target t.
    public static func frequencyMapping(predictions: [Int], labels: [Int], sourceClasses s: Int) -> [Int] {
        let (m, c) = countMatrix(predictions: predictions, labels: labels, sourceClasses: s)
        var out = [Int](repeating: 0, count: c)
        for (src, t) in greedyAssignment(m, rows: s, columns: c) { out[t] = src }
        return out
    }
}

/// ILM-VP / FLM-VP / RLM-VP on a frozen ImageNet ResNet.
public final class ILMVP: PromptMethod {
    public enum Mapping: String, Sendable { case iterative = "ilm", frequency = "flm", random = "rlm" }

    public let id: String
    public let config: ILMVPConfig
    public let mappingKind: Mapping
    public let resnet: ResNet
    /// `program` [3, O, O], zeros (`init='zero'`).
    public let program: Parameter
    /// `mask` buffer: 1 on the padded border, 0 on the image area.
    public let mask: Tensor
    public let numClasses: Int
    /// mapping[t] = ImageNet class read for target class t.
    public private(set) var mapping: [Int]?
    var rng: RandomStream

    public init(id: String, setup: MethodSetup, mapping: Mapping) throws {
        guard let r = setup.backbone.resnet else { throw MethodError("\(id) needs a ResNet backbone") }
        let c = try setup.options.decode(ILMVPConfig.self, method: id, known: ILMVPConfig.known)
        guard c.input_size <= c.out_size, c.mapping_interval >= 1 else { throw MethodError("\(id): bad input_size/out_size/mapping_interval") }
        guard ["none", "half", "imagenet"].contains(c.input_normalization) else {
            throw MethodError("\(id): input_normalization must be none, half or imagenet")
        }
        guard setup.numClasses <= r.config.numClasses else { throw MethodError("\(id): \(setup.numClasses) classes > \(r.config.numClasses) source classes") }
        self.id = id; config = c; mappingKind = mapping; resnet = r; numClasses = setup.numClasses
        rng = setup.rng.child(7)
        for p in r.parameters { p.trainable = false }
        program = Parameter("program", Tensor(zeros: [3, c.out_size, c.out_size]), trainable: true)
        let l = Self.pads(c).0
        var m = [Float](repeating: 1, count: 3 * c.out_size * c.out_size)
        for ch in 0..<3 { for y in l..<(l + c.input_size) { for x in l..<(l + c.input_size) { m[(ch * c.out_size + y) * c.out_size + x] = 0 } } }
        mask = Tensor(m, shape: [1, 3, c.out_size, c.out_size])
    }

    /// l = int((O − s + 1)/2), r = int((O − s)/2).
    static func pads(_ c: ILMVPConfig) -> (Int, Int) { ((c.out_size - c.input_size + 1) / 2, (c.out_size - c.input_size) / 2) }

    public var parameters: [Parameter] { resnet.parameters + [program] }
    public var backboneResNet: ResNet? { resnet }
    public var inputImageSize: Int? { config.input_size }
    public var notReady: String? {
        mapping == nil ? "\(id) has no label mapping yet: a probe's weights must carry `mapping_sequence` (the target → source class list its best.pth stores)" : nil
    }

    /// Sets the label mapping (tests, resumes).
    public func setMapping(_ m: [Int]) {
        precondition(m.count == numClasses && m.allSatisfy { $0 >= 0 && $0 < resnet.config.numClasses })
        mapping = m
    }

    /// The prompted, ImageNet-normalised canvas [B, 3, O, O].
    public func promptedImages(_ images: Tensor) -> Tensor {
        let s = config.input_size
        precondition(images.shape[2] == s && images.shape[3] == s, "\(id): images \(images.shape) but input_size \(s)")
        var x = images
        switch config.input_normalization {
        case "half": x = x * 0.5 + 0.5
        case "imagenet": x = x * Self.channel([0.229, 0.224, 0.225]) + Self.channel([0.485, 0.456, 0.406])
        default: break
        }
        let (l, r) = Self.pads(config)
        let canvas = x.pad2d(left: l, right: r, top: l, bottom: r) + program.value.reshaped([1, 3, config.out_size, config.out_size]).sigmoid() * mask
        // transforms.Normalize(IMAGENETNORMALIZE) inside the prompt module.
        return (canvas - Self.channel([0.485, 0.456, 0.406])) / Self.channel([0.229, 0.224, 0.225])
    }

    static func channel(_ v: [Float]) -> Tensor { Tensor(v, shape: [1, 3, 1, 1]) }

    /// Source (ImageNet) logits [B, S].
    public func sourceLogits(_ images: Tensor) -> Tensor { resnet.forward(promptedImages(images)) }

    public func logits(_ images: Tensor, context: inout ForwardContext) -> Tensor {
        guard let mapping else { preconditionFailure("\(id): no label mapping yet (prepare / epochWillBegin / setMapping)") }
        return sourceLogits(images).indexSelect(axis: 1, mapping)
    }

    /// `generate_label_mapping_by_frequency` over one pass of the training data with the current prompt.
    public func computeFrequencyMapping(_ read: TrainingBatchReader) throws -> [Int] {
        var preds: [Int] = [], labels: [Int] = []
        while let (x, y) = try read() {
            preds += withoutGrad { sourceLogits(x).argmaxLastAxis() }
            labels += y
        }
        return LabelMapping.frequencyMapping(predictions: preds, labels: labels, sourceClasses: resnet.config.numClasses)
    }

    public func prepare(trainingData: TrainingData) throws {
        switch mappingKind {
        case .frequency: mapping = try computeFrequencyMapping(trainingData(0))
        case .random:
            // torch.randperm(1000)[:C]: a uniform random injective map (Fisher–Yates on our stream).
            var perm = Array(0..<resnet.config.numClasses)
            for i in stride(from: perm.count - 1, to: 0, by: -1) { perm.swapAt(i, rng.int(below: i + 1)) }
            mapping = Array(perm.prefix(numClasses))
        case .iterative: break
        }
    }

    public func epochWillBegin(_ epoch: Int, trainingData: TrainingData) throws {
        if mappingKind == .iterative && epoch % config.mapping_interval == 0 {
            mapping = try computeFrequencyMapping(trainingData(epoch))
        }
    }

    public func parameterGroups(lr: Float, weightDecay: Float) -> [ParamGroup] {
        // Adam(visual_prompt.parameters(), lr=args.lr): one group, no weight decay (`ilm_vp.py:65`).
        [ParamGroup("program", params: [program], lr: lr, weightDecay: weightDecay)]
    }

    public func role(of p: Parameter) -> ParameterRole { p === program ? .prompt : .other }

    /// Effective trainable entries: the border only, 3·(O² − s²).
    public var effectiveTrainableCount: Int { 3 * (config.out_size * config.out_size - config.input_size * config.input_size) }

    /// Backbone tensors carry torchvision names already; the ViT naming is unused.
    public var officialBackbone: (naming: ViTNaming, prefix: String) { (.timm, "") }
    /// A CNN method: its ResNet is not a ViT (probes treat every trainable tensor by its own name).
    public var backboneViT: ViT? { nil }

    /// The official checkpoint (`ilm_vp.py:128-136`) stores `mapping_sequence` beside the prompt's state dict; a probe
    /// file may carry it (otherwise set it with `setMapping`).
    public func loadProbeState(from weights: StateDict) throws -> [String] {
        guard weights.contains("mapping_sequence") else { return [] }
        let (shape, values) = try weights.raw("mapping_sequence")
        let m = values.map { Int($0) }
        guard shape == [numClasses], m.allSatisfy({ $0 >= 0 && $0 < resnet.config.numClasses }) else {
            throw MethodError("\(id): mapping_sequence has shape \(shape) or out-of-range entries; expected \(numClasses) source classes")
        }
        mapping = m
        return ["mapping_sequence"]
    }

    public func checkpointState() -> [String: Tensor] {
        guard let mapping else { return [:] }
        return ["mapping_sequence": Tensor(mapping.map { Float($0) }, shape: [mapping.count])]
    }

    public func restore(checkpointState s: [String: Tensor]) throws {
        if let m = s["mapping_sequence"] { mapping = m.scalars.map { Int($0) } }
    }
}

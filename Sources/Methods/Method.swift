// The contract every method satisfies. A method wraps a backbone, owns its extra parameters, decides which
// parameters train, computes the training loss, builds the optimiser's parameter groups as the official code
// does, and names its tensors as the official state dict does (for import/export and parity probes).
import Backbones
import Engine
import Foundation
import Random

/// A loosely typed option value from a recipe or config file (official option names as keys).
public enum OptionValue: Codable, Sendable, Equatable, CustomStringConvertible {
    case bool(Bool), int(Int), double(Double), string(String), list([OptionValue])

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let i = try? c.decode(Int.self) { self = .int(i) }
        else if let d = try? c.decode(Double.self) { self = .double(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else { self = .list(try c.decode([OptionValue].self)) }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .bool(let b): try c.encode(b)
        case .int(let i): try c.encode(i)
        case .double(let d): try c.encode(d)
        case .string(let s): try c.encode(s)
        case .list(let l): try c.encode(l)
        }
    }

    public var description: String {
        switch self {
        case .bool(let b): return "\(b)"
        case .int(let i): return "\(i)"
        case .double(let d): return "\(d)"
        case .string(let s): return s
        case .list(let l): return "[" + l.map(\.description).joined(separator: ", ") + "]"
        }
    }
}

/// Options keyed by official names (e.g. `NUM_TOKENS`, `DEEP`, `DROPOUT`).
public typealias MethodOptions = [String: OptionValue]

/// A problem with a method's configuration.
public struct MethodError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension Dictionary where Key == String, Value == OptionValue {
    /// Decodes these options into a method's Codable config (unknown keys are an error: typos must not pass).
    public func decode<T: Decodable>(_ type: T.Type, method: String, known: Set<String>) throws -> T {
        let unknown = Set(keys).subtracting(known)
        guard unknown.isEmpty else {
            throw MethodError("\(method): unknown option(s) \(unknown.sorted().joined(separator: ", ")); known: \(known.sorted().joined(separator: ", "))")
        }
        do { return try JSONDecoder().decode(T.self, from: JSONEncoder().encode(self)) } catch {
            throw MethodError("\(method): bad options \(self): \(error)")
        }
    }
}

/// The backbone a method attaches to.
public enum BackboneModel {
    case vit(ViT)
    case resnet(ResNet)
    case swin(Swin)

    public var vit: ViT? { if case .vit(let v) = self { return v }; return nil }
    public var resnet: ResNet? { if case .resnet(let r) = self { return r }; return nil }
    public var swin: Swin? { if case .swin(let s) = self { return s }; return nil }
    public var parameters: [Parameter] {
        switch self {
        case .vit(let v): return v.parameters
        case .resnet(let r): return r.parameters
        case .swin(let s): return s.parameters
        }
    }
}

/// Everything a method needs to build itself.
public struct MethodSetup {
    public var backbone: BackboneModel
    public var numClasses: Int
    public var options: MethodOptions
    /// Initialisation stream for the method's own parameters.
    public var rng: RandomStream
    /// The zoo id of the backbone (`vit-b16-mae`), when known: methods whose official code differs by pre-training
    /// family (GateVPT's MAE / MoCo v3 pooling) read it; nil for probes and hand-built backbones.
    public var backboneId: String?
    public init(backbone: BackboneModel, numClasses: Int, options: MethodOptions = [:], rng: RandomStream, backboneId: String? = nil) {
        self.backbone = backbone; self.numClasses = numClasses; self.options = options; self.rng = rng; self.backboneId = backboneId
    }
}

/// What the trainer passes to a method for one training batch.
public struct TrainingBatch {
    public var images: Tensor
    public var labels: [Int]
    /// Soft targets [B, C] when the recipe mixes samples (mixup/cutmix/label smoothing); nil otherwise.
    public var targets: Tensor?
    public var epoch: Int
    public init(images: Tensor, labels: [Int], targets: Tensor? = nil, epoch: Int) {
        self.images = images; self.labels = labels; self.targets = targets; self.epoch = epoch
    }
}

/// A fresh pass over the training split, batch by batch: images [B, C, H, W] and labels, in the training
/// loader's order and augmentation for the given epoch; `nil` after the last batch.
public typealias TrainingBatchReader = () throws -> (images: Tensor, labels: [Int])?
/// Opens a `TrainingBatchReader` for an epoch.
public typealias TrainingData = (_ epoch: Int) -> TrainingBatchReader
/// The `TrainingData` epoch that reads every training image once, in dataset order, with the evaluation transform and no
/// dropped last batch (calibration passes over the training set, e.g. SCT's salient-channel selection).
public let wholeTrainingSetEpoch = -1

/// Which split an evaluation pass reads.
public enum EvaluationSplit: String, Sendable { case val, test }

/// Parameter role, for the prompts / head / other split papers report.
public enum ParameterRole: String, Sendable { case prompt, head, other }

/// A visual prompt tuning method (or baseline) attached to a backbone.
public protocol PromptMethod: AnyObject {
    /// Registry id, e.g. `vpt-deep`.
    var id: String { get }
    /// Every parameter of the model (backbone + method + head), frozen ones included.
    var parameters: [Parameter] { get }
    /// Logits [B, C].
    func logits(_ images: Tensor, context: inout ForwardContext) -> Tensor
    /// The full training loss of a batch (extra terms included).
    func loss(_ batch: TrainingBatch, context: inout ForwardContext) -> Tensor
    /// Optimiser groups exactly as the official code builds them.
    func parameterGroups(lr: Float, weightDecay: Float) -> [ParamGroup]
    /// Role of a trainable parameter.
    func role(of p: Parameter) -> ParameterRole
    /// How the official code names the backbone's weights (method parameters already carry official names).
    var officialBackbone: (naming: ViTNaming, prefix: String) { get }
    /// The ViT the method wraps (nil for CNN methods); probes load and export its weights in `officialBackbone` naming.
    var backboneViT: ViT? { get }
    /// The Swin the method wraps, with the prefix of its official state-dict names (nil for ViT/CNN methods);
    /// probes load its weights from there.
    var backboneSwin: (model: Swin, prefix: String)? { get }
    /// The frozen ResNet a CNN method wraps (ILM-VP), loaded by probes from torchvision names.
    var backboneResNet: ResNet? { get }
    /// Called after every training epoch (pruning schedules, k-means refreshes, label-mapping updates).
    func epochDidEnd(_ epoch: Int)
    /// Whether the backbone's own dropout/drop-path run during training (VPT keeps them off).
    var backboneTrainMode: Bool { get }
    /// Called once before the optimiser is built, with the training data: data-dependent structure (DAM-VP's
    /// clusters and per-cluster prompters, ILM-VP's first label mapping) is created here.
    func prepare(trainingData: TrainingData) throws
    /// Called before every training epoch (ILM-VP recomputes its label mapping here).
    func epochWillBegin(_ epoch: Int, trainingData: TrainingData) throws
    /// Called around every evaluation pass (DAM-VP tests with its best-validation prompters).
    func willEvaluate(_ split: EvaluationSplit, epoch: Int)
    func didEvaluate(_ split: EvaluationSplit, epoch: Int, accuracy: Double)
    /// Non-parameter state that must survive a resume (masks, label mappings, cluster assignments).
    func checkpointState() -> [String: Tensor]
    func restore(checkpointState: [String: Tensor]) throws
    /// Data-dependent state a probe's weights file carries beside the parameters (DAM-VP's `prototype_gather`,
    /// ILM-VP's `mapping_sequence`), read before the parameters are loaded because it can decide which parameters
    /// exist. Returns the names it consumed.
    func loadProbeState(from weights: StateDict) throws -> [String]
    /// Why the method cannot produce logits yet (data-dependent state missing, e.g. ILM-VP's label mapping before
    /// any mapping pass or probe weights that carry it); nil when it can.
    var notReady: String? { get }
    /// The image side the method takes when it differs from its backbone's (ILM-VP's small image inside the
    /// prompt frame); nil otherwise.
    var inputImageSize: Int? { get }
}

extension PromptMethod {
    public var trainable: [Parameter] { parameters.filter(\.trainable) }

    /// Trainable counts split prompts / head / other, and the model total.
    public var trainableSplit: (prompts: Int, head: Int, other: Int, model: Int) {
        var c = (prompts: 0, head: 0, other: 0, model: parameters.totalCount)
        for p in trainable {
            switch role(of: p) {
            case .prompt: c.prompts += p.count
            case .head: c.head += p.count
            case .other: c.other += p.count
            }
        }
        return c
    }

    /// Mean cross-entropy, or soft-target cross-entropy when the batch carries targets.
    public func crossEntropy(_ logits: Tensor, _ batch: TrainingBatch) -> Tensor {
        if let t = batch.targets { return Tensor.softTargetCrossEntropy(logits, t) }
        return Tensor.crossEntropy(logits, labels: batch.labels)
    }

    public func loss(_ batch: TrainingBatch, context: inout ForwardContext) -> Tensor {
        crossEntropy(logits(batch.images, context: &context), batch)
    }

    public func epochDidEnd(_ epoch: Int) {}
    public func prepare(trainingData: TrainingData) throws {}
    public func epochWillBegin(_ epoch: Int, trainingData: TrainingData) throws {}
    public func willEvaluate(_ split: EvaluationSplit, epoch: Int) {}
    public func didEvaluate(_ split: EvaluationSplit, epoch: Int, accuracy: Double) {}
    public func checkpointState() -> [String: Tensor] { [:] }
    public func restore(checkpointState: [String: Tensor]) throws {}
    public func loadProbeState(from weights: StateDict) throws -> [String] { [] }
    public var notReady: String? { nil }
    public var inputImageSize: Int? { nil }
    public var backboneTrainMode: Bool { false }
    public var backboneSwin: (model: Swin, prefix: String)? { nil }
    public var backboneResNet: ResNet? { nil }

    /// One group per trainable tensor, weight decay on all but `noDecay` names (KMnP/vpt `src/solver/optimizer.py`).
    public func perTensorGroups(lr: Float, weightDecay: Float, noDecay: (Parameter) -> Bool) -> [ParamGroup] {
        trainable.map { ParamGroup($0.name, params: [$0], lr: lr, weightDecay: noDecay($0) ? 0 : weightDecay) }
    }
}

// The expected state dict of a backbone, computed from its config without allocating any weights,
// and the identity check of a checkpoint against a named backbone id (architecture.md "Backbone ids").
// Counting from the spec keeps `parameterCount` of a full-size model (Swin-B: 109M) instant and free.
import Checkpoints
import Engine
import Foundation

/// One entry of an official state dict: name, shape and what the model does with it.
public struct TensorSpec: Equatable, Sendable, CustomStringConvertible {
    /// What a state-dict entry is to the model.
    public enum Kind: String, Sendable {
        /// A learnable tensor (counted in the parameter total).
        case parameter
        /// A stored statistic the forward uses (BatchNorm running mean/var); loaded, not counted.
        case buffer
        /// A stored buffer the model computes itself (Swin index/mask); checked, not copied.
        case recomputed
        /// Stored but irrelevant for inference (`num_batches_tracked`).
        case ignored
    }

    public var name: String
    public var shape: [Int]
    public var kind: Kind

    public init(_ name: String, _ shape: [Int], _ kind: Kind = .parameter) {
        self.name = name; self.shape = shape; self.kind = kind
    }

    public var count: Int { shape.reduce(1, *) }
    public var description: String { "\(name) \(shape)" }
}

extension Array where Element == TensorSpec {
    /// Number of learnable values (what `sum(p.numel() for p in model.parameters())` prints).
    public var parameterCount: Int { filter { $0.kind == .parameter }.reduce(0) { $0 + $1.count } }
}

/// The pretrained backbones the suite names (architecture.md); each knows its architecture and file layout.
public enum BackboneID: String, CaseIterable, Sendable {
    case swinBIn22k = "swin-b-in22k"
    case resnet18In1k = "resnet18-in1k"
    case resnet50In1k = "resnet50-in1k"
    case resnext101_32x8dIG = "resnext101-32x8d-ig"
    /// torchvision AlexNet (Sidetune's side network; only its `features` are used).
    case alexnetIn1k = "alexnet-in1k"

    /// Which file this id stands for, for error messages.
    public var fileDescription: String {
        switch self {
        case .swinBIn22k: return "official Swin-B 22k checkpoint (swin_base_patch4_window7_224_22k.pth, weights under 'model')"
        case .resnet18In1k: return "torchvision resnet18 IMAGENET1K_V1 state dict"
        case .resnet50In1k: return "torchvision resnet50 IMAGENET1K_V2 state dict"
        case .resnext101_32x8dIG: return "WSL-Images resnext101_32x8d_wsl state dict (torchvision naming)"
        case .alexnetIn1k: return "torchvision alexnet IMAGENET1K_V1 state dict (alexnet-owt-7be5be79.pth)"
        }
    }

    /// The expected official state dict, in file order.
    public var expectedTensors: [TensorSpec] {
        switch self {
        case .swinBIn22k: return SwinConfig.swinBase22k.stateDictSpec()
        case .resnet18In1k: return ResNetConfig.resnet18.stateDictSpec()
        case .resnet50In1k: return ResNetConfig.resnet50.stateDictSpec()
        case .resnext101_32x8dIG: return ResNetConfig.resnext101_32x8d.stateDictSpec()
        case .alexnetIn1k: return AlexNetConfig.alexnet.stateDictSpec()
        }
    }

    /// Learnable parameters of the full model including its head, computed from the config.
    public var parameterCount: Int { expectedTensors.parameterCount }

    /// Throws unless `checkpoint` (already unwrapped) holds every tensor this backbone expects, with the
    /// expected shapes, and nothing else that matters. The message names the expected backbone and file,
    /// what was found instead, and which known backbone the file looks like, if any.
    public func verify(_ checkpoint: Checkpoint) throws {
        let problems = BackboneID.mismatches(of: checkpoint, against: self)
        guard !problems.isEmpty else { return }
        var msg = "expected backbone '\(rawValue)' (\(fileDescription), \(expectedTensors.count) tensors, "
            + "\(parameterCount) parameters), found \(checkpoint.names.count) tensors that do not match: "
            + problems.prefix(4).joined(separator: "; ")
        if problems.count > 4 { msg += "; … (\(problems.count) problems)" }
        if let other = BackboneID.allCases.first(where: { $0 != self && BackboneID.mismatches(of: checkpoint, against: $0).isEmpty }) {
            msg += ". The file looks like '\(other.rawValue)' (\(other.fileDescription))"
        }
        throw BackboneError(file: checkpoint.file, msg)
    }

    /// Human-readable differences between a checkpoint and this backbone's spec (empty when it matches).
    static func mismatches(of checkpoint: Checkpoint, against id: BackboneID) -> [String] {
        let spec = id.expectedTensors
        // A file in another known layout of the same architecture (timm's Swin) is translated first.
        let rename: (String) -> String
        switch id {
        case .swinBIn22k: rename = SwinConfig.swinBase22k.fileName(in: checkpoint)
        default: rename = { $0 }
        }
        var missing: [String] = [], wrongShape: [String] = []
        var expectedFileNames = Set<String>()
        for t in spec {
            let fileName = rename(t.name)
            expectedFileNames.insert(fileName)
            guard let stored = checkpoint.tensors[fileName] else {
                // Buffers a file may or may not carry are not required.
                if t.kind == .parameter || t.kind == .buffer { missing.append(t.name) }
                continue
            }
            if stored.shape != t.shape && t.kind != .ignored {
                wrongShape.append("\(fileName) has shape \(stored.shape), expected \(t.shape)")
            }
        }
        let unexpected = checkpoint.names.filter { !expectedFileNames.contains($0) }
        var out: [String] = []
        if !missing.isEmpty {
            out.append("\(missing.count) expected tensors missing (e.g. \(missing.prefix(3).joined(separator: ", ")))")
        }
        out += wrongShape.prefix(3)
        if wrongShape.count > 3 { out.append("\(wrongShape.count) shape mismatches in all") }
        if !unexpected.isEmpty {
            out.append("\(unexpected.count) unexpected tensors (e.g. \(unexpected.prefix(3).joined(separator: ", ")))")
        }
        return out
    }
}

/// Shared by the models' `load(from:)`: unwraps `{"model": …}`-style containers and DataParallel prefixes.
func preparedCheckpoint(_ checkpoint: Checkpoint) throws -> Checkpoint {
    try checkpoint.unwrapped().strippingPrefixes(["module."])
}

/// Copies every spec entry from `dict` into the model's tensors (parameters and loaded buffers), records
/// recomputed/ignored entries, and throws when `strict` and anything is missing or left over.
func loadTensors(_ spec: [TensorSpec], into tensors: [String: Parameter], from dict: StateDict,
                 fileName: (String) -> String = { $0 }, strict: Bool,
                 checkRecomputed: (TensorSpec, [Float]) throws -> Void = { _, _ in }) throws -> LoadReport {
    var report = LoadReport()
    var consumed = Set<String>()
    for t in spec {
        let f = fileName(t.name)
        switch t.kind {
        case .parameter, .buffer:
            guard dict.contains(f), let p = tensors[t.name] else { report.missing.append(t.name); continue }
            try dict.load(f, into: p)
            report.loaded.append(t.name)
            consumed.insert(f)
        case .recomputed:
            guard dict.contains(f) else { continue }
            let (shape, values) = try dict.raw(f)
            guard shape == t.shape else {
                throw BackboneError(file: dict.file, "buffer '\(f)' has shape \(shape), the model computes \(t.shape)")
            }
            try checkRecomputed(t, values)
            report.recomputed.append(f)
            consumed.insert(f)
        case .ignored:
            if dict.contains(f) { report.ignored.append(f); consumed.insert(f) }
        }
    }
    report.unexpected = dict.names.filter { !consumed.contains($0) }
    if strict && (!report.missing.isEmpty || !report.unexpected.isEmpty) {
        throw BackboneError(file: dict.file, "state dict does not match the model: \(report)")
    }
    return report
}

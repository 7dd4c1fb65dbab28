// Loading model parameters from a checkpoint by official state-dict name, with a report of what
// was missing, unexpected or of the wrong shape (strict=False loads must never be silent).
import Checkpoints
import Engine
import Foundation

/// A problem loading weights into a backbone; names the file and the tensor.
public struct BackboneError: Error, CustomStringConvertible {
    public let file: String
    public let message: String
    public init(file: String, _ message: String) { self.file = file; self.message = message }
    public var description: String { "\(file): \(message)" }
}

/// What a load consumed and what it left.
public struct LoadReport: CustomStringConvertible, Sendable {
    public var loaded: [String] = []
    /// Model parameters the checkpoint had no tensor for.
    public var missing: [String] = []
    /// Checkpoint tensors the model did not use.
    public var unexpected: [String] = []
    /// Stored buffers the model derives itself (Swin `relative_position_index`, `attn_mask`); checked
    /// against the recomputed values where possible, never copied.
    public var recomputed: [String] = []
    /// Stored entries that carry no information for inference (BatchNorm `num_batches_tracked`).
    public var ignored: [String] = []

    public init() {}

    public var description: String {
        func list(_ a: [String]) -> String { a.isEmpty ? "none" : a.prefix(8).joined(separator: ", ") + (a.count > 8 ? ", … (\(a.count))" : "") }
        var s = "loaded \(loaded.count) tensors; missing: \(list(missing)); unexpected: \(list(unexpected))"
        if !recomputed.isEmpty { s += "; recomputed: \(recomputed.count)" }
        if !ignored.isEmpty { s += "; ignored: \(ignored.count)" }
        return s
    }
}

/// Checkpoint tensors by name, converted to Float32 on demand; remembers which were taken.
public final class StateDict {
    public let file: String
    private let checkpoint: Checkpoint
    private var taken = Set<String>()

    public init(_ checkpoint: Checkpoint) {
        self.checkpoint = checkpoint
        self.file = checkpoint.file
    }

    public var names: [String] { checkpoint.names }
    public func contains(_ name: String) -> Bool { checkpoint.tensors[name] != nil }

    /// The raw values and shape of `name`, marking it used.
    public func raw(_ name: String) throws -> (shape: [Int], values: [Float]) {
        guard let t = checkpoint.tensors[name] else {
            throw BackboneError(file: file, "expected a tensor named '\(name)', found none")
        }
        taken.insert(name)
        return (t.shape, try t.floats())
    }

    /// `name` as a Tensor, checked to have `shape` (after an optional reshape of the same element count).
    public func tensor(_ name: String, shape: [Int]) throws -> Tensor {
        let (s, v) = try raw(name)
        guard s.reduce(1, *) == shape.reduce(1, *) else {
            throw BackboneError(file: file, "tensor '\(name)' has shape \(s), expected \(shape)")
        }
        return Tensor(v, shape: shape)
    }

    /// Copies the checkpoint tensor into `param` (shapes must agree in element count and, unless
    /// `allowReshape`, exactly).
    public func load(_ name: String, into param: Parameter, allowReshape: Bool = false) throws {
        let (s, v) = try raw(name)
        guard s == param.shape || (allowReshape && s.reduce(1, *) == param.count) else {
            throw BackboneError(file: file, "tensor '\(name)' has shape \(s), the model expects \(param.shape)")
        }
        v.withUnsafeBufferPointer { param.value.data.update(from: $0.baseAddress!, count: v.count) }
    }

    /// Names present in the checkpoint that no load consumed.
    public var unused: [String] { checkpoint.names.filter { !taken.contains($0) } }
}

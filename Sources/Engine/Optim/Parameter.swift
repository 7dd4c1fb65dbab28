// Parameters carry their official state-dict name and a trainable flag; "trainable" is a filter
// over the parameter tree, not a second model (conventions §6).
import Foundation

/// A named model tensor. Frozen parameters never receive gradients, so no weight-gradient work is done.
public final class Parameter {
    /// Official state-dict name, e.g. `blocks.0.attn.qkv.weight` or `prompt_embeddings`.
    public let name: String
    public let value: Tensor
    public var trainable: Bool { didSet { value.requiresGrad = trainable } }

    public init(_ name: String, _ value: Tensor, trainable: Bool = false) {
        self.name = name
        self.value = value
        self.trainable = trainable
        value.requiresGrad = trainable
    }

    public var shape: [Int] { value.shape }
    public var count: Int { value.count }
    public var grad: Tensor? { value.grad }
}

extension Array where Element == Parameter {
    public var trainable: [Parameter] { filter(\.trainable) }
    public var totalCount: Int { reduce(0) { $0 + $1.count } }
    public func named(_ n: String) -> Parameter? { first { $0.name == n } }
}

import Foundation

/// An error reading or writing a checkpoint; its description always names the file and what was expected vs found.
public struct CheckpointError: Error, CustomStringConvertible, Equatable, Sendable {
    /// Which family of problem, so callers and tests can react without parsing text.
    public enum Kind: String, Sendable {
        case io, truncated, badMagic, badHeader, offsetsOutOfRange, unsupportedDType
        case unknownOpcode, refusedGlobal, malformed, unsupported, missingTensor
    }

    public let kind: Kind
    /// The file (path or archive member) the problem was found in.
    public let file: String
    /// Human-readable detail: what was expected and what was found.
    public let message: String

    public init(_ kind: Kind, file: String, _ message: String) {
        self.kind = kind
        self.file = file
        self.message = message
    }

    public var description: String { "\(file): \(message)" }
}

extension CheckpointError: LocalizedError {
    public var errorDescription: String? { description }
}

import Foundation

/// Public entry to the safe pickle reader, for checkpoints and for dataset pickles (CIFAR python batches).
public enum PickleReader {
    /// Decodes one pickle starting at byte 0. When `allowOpaqueObjects` is false (the default), any
    /// class or function outside the allow-list anywhere in the result is refused with `.refusedGlobal`;
    /// when true they are returned as inert `.object` / `.global` placeholders (never executed).
    public static func load(_ data: Data, file: String, allowOpaqueObjects: Bool = false) throws -> PickleValue {
        var vm = PickleMachine(data, file: file)
        let root = try vm.run()
        let value = try vm.finish(root, depth: 0) { s in
            throw CheckpointError(.malformed, file: file, "pickle: tensor storage '\(s.key)' without a container")
        }
        if !allowOpaqueObjects, let g = value.firstOpaque {
            throw CheckpointError(.refusedGlobal, file: file, "pickle: refused global \(g): only plain data, numpy arrays and torch tensors are allowed (nothing was executed)")
        }
        return value
    }

    /// Reads and decodes a pickle file.
    public static func load(_ url: URL, allowOpaqueObjects: Bool = false) throws -> PickleValue {
        try load(readFile(url), file: url.path, allowOpaqueObjects: allowOpaqueObjects)
    }
}

/// Interprets a torch persistent id `('storage', torch.XStorage, key, location, numel[, view])`.
func torchStorageRef(_ pid: PickleValue, file: String) throws -> TorchStorageRef {
    guard let items = pid.items, items.count >= 5, items[0].stringValue == "storage" else {
        throw CheckpointError(.malformed, file: file, "pickle: expected a ('storage', type, key, location, numel) persistent id, found \(pid.shortDescription)")
    }
    guard case let .global(module, name) = items[1] else {
        throw CheckpointError(.malformed, file: file, "pickle: expected a storage class in the persistent id, found \(items[1].shortDescription)")
    }
    guard module == "torch", let dtype = DType.fromTorchStorage(name) else {
        throw CheckpointError(.refusedGlobal, file: file, "pickle: refused global \(module).\(name): expected a torch typed storage class (FloatStorage, HalfStorage, ...)")
    }
    guard let key = items[2].stringValue, let numel = items[4].intValue, numel >= 0, let count = Int(exactly: numel) else {
        throw CheckpointError(.malformed, file: file, "pickle: expected storage key and element count in \(pid.shortDescription)")
    }
    if items.count > 5, case .none = items[5] {} else if items.count > 5 {
        throw CheckpointError(.unsupported, file: file, "pickle: storage views (legacy view metadata) are not supported, found \(items[5].shortDescription)")
    }
    return TorchStorageRef(dtype: dtype, key: key, location: items[3].stringValue ?? "", elementCount: count)
}

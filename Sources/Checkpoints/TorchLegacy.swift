import Foundation

/// Reads pre-1.6 `torch.save` files (`_use_new_zipfile_serialization=False`): five pickles
/// (magic number, protocol version, sys info, the object, sorted storage keys) followed by each
/// storage as an int64 element count and raw little-endian bytes. Plain pickles are read here too.
public enum TorchLegacy {
    /// 0x1950a86a20f9469cfc6c as pickled by LONG1: little-endian two's complement.
    static let magic: [UInt8] = [0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19]

    public static func load(_ url: URL) throws -> Checkpoint {
        try read(readFile(url), file: url.path)
    }

    /// Decodes a legacy torch file, or a plain pickle of tensors/numpy arrays when the magic is absent.
    public static func read(_ data: Data, file: String) throws -> Checkpoint {
        var first = PickleMachine(data, file: file)
        let head = try first.run()
        guard case let .leaf(.bigInt(b)) = head, b == magic else {
            // Not a legacy torch file: a plain pickle (e.g. numpy arrays in a dict). Storages are refused.
            guard first.r.atEnd else {
                throw CheckpointError(.malformed, file: file, "expected a single pickle, found \(first.r.remaining) trailing bytes")
            }
            let value = try first.finish(head, depth: 0) { _ in Data() }
            return try PickleCheckpoint.build(value, format: .pickle, file: file)
        }
        var offset = first.r.offset
        func next(_ load: ((PickleValue) throws -> PickleValue)? = nil) throws -> (PickleMachine, Node) {
            var vm = PickleMachine(data, file: file, offset: offset, persistentLoad: load)
            let v = try vm.run()
            offset = vm.r.offset
            return (vm, v)
        }
        let (_, proto) = try next()
        guard case .leaf(.int(1001)) = proto else {
            throw CheckpointError(.unsupported, file: file, "expected legacy torch protocol version 1001, found another")
        }
        let (infoVM, infoNode) = try next()
        let info = try infoVM.finish(infoNode, depth: 0) { _ in Data() }
        if case .bool(false)? = info["little_endian"] {
            throw CheckpointError(.unsupported, file: file, "expected a little-endian legacy torch file, found big-endian")
        }
        var storageTypes: [String: TorchStorageRef] = [:]
        let (objVM, objNode) = try next { pid in
            let s = try torchStorageRef(pid, file: file)
            storageTypes[s.key] = s
            return .storage(s)
        }
        let (keysVM, keysNode) = try next()
        guard let keys = try keysVM.finish(keysNode, depth: 0, resolve: { _ in Data() }).items?.compactMap(\.stringValue) else {
            throw CheckpointError(.malformed, file: file, "expected the list of storage keys after the object pickle")
        }
        var r = ByteReader(data, file: file, offset: offset)
        var storages: [String: Data] = [:]
        for key in keys {
            guard let s = storageTypes[key] else {
                throw CheckpointError(.malformed, file: file, "storage key '\(key)' listed but never referenced by the object pickle")
            }
            let count = try r.u64("element count of storage '\(key)'")
            let (n, o) = Int(clamping: count).multipliedReportingOverflow(by: s.dtype.byteSize)
            guard !o, count <= UInt64(Int.max) else { throw CheckpointError(.malformed, file: file, "storage '\(key)': element count \(count) overflows") }
            storages[key] = try r.bytes(n, "storage '\(key)' (\(count) x \(s.dtype.rawValue))")
        }
        let value = try objVM.finish(objNode, depth: 0) { s in
            guard let d = storages[s.key] else {
                throw CheckpointError(.missingTensor, file: file, "expected raw data for storage '\(s.key)', found none")
            }
            return d
        }
        return try PickleCheckpoint.build(value, format: .torchLegacy, file: file)
    }
}

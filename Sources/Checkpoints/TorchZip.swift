import Foundation
import ZIPFoundation

/// Reads PyTorch ≥1.6 `torch.save` files: a zip with `<archive>/data.pkl`, `<archive>/data/<key>` storages.
public enum TorchZip {
    public static func load(_ url: URL) throws -> Checkpoint {
        let file = url.path
        let archive = try openZip(url, mode: .read)
        // The archive folder is named after the file it was first saved as, so find it by data.pkl.
        guard let pkl = archive.first(where: { $0.path == "data.pkl" || $0.path.hasSuffix("/data.pkl") }) else {
            throw CheckpointError(.badMagic, file: file, "expected a torch zip with <archive>/data.pkl, found members \(archive.prefix(5).map(\.path))")
        }
        let prefix = String(pkl.path.dropLast("data.pkl".count))
        if let bo = archive[prefix + "byteorder"] {
            let order = String(decoding: try extract(bo, from: archive, file: file), as: UTF8.self)
            guard order.hasPrefix("little") else {
                throw CheckpointError(.unsupported, file: file, "expected byteorder 'little', found '\(order)'")
            }
        }
        let pickle = try extract(pkl, from: archive, file: file)
        var vm = PickleMachine(pickle, file: "\(file) [\(pkl.path)]") { pid in
            .storage(try torchStorageRef(pid, file: file))
        }
        let root = try vm.run()
        var cache: [String: Data] = [:]
        let value = try vm.finish(root, depth: 0) { s in
            if let d = cache[s.key] { return d }
            let member = prefix + "data/" + s.key
            guard let entry = archive[member] else {
                throw CheckpointError(.missingTensor, file: file, "expected storage member '\(member)', found none")
            }
            let d = try extract(entry, from: archive, file: file)
            guard d.count >= s.elementCount * s.dtype.byteSize else {
                throw CheckpointError(.truncated, file: file, "storage '\(member)': expected \(s.elementCount) x \(s.dtype.byteSize) bytes, found \(d.count)")
            }
            cache[s.key] = d
            return d
        }
        return try PickleCheckpoint.build(value, format: .torchZip, file: file)
    }
}

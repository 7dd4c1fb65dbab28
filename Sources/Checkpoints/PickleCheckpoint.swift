import Foundation

/// Turns a decoded pickle tree into a Checkpoint: tensors anywhere in nested dicts/lists get dotted
/// names; scalars become metadata; opaque objects are skipped, unless they sit where tensors are
/// expected, in which case they are refused.
enum PickleCheckpoint {
    // Why skipping is safe: opaque objects were never constructed, only recorded (see PickleMachine),
    // so dropping e.g. MoCo's `args` Namespace or an optimizer's custom class runs no code. They are
    // refused at the root and inside dicts that directly hold tensors (a state dict), because there a
    // non-tensor is either corruption or an attack and silently dropping a weight would hide it.
    static func build(_ root: PickleValue, format: CheckpointFormat, file: String) throws -> Checkpoint {
        var ckpt = Checkpoint(format: format, file: file)
        switch root {
        case .dict, .list, .tuple:
            try walk(root, path: "", into: &ckpt, depth: 0)
        case var .tensor(t), var .ndarray(t):
            t.name = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
            try ckpt.add(t)
        case .object, .global:
            throw CheckpointError(.refusedGlobal, file: file,
                                  "refused global \(root.firstOpaque ?? "?"): expected a dict of tensors at the top level, found an object the pickle wants constructed (nothing was executed)")
        default:
            throw CheckpointError(.malformed, file: file, "expected a dict of tensors at the top level, found \(root.shortDescription)")
        }
        return ckpt
    }

    static func keyText(_ k: PickleValue) -> String {
        switch k {
        case let .string(s): return s
        case let .bytes(b): return String(decoding: b, as: UTF8.self)
        case let .int(i): return String(i)
        default: return k.shortDescription
        }
    }

    static func walk(_ v: PickleValue, path: String, into ckpt: inout Checkpoint, depth: Int) throws {
        guard depth < 64 else { throw CheckpointError(.malformed, file: ckpt.file, "expected at most 64 levels of nesting at '\(path)'") }
        let children: [(String, PickleValue)]
        switch v {
        case let .dict(items): children = items.map { (keyText($0.key), $0.value) }
        case let .list(items), let .tuple(items):
            // Lists of plain scalars (labels, lr schedules) are metadata, not something to descend into.
            if !items.contains(where: { $0.containsTensor }) {
                ckpt.metadata[path] = v.shortDescription
                return
            }
            children = items.enumerated().map { (String($0.offset), $0.element) }
        default: return
        }
        let holdsTensors = children.contains { $0.1.storedTensor != nil }
        for (k, child) in children {
            let name = path.isEmpty ? k : path + "." + k
            switch child {
            case var .tensor(t), var .ndarray(t):
                t.name = name
                try ckpt.add(t)
            case .dict, .list, .tuple:
                if case .dict = child { ckpt.dictPaths.insert(name) }
                try walk(child, path: name, into: &ckpt, depth: depth + 1)
            case .object, .global:
                let g = child.firstOpaque ?? "?"
                if holdsTensors {
                    throw CheckpointError(.refusedGlobal, file: ckpt.file,
                                          "refused global \(g) at '\(name)': found next to tensors where a tensor was expected (nothing was executed)")
                }
                ckpt.skipped[name] = "\(g) (opaque object, not executed)"
            case .storage:
                ckpt.skipped[name] = "bare storage"
            default:
                ckpt.metadata[name] = child.shortDescription
            }
        }
    }
}

extension PickleValue {
    var containsTensor: Bool {
        switch self {
        case .tensor, .ndarray: return true
        case let .list(v), let .tuple(v): return v.contains { $0.containsTensor }
        case let .dict(items): return items.contains { $0.value.containsTensor }
        default: return false
        }
    }
}

import Foundation

// A small pickle virtual machine for the opcode subset that state dicts (protocols 2-5) and numpy
// pickles use. Why this is safe on untrusted files: GLOBAL/STACK_GLOBAL only *record* a module and
// name; REDUCE/NEWOBJ on a name outside a short allow-list of pure data constructors produce an inert
// `.object` placeholder. Nothing is imported, looked up or executed, so a pickle that "calls" os.system
// just yields a placeholder, which callers then refuse or skip.

/// Mutable list during unpickling; a class so that memo references see later APPENDs.
final class ListRef { var items: [Node] = [] }

/// Mutable dict during unpickling (insertion-ordered); `attributes` holds BUILD state such as `_metadata`.
final class DictRef {
    var pairs: [(Node, Node)] = []
    var attributes: Node?
}

/// An object built by REDUCE/NEWOBJ; numpy arrays and dtypes are completed by a later BUILD.
final class ObjRef {
    enum Role { case opaque, ndarray, dtype(code: String) }
    let module: String
    let name: String
    var args: [Node]
    var state: Node?
    var role: Role
    /// Set once a numpy array/dtype is complete.
    var resolved: PickleValue?
    var byteOrder: Character = "<"

    init(module: String, name: String, args: [Node], role: Role) {
        self.module = module
        self.name = name
        self.args = args
        self.role = role
    }
}

/// A tensor view of a storage, materialised once the storage bytes are available (legacy files keep
/// storages after the pickle, so rebuilding must wait until the whole file has been read).
struct TensorRef {
    var storage: TorchStorageRef
    var offset: Int
    var size: [Int]
    var stride: [Int]
}

/// A value on the VM stack or in the memo.
indirect enum Node {
    case leaf(PickleValue)
    case tuple([Node])
    case list(ListRef)
    case dict(DictRef)
    case object(ObjRef)
    case tensor(TensorRef)
}

/// Caps how many values `finish` may produce: memo references let a tiny pickle describe a DAG whose
/// expansion into a tree is exponential ("billion laughs"), which must fail cleanly, not exhaust memory.
final class FinishBudget { var left = 20_000_000 }

struct PickleMachine {
    let file: String
    let budget = FinishBudget()
    var r: ByteReader
    var stack: [Node] = []
    var marks: [Int] = []
    var memo: [Int: Node] = [:]
    /// Turns a persistent id into a value (torch storages); nil means persistent ids are refused.
    var persistentLoad: ((PickleValue) throws -> PickleValue)?

    init(_ data: Data, file: String, offset: Int = 0, persistentLoad: ((PickleValue) throws -> PickleValue)? = nil) {
        self.file = file
        self.r = ByteReader(data, file: file, offset: offset)
        self.persistentLoad = persistentLoad
    }

    func fail(_ kind: CheckpointError.Kind, _ msg: String, at pos: Int) -> CheckpointError {
        CheckpointError(kind, file: file, "pickle: \(msg) (opcode at byte offset \(pos))")
    }

    func fail(_ msg: String, at pos: Int) -> CheckpointError { fail(.malformed, msg, at: pos) }

    mutating func pop(_ pos: Int) throws -> Node {
        guard let v = stack.popLast(), stack.count >= (marks.last ?? 0) else {
            throw fail("expected a value on the stack, found it empty", at: pos)
        }
        return v
    }

    mutating func popMark(_ pos: Int) throws -> [Node] {
        guard let m = marks.popLast(), m <= stack.count else { throw fail("expected a MARK, found none", at: pos) }
        let items = Array(stack[m...])
        stack.removeSubrange(m...)
        return items
    }

    mutating func top(_ pos: Int) throws -> Node {
        guard let v = stack.last, stack.count > (marks.last ?? 0) else { throw fail("expected a value on the stack, found it empty", at: pos) }
        return v
    }

    mutating func string(_ n: Int, _ pos: Int) throws -> String {
        let b = try r.bytes(n, "string")
        guard let s = String(data: b, encoding: .utf8) else { throw fail("expected UTF-8 text, found invalid bytes", at: pos) }
        return s
    }

    mutating func length(_ v: UInt64, _ pos: Int) throws -> Int {
        guard v <= UInt64(r.remaining) else {
            throw CheckpointError(.truncated, file: file, "pickle: expected \(v) bytes of data at offset \(r.offset), found \(r.remaining) (opcode at byte offset \(pos))")
        }
        return Int(v)
    }

    /// Runs until STOP; returns the root value (unfinished) and leaves `r.offset` just past STOP.
    mutating func run() throws -> Node {
        while true {
            let pos = r.offset
            let op = try r.u8("pickle opcode")
            switch op {
            case 0x80: _ = try r.u8("protocol")                       // PROTO
            case 0x95: _ = try r.u64("frame length")                  // FRAME: frames are only a read-ahead hint
            case 0x2E:                                                // STOP
                guard stack.count == 1, marks.isEmpty else {
                    throw fail("expected exactly one value at STOP, found \(stack.count)", at: pos)
                }
                return stack[0]
            case 0x28: marks.append(stack.count)                      // MARK
            case 0x30: _ = try pop(pos)                               // POP
            case 0x31: _ = try popMark(pos)                           // POP_MARK
            case 0x32: stack.append(try top(pos))                     // DUP
            case 0x4E: stack.append(.leaf(.none))                     // NONE
            case 0x88: stack.append(.leaf(.bool(true)))               // NEWTRUE
            case 0x89: stack.append(.leaf(.bool(false)))              // NEWFALSE
            case 0x4A: stack.append(.leaf(.int(Int64(try r.i32()))))  // BININT
            case 0x4B: stack.append(.leaf(.int(Int64(try r.u8()))))   // BININT1
            case 0x4D: stack.append(.leaf(.int(Int64(try r.u16())))) // BININT2
            case 0x8A, 0x8B:                                          // LONG1, LONG4
                let n = op == 0x8A ? Int(try r.u8()) : Int(try r.i32())
                guard n >= 0 else { throw fail("expected a non-negative LONG4 length, found \(n)", at: pos) }
                let b = [UInt8](try r.bytes(try length(UInt64(n), pos), "long"))
                stack.append(.leaf(Self.long(b)))
            case 0x47: stack.append(.leaf(.float(try r.f64BE())))     // BINFLOAT
            case 0x58: stack.append(.leaf(.string(try string(try length(UInt64(try r.u32()), pos), pos))))  // BINUNICODE
            case 0x8C: stack.append(.leaf(.string(try string(Int(try r.u8()), pos))))                       // SHORT_BINUNICODE
            case 0x8D: stack.append(.leaf(.string(try string(try length(try r.u64(), pos), pos))))           // BINUNICODE8
            // Python 2 `str` (SHORT_BINSTRING, BINSTRING) is raw bytes: what pickle.load(encoding='bytes') gives.
            case 0x55: stack.append(.leaf(.bytes(try r.bytes(Int(try r.u8())))))                             // SHORT_BINSTRING
            case 0x54:                                                                                        // BINSTRING
                let n = try r.i32()
                guard n >= 0 else { throw fail("expected a non-negative BINSTRING length, found \(n)", at: pos) }
                stack.append(.leaf(.bytes(try r.bytes(try length(UInt64(n), pos)))))
            case 0x43: stack.append(.leaf(.bytes(try r.bytes(Int(try r.u8())))))                            // SHORT_BINBYTES
            case 0x42: stack.append(.leaf(.bytes(try r.bytes(try length(UInt64(try r.u32()), pos)))))       // BINBYTES
            case 0x8E, 0x96: stack.append(.leaf(.bytes(try r.bytes(try length(try r.u64(), pos)))))        // BINBYTES8, BYTEARRAY8
            case 0x29: stack.append(.tuple([]))                       // EMPTY_TUPLE
            case 0x74: stack.append(.tuple(try popMark(pos)))         // TUPLE
            case 0x85: stack.append(.tuple([try pop(pos)]))           // TUPLE1
            case 0x86:                                                // TUPLE2
                let b = try pop(pos), a = try pop(pos)
                stack.append(.tuple([a, b]))
            case 0x87:                                                // TUPLE3
                let c = try pop(pos), b = try pop(pos), a = try pop(pos)
                stack.append(.tuple([a, b, c]))
            case 0x5D: stack.append(.list(ListRef()))                 // EMPTY_LIST
            case 0x6C:                                                // LIST
                let l = ListRef()
                l.items = try popMark(pos)
                stack.append(.list(l))
            case 0x8F: stack.append(.list(ListRef()))                 // EMPTY_SET: kept as a list
            case 0x91:                                                // FROZENSET
                let l = ListRef()
                l.items = try popMark(pos)
                stack.append(.list(l))
            case 0x61:                                                // APPEND
                let v = try pop(pos)
                guard case let .list(l) = try top(pos) else { throw fail("expected a list for APPEND", at: pos) }
                l.items.append(v)
            case 0x65, 0x90:                                          // APPENDS, ADDITEMS
                let vs = try popMark(pos)
                guard case let .list(l) = try top(pos) else { throw fail("expected a list for APPENDS", at: pos) }
                l.items.append(contentsOf: vs)
            case 0x7D: stack.append(.dict(DictRef()))                 // EMPTY_DICT
            case 0x64:                                                // DICT
                let vs = try popMark(pos)
                guard vs.count % 2 == 0 else { throw fail("expected key/value pairs for DICT", at: pos) }
                let d = DictRef()
                for i in stride(from: 0, to: vs.count, by: 2) { d.pairs.append((vs[i], vs[i + 1])) }
                stack.append(.dict(d))
            case 0x73:                                                // SETITEM
                let v = try pop(pos), k = try pop(pos)
                guard case let .dict(d) = try top(pos) else { throw fail("expected a dict for SETITEM", at: pos) }
                d.pairs.append((k, v))
            case 0x75:                                                // SETITEMS
                let vs = try popMark(pos)
                guard vs.count % 2 == 0 else { throw fail("expected key/value pairs for SETITEMS", at: pos) }
                guard case let .dict(d) = try top(pos) else { throw fail("expected a dict for SETITEMS", at: pos) }
                for i in stride(from: 0, to: vs.count, by: 2) { d.pairs.append((vs[i], vs[i + 1])) }
            case 0x71: memo[Int(try r.u8())] = try top(pos)           // BINPUT
            case 0x72: memo[Int(try r.u32())] = try top(pos)          // LONG_BINPUT
            case 0x94: memo[memo.count] = try top(pos)                // MEMOIZE
            case 0x68, 0x6A:                                          // BINGET, LONG_BINGET
                let i = op == 0x68 ? Int(try r.u8()) : Int(try r.u32())
                guard let v = memo[i] else { throw fail("expected memo entry \(i), found none", at: pos) }
                stack.append(v)
            case 0x63:                                                // GLOBAL
                let module = String(decoding: try r.line("global module"), as: UTF8.self)
                let name = String(decoding: try r.line("global name"), as: UTF8.self)
                stack.append(.leaf(.global(module: module, name: name)))
            case 0x93:                                                // STACK_GLOBAL
                let n = try pop(pos), m = try pop(pos)
                guard case let .leaf(.string(name)) = n, case let .leaf(.string(module)) = m else {
                    throw fail("expected two strings for STACK_GLOBAL", at: pos)
                }
                stack.append(.leaf(.global(module: module, name: name)))
            case 0x52:                                                // REDUCE
                let args = try pop(pos), callable = try pop(pos)
                guard case let .tuple(a) = args else { throw fail("expected an argument tuple for REDUCE", at: pos) }
                stack.append(try call(callable, a, pos))
            case 0x81:                                                // NEWOBJ: cls.__new__(cls, *args)
                let args = try pop(pos), cls = try pop(pos)
                guard case let .tuple(a) = args else { throw fail("expected an argument tuple for NEWOBJ", at: pos) }
                stack.append(try call(cls, a, pos))
            case 0x92:                                                // NEWOBJ_EX
                _ = try pop(pos)
                let args = try pop(pos), cls = try pop(pos)
                guard case let .tuple(a) = args else { throw fail("expected an argument tuple for NEWOBJ_EX", at: pos) }
                stack.append(try call(cls, a, pos))
            case 0x62:                                                // BUILD
                let state = try pop(pos)
                try build(try top(pos), state: state, pos)
            case 0x51:                                                // BINPERSID
                let pid = try finish(try pop(pos), depth: 0) { _ in Data() }
                guard let load = persistentLoad else {
                    throw fail(.unsupported, "expected no persistent ids in a plain pickle, found \(pid.shortDescription)", at: pos)
                }
                stack.append(.leaf(try load(pid)))
            default:
                let ch = (0x20..<0x7F).contains(op) ? " ('\(Character(UnicodeScalar(op)))')" : ""
                throw fail(.unknownOpcode, "unknown or unsupported opcode 0x\(String(op, radix: 16))\(ch); expected the protocol 2-5 state-dict subset", at: pos)
            }
        }
    }

    static func long(_ b: [UInt8]) -> PickleValue {
        if b.isEmpty { return .int(0) }
        if b.count <= 8 {
            var v: UInt64 = 0
            for (i, x) in b.enumerated() { v |= UInt64(x) << (8 * UInt64(i)) }
            if b.count < 8, b[b.count - 1] & 0x80 != 0 { v |= ~UInt64(0) << (8 * UInt64(b.count)) }  // sign-extend
            return .int(Int64(bitPattern: v))
        }
        return .bigInt(b)
    }

    // MARK: calls on allowed globals

    func intArg(_ n: Node, _ what: String, _ pos: Int) throws -> Int {
        guard case let .leaf(.int(v)) = n, let i = Int(exactly: v), i >= 0 else {
            throw fail("expected a non-negative integer for \(what)", at: pos)
        }
        return i
    }

    func intTuple(_ n: Node, _ what: String, _ pos: Int) throws -> [Int] {
        guard case let .tuple(items) = n else { throw fail("expected a tuple of integers for \(what)", at: pos) }
        return try items.map { try intArg($0, what, pos) }
    }

    /// Describes what a tensor constructor received when it was not the data it needs, naming any opaque global.
    func refusal(_ n: Node, _ expected: String, _ pos: Int) -> CheckpointError {
        switch n {
        case let .object(o): return fail(.refusedGlobal, "refused global \(o.module).\(o.name): found where \(expected) was expected (never executed)", at: pos)
        case let .leaf(.global(m, nm)): return fail(.refusedGlobal, "refused global \(m).\(nm): found where \(expected) was expected (never executed)", at: pos)
        default: return fail("expected \(expected)", at: pos)
        }
    }

    func numpyModule(_ m: String, _ sub: String) -> Bool { m == "numpy.core.\(sub)" || m == "numpy._core.\(sub)" }

    mutating func call(_ callable: Node, _ args: [Node], _ pos: Int) throws -> Node {
        guard case let .leaf(.global(module, name)) = callable else {
            if case let .object(o) = callable { throw refusal(.object(o), "a callable", pos) }
            throw fail("expected a global to call, found another value", at: pos)
        }
        switch (module, name) {
        case ("collections", "OrderedDict"), ("builtins", "dict"), ("__builtin__", "dict"):
            let d = DictRef()
            if let first = args.first {
                // OrderedDict([(k, v), ...])
                guard case let .list(l) = first else { throw fail("expected OrderedDict() or OrderedDict(list of pairs)", at: pos) }
                for item in l.items {
                    guard case let .tuple(kv) = item, kv.count == 2 else { throw fail("expected (key, value) pairs", at: pos) }
                    d.pairs.append((kv[0], kv[1]))
                }
            }
            return .dict(d)
        case ("torch._utils", "_rebuild_tensor_v2"), ("torch._utils", "_rebuild_tensor"):
            guard args.count >= 4 else { throw fail("expected (storage, offset, size, stride, ...) for \(name)", at: pos) }
            guard case let .leaf(.storage(s)) = args[0] else { throw refusal(args[0], "a tensor storage", pos) }
            let size = try intTuple(args[2], "tensor size", pos)
            let stride = try intTuple(args[3], "tensor stride", pos)
            guard size.count == stride.count else { throw fail("expected size and stride of equal rank, found \(size) and \(stride)", at: pos) }
            return .tensor(TensorRef(storage: s, offset: try intArg(args[1], "storage offset", pos), size: size, stride: stride))
        case ("torch._utils", "_rebuild_parameter"), ("torch._utils", "_rebuild_parameter_with_state"):
            guard let data = args.first, case .tensor = data else { throw refusal(args.first ?? .leaf(.none), "a tensor for \(name)", pos) }
            return data
        case _ where numpyModule(module, "multiarray") && name == "_reconstruct":
            return .object(ObjRef(module: module, name: name, args: args, role: .ndarray))
        case ("numpy", "dtype"):
            guard case let .leaf(.string(code)) = args.first ?? .leaf(.none) else { throw fail("expected numpy.dtype(code, ...)", at: pos) }
            return .object(ObjRef(module: module, name: name, args: args, role: .dtype(code: code)))
        case _ where numpyModule(module, "multiarray") && name == "scalar":
            guard args.count == 2, case let .leaf(.bytes(raw)) = args[1] else { throw fail("expected numpy scalar(dtype, bytes)", at: pos) }
            let dt = try numpyDType(args[0], pos)
            guard raw.count == dt.byteSize else { throw fail("expected \(dt.byteSize) bytes for a numpy \(dt.rawValue) scalar, found \(raw.count)", at: pos) }
            return .leaf(.ndarray(StoredTensor(name: "", dtype: dt, shape: [], data: Data(raw))))
        case _ where numpyModule(module, "numeric") && name == "_frombuffer":
            guard args.count == 4, case let .leaf(.bytes(raw)) = args[0] else { throw fail("expected _frombuffer(bytes, dtype, shape, order)", at: pos) }
            let dt = try numpyDType(args[1], pos)
            let shape = try intTuple(args[2], "ndarray shape", pos)
            guard case let .leaf(.string(order)) = args[3], order == "C" || shape.count <= 1 else {
                throw fail(.unsupported, "expected a C-order numpy array, found Fortran order", at: pos)
            }
            let t = StoredTensor(name: "", dtype: dt, shape: shape, data: Data(raw))
            try t.checkSize(file: file)
            return .leaf(.ndarray(t))
        case ("_codecs", "encode"):
            // Protocol-2 pickles written by Python 3 spell `bytes` as _codecs.encode(text, 'latin1').
            guard args.count == 2, case let .leaf(.string(text)) = args[0], case let .leaf(.string(enc)) = args[1],
                  enc == "latin1" || enc == "latin-1" else { throw fail("expected _codecs.encode(str, 'latin1')", at: pos) }
            var out = Data(capacity: text.unicodeScalars.count)
            for u in text.unicodeScalars {
                guard u.value <= 0xFF else { throw fail("expected latin-1 text in _codecs.encode", at: pos) }
                out.append(UInt8(u.value))
            }
            return .leaf(.bytes(out))
        default:
            // Not on the allow-list: keep an inert placeholder. Nothing is looked up or run.
            return .object(ObjRef(module: module, name: name, args: args, role: .opaque))
        }
    }

    func numpyDType(_ n: Node, _ pos: Int) throws -> DType {
        guard case let .object(o) = n, case let .dtype(code) = o.role else { throw refusal(n, "a numpy dtype", pos) }
        guard let dt = DType.fromNumpyCode(code) else {
            throw fail(.unsupportedDType, "expected numpy dtype f8/f4/f2/i8/i4/i2/i1/u1/b1, found '\(code)'", at: pos)
        }
        guard o.byteOrder != ">" || dt.byteSize == 1 else {
            throw fail(.unsupportedDType, "expected little-endian numpy data, found big-endian '\(code)'", at: pos)
        }
        return dt
    }

    mutating func build(_ target: Node, state: Node, _ pos: Int) throws {
        switch target {
        case let .dict(d):
            d.attributes = state  // OrderedDict instance __dict__, e.g. a state dict's `_metadata`
        case let .object(o):
            switch o.role {
            case .opaque:
                o.state = state
            case .dtype:
                // numpy dtype state: (version, byteorder, subarray, names, fields, elsize, alignment, flags)
                if case let .tuple(s) = state, s.count > 1, case let .leaf(.string(bo)) = s[1], let c = bo.first { o.byteOrder = c }
            case .ndarray:
                // ndarray state: (version, shape, dtype, is_fortran, raw bytes)
                guard case let .tuple(s) = state, s.count == 5 else { throw fail("expected a 5-tuple ndarray state", at: pos) }
                let shape = try intTuple(s[1], "ndarray shape", pos)
                let dt = try numpyDType(s[2], pos)
                if case let .leaf(.bool(fortran)) = s[3], fortran, shape.filter({ $0 > 1 }).count > 1 {
                    throw fail(.unsupported, "expected a C-order numpy array, found Fortran order \(shape)", at: pos)
                }
                guard case let .leaf(.bytes(raw)) = s[4] else { throw fail(.unsupportedDType, "expected raw array bytes (object arrays are not supported)", at: pos) }
                let t = StoredTensor(name: "", dtype: dt, shape: shape, data: Data(raw))
                try t.checkSize(file: file)
                o.resolved = .ndarray(t)
            }
        case .tensor:
            break  // tensor attribute state (e.g. requires_grad extras) carries no data
        default:
            throw fail("expected an object, dict or tensor as BUILD target", at: pos)
        }
    }

    // MARK: finishing

    /// Converts the VM's node graph to a PickleValue tree, materialising tensors through `resolve`
    /// (storage -> bytes). A depth limit guards against self-referencing (cyclic) pickles.
    func finish(_ n: Node, depth: Int, resolve: (TorchStorageRef) throws -> Data) throws -> PickleValue {
        guard depth < 200 else { throw CheckpointError(.malformed, file: file, "pickle: expected at most 200 levels of nesting (cyclic pickle?)") }
        budget.left -= 1
        guard budget.left >= 0 else { throw CheckpointError(.malformed, file: file, "pickle: expected at most 20M values, found more (self-referencing memo expansion?)") }
        switch n {
        case let .leaf(v): return v
        case let .tuple(items): return .tuple(try items.map { try finish($0, depth: depth + 1, resolve: resolve) })
        case let .list(l): return .list(try l.items.map { try finish($0, depth: depth + 1, resolve: resolve) })
        case let .dict(d):
            return .dict(try d.pairs.map { (key: try finish($0.0, depth: depth + 1, resolve: resolve), value: try finish($0.1, depth: depth + 1, resolve: resolve)) })
        case let .object(o):
            if let v = o.resolved { return v }
            if case .dtype(let code) = o.role { return .object(module: o.module, name: o.name, args: [.string(code)], state: nil) }
            return .object(module: o.module, name: o.name, args: try o.args.map { try finish($0, depth: depth + 1, resolve: resolve) },
                           state: try o.state.map { try finish($0, depth: depth + 1, resolve: resolve) })
        case let .tensor(t):
            return .tensor(try materialize(t, storage: try resolve(t.storage), file: file))
        }
    }
}

/// Copies a (possibly strided, offset) view of a storage into a C-contiguous tensor; views that
/// already are contiguous are sliced without copying. Every index is bounds-checked first.
func materialize(_ t: TensorRef, storage: Data, file: String) throws -> StoredTensor {
    let es = t.storage.dtype.byteSize
    let storageCount = storage.count / es
    var n = 1
    var maxIndex = t.offset
    for (s, st) in zip(t.size, t.stride) {
        let (m, o1) = n.multipliedReportingOverflow(by: s)
        guard !o1 else { throw CheckpointError(.malformed, file: file, "tensor size \(t.size) overflows") }
        n = m
        if s > 0 {
            let (span, o2) = (s - 1).multipliedReportingOverflow(by: st)
            let (mi, o3) = maxIndex.addingReportingOverflow(span)
            guard !o2, !o3 else { throw CheckpointError(.malformed, file: file, "tensor strides \(t.stride) overflow") }
            maxIndex = mi
        }
    }
    let dt = t.storage.dtype
    if n == 0 { return StoredTensor(name: "", dtype: dt, shape: t.size, data: Data()) }
    guard maxIndex < storageCount else {
        throw CheckpointError(.offsetsOutOfRange, file: file,
                              "tensor view (offset \(t.offset), size \(t.size), stride \(t.stride)) expected within storage '\(t.storage.key)' of \(storageCount) elements, found element \(maxIndex) needed")
    }
    // Contiguous when each stride equals the product of the later sizes (size-1 dims may have any stride).
    var expected = 1
    var contiguous = true
    for (s, st) in zip(t.size, t.stride).reversed() {
        if s != 1, st != expected { contiguous = false; break }
        expected *= s
    }
    if contiguous {
        let start = storage.startIndex + t.offset * es
        return StoredTensor(name: "", dtype: dt, shape: t.size, data: storage[start..<(start + n * es)])
    }
    var out = Data(count: n * es)
    let rank = t.size.count
    out.withUnsafeMutableBytes { (dst: UnsafeMutableRawBufferPointer) in
        storage.withUnsafeBytes { (src: UnsafeRawBufferPointer) in
            var idx = [Int](repeating: 0, count: rank)
            var srcIndex = t.offset
            for i in 0..<n {
                (dst.baseAddress! + i * es).copyMemory(from: src.baseAddress! + srcIndex * es, byteCount: es)
                // Odometer increment over the C-order index, updating the source offset incrementally.
                var k = rank - 1
                while k >= 0 {
                    idx[k] += 1
                    srcIndex += t.stride[k]
                    if idx[k] < t.size[k] { break }
                    srcIndex -= t.stride[k] * t.size[k]
                    idx[k] = 0
                    k -= 1
                }
            }
        }
    }
    return StoredTensor(name: "", dtype: dt, shape: t.size, data: out)
}

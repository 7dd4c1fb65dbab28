import Foundation

/// Reads and writes numpy `.npy` arrays (format versions 1–3, C order, little-endian).
public enum Npy {
    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // "\x93NUMPY"

    /// Parses one `.npy` image. `name` becomes the tensor's name; `file` is used in errors.
    public static func read(_ data: Data, name: String, file: String) throws -> StoredTensor {
        var r = ByteReader(data, file: file)
        let m = try r.bytes(6, "npy magic")
        guard Array(m) == magic else {
            throw CheckpointError(.badMagic, file: file, "expected npy magic 93 4e 55 4d 50 59 (\\x93NUMPY), found \(data.hexPrefix(6))")
        }
        let major = try r.u8("npy version")
        _ = try r.u8("npy version")
        let headerLength: Int
        switch major {
        case 1: headerLength = Int(try r.u16("npy v1 header length"))
        case 2, 3: headerLength = Int(try r.u32("npy v2 header length"))
        default: throw CheckpointError(.unsupported, file: file, "expected npy format version 1, 2 or 3, found \(major)")
        }
        let headerBytes = [UInt8](try r.bytes(headerLength, "npy header"))
        let header = try PyLiteral.parse(headerBytes, file: file)
        guard case let .dict(items) = header else {
            throw CheckpointError(.badHeader, file: file, "npy header: expected a dict, found \(header)")
        }
        func field(_ k: String) throws -> PyLiteral {
            guard let v = items.first(where: { $0.0 == k })?.1 else {
                throw CheckpointError(.badHeader, file: file, "npy header: expected key '\(k)', found keys \(items.map { $0.0 })")
            }
            return v
        }
        guard case let .string(descr) = try field("descr") else {
            throw CheckpointError(.unsupportedDType, file: file, "npy header: expected a simple descr string like '<f4', found a structured dtype")
        }
        let dtype = try dtypeFromDescr(descr, file: file)
        guard case let .bool(fortran) = try field("fortran_order") else {
            throw CheckpointError(.badHeader, file: file, "npy header: expected fortran_order True/False")
        }
        guard !fortran else {
            throw CheckpointError(.unsupported, file: file,
                                  "expected fortran_order False (C order), found True; re-save with np.save(path, np.ascontiguousarray(a))")
        }
        guard case let .tuple(dims) = try field("shape") else {
            throw CheckpointError(.badHeader, file: file, "npy header: expected shape tuple")
        }
        var shape: [Int] = []
        for d in dims {
            guard case let .int(v) = d, v >= 0 else { throw CheckpointError(.badHeader, file: file, "npy header: expected non-negative dimensions, found \(dims)") }
            shape.append(v)
        }
        var count = 1
        for s in shape {
            let (m, o) = count.multipliedReportingOverflow(by: s)
            guard !o else { throw CheckpointError(.badHeader, file: file, "npy header: shape \(shape) overflows") }
            count = m
        }
        let (nbytes, o) = count.multipliedReportingOverflow(by: dtype.byteSize)
        guard !o else { throw CheckpointError(.badHeader, file: file, "npy header: shape \(shape) overflows") }
        let body = try r.bytes(nbytes, "array data for \(dtype.rawValue)\(shape)")
        return StoredTensor(name: name, dtype: dtype, shape: shape, data: body)
    }

    static func dtypeFromDescr(_ descr: String, file: String) throws -> DType {
        guard let order = descr.first, "<|=>".contains(order) else {
            throw CheckpointError(.unsupportedDType, file: file, "expected a numpy descr like '<f4', found '\(descr)'")
        }
        let code = String(descr.dropFirst())
        guard let dt = DType.fromNumpyCode(code) else {
            throw CheckpointError(.unsupportedDType, file: file,
                                  "expected one of <f8 <f4 <f2 <i8 <i4 <i2 |i1 |u1 |b1, found '\(descr)'")
        }
        // '>' is big-endian; '=' is native, which is little on every platform we run on.
        guard order != ">" || dt.byteSize == 1 else {
            throw CheckpointError(.unsupportedDType, file: file, "expected little-endian data, found big-endian descr '\(descr)'")
        }
        return dt
    }

    /// The `.npy` bytes for `tensor`: version 1 unless the header needs more than 65535 bytes, data 64-byte aligned.
    public static func encode(_ tensor: StoredTensor, file: String = "<memory>") throws -> Data {
        try tensor.checkSize(file: file)
        guard let descr = tensor.dtype.npyDescr else {
            throw CheckpointError(.unsupportedDType, file: file, "tensor '\(tensor.name)': npy has no \(tensor.dtype.rawValue) type; convert to F32 first")
        }
        let shape: String
        switch tensor.shape.count {
        case 0: shape = "()"
        case 1: shape = "(\(tensor.shape[0]),)"
        default: shape = "(" + tensor.shape.map(String.init).joined(separator: ", ") + ")"
        }
        let dict = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shape), }"
        var version: UInt8 = 1
        var prefix = 10
        var total = prefix + dict.utf8.count + 1
        if total + ((64 - total % 64) % 64) - prefix > 65535 {
            version = 2
            prefix = 12
            total = prefix + dict.utf8.count + 1
        }
        total += (64 - total % 64) % 64
        let headerLength = total - prefix
        var out = Data(magic)
        out.append(contentsOf: [version, 0])
        if version == 1 {
            out.append(contentsOf: [UInt8(headerLength & 0xFF), UInt8(headerLength >> 8)])
        } else {
            out.append(contentsOf: (0..<4).map { UInt8((headerLength >> (8 * $0)) & 0xFF) })
        }
        out.append(contentsOf: Array(dict.utf8))
        out.append(contentsOf: [UInt8](repeating: 0x20, count: headerLength - dict.utf8.count - 1))
        out.append(0x0A)
        out.append(tensor.data)
        return out
    }

    /// Writes one tensor as a `.npy` file.
    public static func write(_ tensor: StoredTensor, to url: URL) throws {
        let bytes = try encode(tensor, file: url.path)
        do { try bytes.write(to: url, options: .atomic) } catch {
            throw CheckpointError(.io, file: url.path, "could not write npy: \(error)")
        }
    }

    /// Reads a `.npy` file; the tensor is named after the file without its extension.
    public static func load(_ url: URL) throws -> StoredTensor {
        let data = try readFile(url)
        return try read(data, name: url.deletingPathExtension().lastPathComponent, file: url.path)
    }
}

/// Maps a file into memory (so multi-GB checkpoints are paged in lazily), turning failures into CheckpointError.
func readFile(_ url: URL) throws -> Data {
    do { return try Data(contentsOf: url, options: .alwaysMapped) } catch {
        throw CheckpointError(.io, file: url.path, "could not read file: \(error.localizedDescription)")
    }
}

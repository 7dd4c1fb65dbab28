import Foundation

/// Reads and writes Hugging Face `.safetensors` files: u64 LE header length, JSON header, raw data.
public enum Safetensors {
    /// Header sizes above this are refused, like the reference implementation, so a hostile length
    /// cannot make us parse gigabytes of JSON.
    static let maxHeaderBytes = 100_000_000

    /// Loads a file memory-mapped; tensor data are slices of the mapping (nothing is copied up front).
    public static func load(_ url: URL) throws -> Checkpoint {
        try read(readFile(url), file: url.path)
    }

    /// Parses a safetensors image, validating that every tensor's offsets are in bounds, match its
    /// shape and dtype, and that tensors tile the data section contiguously from 0 without gaps.
    public static func read(_ data: Data, file: String) throws -> Checkpoint {
        var r = ByteReader(data, file: file)
        let n64 = try r.u64("safetensors header length")
        guard n64 <= UInt64(maxHeaderBytes), Int(n64) <= r.remaining else {
            throw CheckpointError(.truncated, file: file,
                                  "expected a JSON header of \(n64) bytes after the 8-byte length, found \(r.remaining) bytes in the file")
        }
        let headerData = try r.bytes(Int(n64), "safetensors header")
        let dataStart = r.offset
        let dataSize = data.count - dataStart
        let json: Any
        do { json = try JSONSerialization.jsonObject(with: Data(headerData)) } catch {
            throw CheckpointError(.badHeader, file: file, "expected a JSON object header, found invalid JSON (\(error.localizedDescription))")
        }
        guard let dict = json as? [String: Any] else {
            throw CheckpointError(.badHeader, file: file, "expected a JSON object header, found \(type(of: json))")
        }
        var ckpt = Checkpoint(format: .safetensors, file: file)
        var entries: [(name: String, dtype: DType, shape: [Int], begin: Int, end: Int)] = []
        for (name, value) in dict {
            if name == "__metadata__" {
                guard let meta = value as? [String: Any] else {
                    throw CheckpointError(.badHeader, file: file, "expected __metadata__ to be an object of strings")
                }
                for (k, v) in meta { ckpt.metadata[k] = (v as? String) ?? "\(v)" }
                continue
            }
            guard let info = value as? [String: Any], let dtName = info["dtype"] as? String,
                  let shapeAny = info["shape"] as? [Any], let offAny = info["data_offsets"] as? [Any] else {
                throw CheckpointError(.badHeader, file: file, "tensor '\(name)': expected {dtype, shape, data_offsets}, found \(value)")
            }
            guard let dtype = DType(rawValue: dtName) else {
                throw CheckpointError(.unsupportedDType, file: file,
                                      "tensor '\(name)': expected one of \(DType.allCases.map(\.rawValue)), found \(dtName)")
            }
            let shape = try shapeAny.map { try jsonInt($0, file: file, what: "tensor '\(name)' shape") }
            let offs = try offAny.map { try jsonInt($0, file: file, what: "tensor '\(name)' data_offsets") }
            guard offs.count == 2 else {
                throw CheckpointError(.badHeader, file: file, "tensor '\(name)': expected 2 data_offsets, found \(offs.count)")
            }
            entries.append((name, dtype, shape, offs[0], offs[1]))
        }
        entries.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var expectedBegin = 0
        for e in entries {
            guard e.begin == expectedBegin, e.end >= e.begin, e.end <= dataSize else {
                throw CheckpointError(.offsetsOutOfRange, file: file,
                                      "tensor '\(e.name)': expected data_offsets starting at \(expectedBegin) within \(dataSize) data bytes, found [\(e.begin), \(e.end)]")
            }
            var count = 1
            for s in e.shape {
                let (m, o) = count.multipliedReportingOverflow(by: s)
                guard !o else { throw CheckpointError(.badHeader, file: file, "tensor '\(e.name)': shape \(e.shape) overflows") }
                count = m
            }
            let (nbytes, o) = count.multipliedReportingOverflow(by: e.dtype.byteSize)
            guard !o, nbytes == e.end - e.begin else {
                throw CheckpointError(.offsetsOutOfRange, file: file,
                                      "tensor '\(e.name)': expected \(count) x \(e.dtype.byteSize) bytes for \(e.dtype.rawValue)\(e.shape), found data_offsets spanning \(e.end - e.begin)")
            }
            expectedBegin = e.end
            let start = data.startIndex + dataStart + e.begin
            try ckpt.add(StoredTensor(name: e.name, dtype: e.dtype, shape: e.shape, data: data[start..<(start + nbytes)]))
        }
        guard expectedBegin == dataSize else {
            throw CheckpointError(.offsetsOutOfRange, file: file,
                                  "expected tensors to cover all \(dataSize) data bytes, found \(dataSize - expectedBegin) trailing bytes")
        }
        return ckpt
    }

    static func jsonInt(_ v: Any, file: String, what: String) throws -> Int {
        if let i = v as? Int, i >= 0 { return i }
        if let d = v as? Double, let i = Int(exactly: d), i >= 0 { return i }
        throw CheckpointError(.badHeader, file: file, "\(what): expected non-negative integers, found \(v)")
    }

    /// The file image: header JSON (tensors ordered by descending alignment, then name, as the reference
    /// writer does so every tensor stays aligned to its element size), padded with spaces to 8 bytes.
    public static func encode(_ tensors: [StoredTensor], metadata: [String: String] = [:], file: String = "<memory>") throws -> Data {
        var seen = Set<String>()
        for t in tensors {
            try t.checkSize(file: file)
            guard seen.insert(t.name).inserted else {
                throw CheckpointError(.malformed, file: file, "duplicate tensor name '\(t.name)'")
            }
        }
        let ordered = tensors.sorted { ($0.dtype.byteSize, $1.name) > ($1.dtype.byteSize, $0.name) }
        var parts: [String] = []
        if !metadata.isEmpty {
            let kv = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0] ?? ""))" }
            parts.append("\"__metadata__\":{" + kv.joined(separator: ",") + "}")
        }
        var offset = 0
        for t in ordered {
            let end = offset + t.data.count
            parts.append("\(jsonString(t.name)):{\"dtype\":\"\(t.dtype.rawValue)\",\"shape\":[\(t.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        var header = Array(("{" + parts.joined(separator: ",") + "}").utf8)
        header.append(contentsOf: [UInt8](repeating: 0x20, count: (8 - header.count % 8) % 8))
        var out = Data()
        out.reserveCapacity(8 + header.count + offset)
        let n = UInt64(header.count)
        out.append(contentsOf: (0..<8).map { UInt8((n >> (8 * UInt64($0))) & 0xFF) })
        out.append(contentsOf: header)
        for t in ordered { out.append(t.data) }
        return out
    }

    /// Writes a safetensors file.
    public static func write(_ tensors: [StoredTensor], metadata: [String: String] = [:], to url: URL) throws {
        let bytes = try encode(tensors, metadata: metadata, file: url.path)
        do { try bytes.write(to: url, options: .atomic) } catch {
            throw CheckpointError(.io, file: url.path, "could not write safetensors: \(error)")
        }
    }

    static func jsonString(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }
}

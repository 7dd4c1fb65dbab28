import Foundation

/// One named tensor as stored in a file: element type, shape and raw little-endian C-order bytes.
public struct StoredTensor: Sendable {
    public var name: String
    public var dtype: DType
    public var shape: [Int]
    /// Raw bytes, C order, little-endian. May be a slice of a memory-mapped file (indices need not start at 0).
    public var data: Data

    public init(name: String, dtype: DType, shape: [Int], data: Data) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.data = data
    }

    /// Float32 tensor from values; the convenience the writers' callers use most.
    public init(name: String, shape: [Int], floats: [Float]) {
        self.init(name: name, dtype: .f32, shape: shape, data: floats.withUnsafeBytes { Data($0) })
    }

    /// Tensor of `dtype` from float values, rounding to f16/bf16 (nearest-even) or truncating to integers.
    public init(name: String, dtype: DType, shape: [Int], converting values: [Float]) {
        var d = Data(count: values.count * dtype.byteSize)
        d.withUnsafeMutableBytes { raw in
            for (i, v) in values.enumerated() {
                let o = i * dtype.byteSize
                switch dtype {
                case .f32: raw.storeBytes(of: v.bitPattern.littleEndian, toByteOffset: o, as: UInt32.self)
                case .f64: raw.storeBytes(of: Double(v).bitPattern.littleEndian, toByteOffset: o, as: UInt64.self)
                case .f16: raw.storeBytes(of: halfBitsFromFloat(v).littleEndian, toByteOffset: o, as: UInt16.self)
                case .bf16: raw.storeBytes(of: bf16BitsFromFloat(v).littleEndian, toByteOffset: o, as: UInt16.self)
                case .i64: raw.storeBytes(of: Int64(v).littleEndian, toByteOffset: o, as: Int64.self)
                case .i32: raw.storeBytes(of: Int32(v).littleEndian, toByteOffset: o, as: Int32.self)
                case .i16: raw.storeBytes(of: Int16(v).littleEndian, toByteOffset: o, as: Int16.self)
                case .i8: raw.storeBytes(of: Int8(v), toByteOffset: o, as: Int8.self)
                case .u8: raw.storeBytes(of: UInt8(v), toByteOffset: o, as: UInt8.self)
                case .bool: raw.storeBytes(of: UInt8(v != 0 ? 1 : 0), toByteOffset: o, as: UInt8.self)
                }
            }
        }
        self.init(name: name, dtype: dtype, shape: shape, data: d)
    }

    /// Int64 tensor from values.
    public init(name: String, shape: [Int], int64s: [Int64]) {
        self.init(name: name, dtype: .i64, shape: shape, data: int64s.map { $0.littleEndian }.withUnsafeBytes { Data($0) })
    }

    /// Number of elements (1 for a scalar, 0 if any dimension is 0).
    public var elementCount: Int { shape.reduce(1, *) }

    /// Checks that the byte count matches shape x element size; every accessor calls it first.
    func checkSize(file: String = "<memory>") throws {
        var n = 1
        for s in shape {
            guard s >= 0 else { throw CheckpointError(.malformed, file: file, "tensor '\(name)': negative dimension in shape \(shape)") }
            let (m, o) = n.multipliedReportingOverflow(by: s)
            guard !o else { throw CheckpointError(.malformed, file: file, "tensor '\(name)': shape \(shape) overflows") }
            n = m
        }
        let (bytes, o) = n.multipliedReportingOverflow(by: dtype.byteSize)
        guard !o, bytes == data.count else {
            throw CheckpointError(.malformed, file: file,
                                  "tensor '\(name)': expected \(n) x \(dtype.byteSize) bytes for \(dtype.rawValue)\(shape), found \(data.count)")
        }
    }

    /// All elements as Float, converting f16/bf16/f64 and integer types (ints above 2^24 lose precision, as in numpy).
    public func floats() throws -> [Float] {
        try checkSize()
        let n = elementCount
        return data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> [Float] in
            [Float](unsafeUninitializedCapacity: n) { out, count in
                switch dtype {
                case .f32:
                    // Bulk copy: the common case for real checkpoints, must be fast.
                    if n > 0 { UnsafeMutableRawPointer(out.baseAddress!).copyMemory(from: raw.baseAddress!, byteCount: n * 4) }
                    #if _endian(big)
                    for i in 0..<n { out[i] = Float(bitPattern: UInt32(littleEndian: out[i].bitPattern)) }
                    #endif
                case .f64:
                    for i in 0..<n { out[i] = Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)))) }
                case .f16:
                    for i in 0..<n { out[i] = floatFromHalfBits(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self))) }
                case .bf16:
                    for i in 0..<n { out[i] = floatFromBF16Bits(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self))) }
                case .i64:
                    for i in 0..<n { out[i] = Float(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: i * 8, as: Int64.self))) }
                case .i32:
                    for i in 0..<n { out[i] = Float(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: Int32.self))) }
                case .i16:
                    for i in 0..<n { out[i] = Float(Int16(littleEndian: raw.loadUnaligned(fromByteOffset: i * 2, as: Int16.self))) }
                case .i8:
                    for i in 0..<n { out[i] = Float(Int8(bitPattern: raw[i])) }
                case .u8:
                    for i in 0..<n { out[i] = Float(raw[i]) }
                case .bool:
                    for i in 0..<n { out[i] = raw[i] != 0 ? 1 : 0 }
                }
                count = n
            }
        }
    }

    /// All elements as Float64 (exact for every supported type except very large int64s).
    public func doubles() throws -> [Double] {
        if dtype == .f64 {
            try checkSize()
            return data.withUnsafeBytes { raw in
                (0..<elementCount).map { Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self))) }
            }
        }
        if dtype.isFloatingPoint { return try floats().map(Double.init) }
        return try int64s().map(Double.init)
    }

    /// All elements as Int64; only for integer and bool tensors (floats are refused rather than silently truncated).
    public func int64s() throws -> [Int64] {
        try checkSize()
        guard !dtype.isFloatingPoint else {
            throw CheckpointError(.unsupportedDType, file: "<memory>", "tensor '\(name)': expected an integer dtype for int64s(), found \(dtype.rawValue)")
        }
        let n = elementCount
        return data.withUnsafeBytes { raw in
            (0..<n).map { i -> Int64 in
                switch dtype {
                case .i64: return Int64(littleEndian: raw.loadUnaligned(fromByteOffset: i * 8, as: Int64.self))
                case .i32: return Int64(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: Int32.self)))
                case .i16: return Int64(Int16(littleEndian: raw.loadUnaligned(fromByteOffset: i * 2, as: Int16.self)))
                case .i8: return Int64(Int8(bitPattern: raw[i]))
                case .u8: return Int64(raw[i])
                case .bool: return raw[i] != 0 ? 1 : 0
                default: return 0
                }
            }
        }
    }
}

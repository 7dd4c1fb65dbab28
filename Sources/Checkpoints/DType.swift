/// Element type of a stored tensor, named like safetensors does (F32, BF16, I64, BOOL...).
public enum DType: String, CaseIterable, Sendable, Comparable {
    case f64 = "F64", f32 = "F32", f16 = "F16", bf16 = "BF16"
    case i64 = "I64", i32 = "I32", i16 = "I16", i8 = "I8", u8 = "U8", bool = "BOOL"

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .f64, .i64: return 8
        case .f32, .i32: return 4
        case .f16, .bf16, .i16: return 2
        case .i8, .u8, .bool: return 1
        }
    }

    public var isFloatingPoint: Bool { self == .f64 || self == .f32 || self == .f16 || self == .bf16 }

    /// numpy `descr` (little-endian) for this type; nil for bf16, which numpy has no name for.
    public var npyDescr: String? {
        switch self {
        case .f64: return "<f8"
        case .f32: return "<f4"
        case .f16: return "<f2"
        case .bf16: return nil
        case .i64: return "<i8"
        case .i32: return "<i4"
        case .i16: return "<i2"
        case .i8: return "|i1"
        case .u8: return "|u1"
        case .bool: return "|b1"
        }
    }

    /// Maps a numpy type code without its byte-order character ("f4", "u1", "b1"...).
    static func fromNumpyCode(_ code: String) -> DType? {
        switch code {
        case "f8": return .f64
        case "f4": return .f32
        case "f2", "e": return .f16
        case "i8": return .i64
        case "i4": return .i32
        case "i2": return .i16
        case "i1", "b": return .i8
        case "u1", "B": return .u8
        case "b1", "?": return .bool
        default: return nil
        }
    }

    /// Maps a torch typed-storage class name (`FloatStorage`...) to its element type.
    static func fromTorchStorage(_ name: String) -> DType? {
        switch name {
        case "FloatStorage": return .f32
        case "HalfStorage": return .f16
        case "BFloat16Storage": return .bf16
        case "DoubleStorage": return .f64
        case "LongStorage": return .i64
        case "IntStorage": return .i32
        case "ShortStorage": return .i16
        case "CharStorage": return .i8
        case "ByteStorage": return .u8
        case "BoolStorage": return .bool
        default: return nil
        }
    }

    public static func < (a: DType, b: DType) -> Bool { a.rawValue < b.rawValue }
}

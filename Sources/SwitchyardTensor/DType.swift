import CKernels

/// An element type of checkpoint tensors. Raw values are the safetensors header spellings.
///
/// Compute is always f32; BF16 and F16 exist so checkpoints stored in them load (converted once,
/// at load time) and so `init-model` can write them. U8 holds packed data read byte by byte (the
/// MXFP4 `*_blocks` and `*_scales` of gpt-oss experts); converted to f32 it gives the byte values.
public enum DType: String, Sendable, CaseIterable {
    case f32 = "F32"
    case bf16 = "BF16"
    case f16 = "F16"
    case u8 = "U8"

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .f32: 4
        case .bf16, .f16: 2
        case .u8: 1
        }
    }

    /// The PyTorch / transformers name (`config.json`'s `dtype` / `torch_dtype`).
    public var torchName: String {
        switch self {
        case .f32: "float32"
        case .bf16: "bfloat16"
        case .f16: "float16"
        case .u8: "uint8"
        }
    }

    /// Parses a transformers `dtype` name ("float32", "bfloat16", "float16"; "fp32"/"bf16"/"fp16"/"f32"/"f16" too).
    public init?(torchName: String) {
        switch torchName.lowercased() {
        case "float32", "fp32", "f32", "float": self = .f32
        case "bfloat16", "bf16": self = .bf16
        case "float16", "fp16", "f16", "half": self = .f16
        default: return nil
        }
    }
}

/// Conversions between f32 and the 16-bit storage types, in tight loops over raw buffers.
///
/// Sources are raw bytes because tensor data in a memory-mapped safetensors file need not be
/// aligned for its element type; every load is `loadUnaligned`, little-endian (the only byte order
/// safetensors and Switchyard's wire format use).
public enum DTypeConversion {
    /// Widens `count` bfloat16 values at `src` to f32 (exact).
    public static func bf16ToF32(_ src: UnsafeRawBufferPointer, _ dst: UnsafeMutablePointer<Float>, count: Int) {
        precondition(src.count >= count * 2, "bf16 source holds \(src.count / 2) values, need \(count)")
        guard count > 0, let base = src.baseAddress else { return }
        sy_bf16_to_f32_rows(base, dst, count)
    }

    /// Widens `count` IEEE half values at `src` to f32 (exact, including subnormals, infinities, NaN).
    public static func f16ToF32(_ src: UnsafeRawBufferPointer, _ dst: UnsafeMutablePointer<Float>, count: Int) {
        precondition(src.count >= count * 2, "f16 source holds \(src.count / 2) values, need \(count)")
        guard count > 0, let base = src.baseAddress else { return }
        for i in 0..<count {
            let bits = UInt16(littleEndian: base.loadUnaligned(fromByteOffset: i &* 2, as: UInt16.self))
            dst[i] = halfBitsToFloat(bits)
        }
    }

    /// Copies `count` little-endian f32 values at `src` (any alignment) to `dst`.
    public static func f32ToF32(_ src: UnsafeRawBufferPointer, _ dst: UnsafeMutablePointer<Float>, count: Int) {
        precondition(src.count >= count * 4, "f32 source holds \(src.count / 4) values, need \(count)")
        guard count > 0, let base = src.baseAddress else { return }
        UnsafeMutableRawPointer(dst).copyMemory(from: base, byteCount: count * 4)
    }

    /// Converts `count` values stored as `dtype` at `src` to f32 at `dst`.
    public static func toF32(_ dtype: DType, _ src: UnsafeRawBufferPointer, _ dst: UnsafeMutablePointer<Float>, count: Int) {
        switch dtype {
        case .f32: f32ToF32(src, dst, count: count)
        case .bf16: bf16ToF32(src, dst, count: count)
        case .f16: f16ToF32(src, dst, count: count)
        case .u8:
            precondition(src.count >= count, "u8 source holds \(src.count) values, need \(count)")
            for i in 0..<count { dst[i] = Float(src[i]) }
        }
    }

    /// Narrows `count` f32 values to bfloat16 at `dst` with round-to-nearest-even; NaN stays NaN
    /// (the bits of ``floatToBF16Bits(_:)``, vectorized). `dst` may be `src` itself: value `i` then
    /// moves to bytes `2i ..< 2i + 2` (narrowing in place); no other overlap is allowed.
    public static func f32ToBF16(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, count: Int) {
        guard count > 0 else { return }
        sy_f32_to_bf16_rows(src, dst, count)
    }

    /// `dst[i] += value i` for `count` little-endian bfloat16 values at `src` (which may be unaligned).
    public static func addBF16(_ src: UnsafeRawPointer, into dst: UnsafeMutablePointer<Float>, count: Int) {
        guard count > 0 else { return }
        sy_bf16_add_rows(src, dst, count)
    }

    /// `dst[i] += value i` for `count` little-endian f32 values at `src` (which may be unaligned).
    public static func addF32(_ src: UnsafeRawPointer, into dst: UnsafeMutablePointer<Float>, count: Int) {
        guard count > 0 else { return }
        sy_f32_add_rows(src, dst, count)
    }

    /// Narrows `count` f32 values to IEEE half at `dst` with round-to-nearest-even (overflow to infinity).
    public static func f32ToF16(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, count: Int) {
        for i in 0..<count {
            dst.storeBytes(of: floatToHalfBits(src[i]).littleEndian, toByteOffset: i &* 2, as: UInt16.self)
        }
    }

    /// Writes `count` f32 values as `dtype` at `dst` (`count * dtype.byteSize` bytes).
    public static func fromF32(_ dtype: DType, _ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, count: Int) {
        switch dtype {
        case .f32:
            #if _endian(little)
            dst.copyMemory(from: src, byteCount: count * 4)
            #else
            for i in 0..<count {
                dst.storeBytes(of: src[i].bitPattern.littleEndian, toByteOffset: i &* 4, as: UInt32.self)
            }
            #endif
        case .bf16: f32ToBF16(src, dst, count: count)
        case .f16: f32ToF16(src, dst, count: count)
        case .u8:
            for i in 0..<count {
                dst.storeBytes(of: UInt8(max(0, min(255, src[i].rounded()))), toByteOffset: i, as: UInt8.self)
            }
        }
    }

    /// The bfloat16 bit pattern nearest to `value` (ties to even).
    @inline(__always)
    public static func floatToBF16Bits(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(truncatingIfNeeded: bits &>> 16) | 0x0040 }
        let rounding: UInt32 = 0x7FFF &+ ((bits &>> 16) & 1)
        return UInt16(truncatingIfNeeded: (bits &+ rounding) &>> 16)
    }

    /// The f32 value of a bfloat16 bit pattern.
    @inline(__always)
    public static func bf16BitsToFloat(_ bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) &<< 16)
    }

    /// The f32 value of an IEEE half bit pattern.
    @inline(__always)
    public static func halfBitsToFloat(_ bits: UInt16) -> Float {
        let sign = UInt32(bits & 0x8000) &<< 16
        let exponent = UInt32(bits &>> 10) & 0x1F
        let mantissa = UInt32(bits & 0x03FF)
        if exponent == 0x1F {
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa &<< 13))
        }
        if exponent == 0 {
            // Zero or subnormal: mantissa * 2^-24, exact in f32.
            let magnitude = Float(mantissa) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        }
        return Float(bitPattern: sign | ((exponent &+ 112) &<< 23) | (mantissa &<< 13))
    }

    /// The IEEE half bit pattern nearest to `value` (ties to even; too large becomes infinity).
    @inline(__always)
    public static func floatToHalfBits(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        let sign = UInt16(truncatingIfNeeded: (bits &>> 16) & 0x8000)
        let exponent = Int((bits &>> 23) & 0xFF)
        let mantissa = bits & 0x007F_FFFF
        if exponent == 0xFF {
            return sign | 0x7C00 | (mantissa != 0 ? 0x0200 | UInt16(truncatingIfNeeded: mantissa &>> 13) : 0)
        }
        let halfExponent = exponent - 127 + 15
        if halfExponent >= 0x1F { return sign | 0x7C00 }
        if halfExponent <= 0 {
            // Subnormal half (or zero): shift the full significand right, rounding to nearest even.
            if halfExponent < -10 { return sign }
            let significand = mantissa | 0x0080_0000
            let shift = UInt32(14 - halfExponent)
            let half = significand &>> shift
            let remainder = significand & ((1 &<< shift) &- 1)
            let halfway = UInt32(1) &<< (shift &- 1)
            let roundUp = remainder > halfway || (remainder == halfway && (half & 1) == 1)
            return sign | UInt16(truncatingIfNeeded: half &+ (roundUp ? 1 : 0))
        }
        var half = UInt32(halfExponent) &<< 10 | (mantissa &>> 13)
        let remainder = mantissa & 0x1FFF
        if remainder > 0x1000 || (remainder == 0x1000 && (half & 1) == 1) {
            half &+= 1  // may carry into the exponent, up to infinity: correct rounding
        }
        return sign | UInt16(truncatingIfNeeded: half)
    }
}

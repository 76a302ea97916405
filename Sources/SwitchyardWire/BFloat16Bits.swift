/// Conversions between `Float` and the bit pattern of a bfloat16 (the top 16 bits of an f32).
public enum BFloat16Bits {
    /// Widens bfloat16 bits to a `Float` (exact).
    @inline(__always)
    public static func toFloat(_ bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// Narrows a `Float` to bfloat16 bits, rounding to nearest even; NaN stays a (quiet) NaN.
    @inline(__always)
    public static func from(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(truncatingIfNeeded: bits >> 16) | 0x0040 }
        let rounding = UInt32(0x7FFF) + ((bits >> 16) & 1)
        return UInt16(truncatingIfNeeded: (bits &+ rounding) >> 16)
    }
}

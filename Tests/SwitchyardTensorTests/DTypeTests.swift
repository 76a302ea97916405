import Testing
@testable import SwitchyardTensor

@Suite("DType conversions")
struct DTypeTests {
    @Test func byteSizesAndNames() {
        #expect(DType.f32.byteSize == 4)
        #expect(DType.bf16.byteSize == 2)
        #expect(DType.f16.byteSize == 2)
        #expect(DType(rawValue: "BF16") == .bf16)
        #expect(DType(torchName: "bfloat16") == .bf16)
        #expect(DType(torchName: "float16") == .f16)
        #expect(DType(torchName: "float64") == nil)
    }

    @Test func bf16RoundTripIsExactForRepresentableValues() {
        let values: [Float] = [0, -0.0, 1, -2, 0.5, 3.140625, 65536, -1e-3, .infinity, -.infinity, 1e38]
        let bits = values.map(DTypeConversion.floatToBF16Bits)
        let widened = convert(bits, DTypeConversion.bf16ToF32)
        for (value, back) in zip(values, widened) {
            let expected = DTypeConversion.bf16BitsToFloat(DTypeConversion.floatToBF16Bits(value))
            #expect(back.bitPattern == expected.bitPattern)
        }
        #expect(widened[0] == 0 && widened[1].sign == .minus)
        #expect(widened[2] == 1 && widened[3] == -2 && widened[5] == 3.140625 && widened[6] == 65536)
        #expect(widened[8] == .infinity && widened[9] == -.infinity)
    }

    @Test func bf16RoundsToNearestEven() {
        // 1 + 2^-8 is exactly halfway between 1 and 1 + 2^-7: ties to the even mantissa (1).
        #expect(DTypeConversion.floatToBF16Bits(1 + 0x1p-8) == 0x3F80)
        // 1 + 3 * 2^-8 is halfway between 1 + 2^-7 (odd) and 1 + 2^-6 (even): rounds up.
        #expect(DTypeConversion.floatToBF16Bits(1 + 3 * 0x1p-8) == 0x3F82)
        // Just above halfway rounds up.
        #expect(DTypeConversion.floatToBF16Bits(1 + 0x1p-8 + 0x1p-20) == 0x3F81)
        // Largest finite float rounds to infinity in bf16.
        #expect(DTypeConversion.floatToBF16Bits(.greatestFiniteMagnitude) == 0x7F80)
        #expect(DTypeConversion.bf16BitsToFloat(DTypeConversion.floatToBF16Bits(.nan)).isNaN)
    }

    @Test func bf16RelativeErrorIsBounded() {
        var random = SimpleRandom(seed: 7)
        for _ in 0..<10_000 {
            let value = random.nextFloat() * 200 - 100
            let back = DTypeConversion.bf16BitsToFloat(DTypeConversion.floatToBF16Bits(value))
            #expect(abs(back - value) <= abs(value) * 0x1p-8)
        }
    }

    @Test func f16KnownValues() {
        #expect(DTypeConversion.floatToHalfBits(1) == 0x3C00)
        #expect(DTypeConversion.floatToHalfBits(-2) == 0xC000)
        #expect(DTypeConversion.floatToHalfBits(65504) == 0x7BFF)
        #expect(DTypeConversion.floatToHalfBits(65520) == 0x7C00)  // rounds to infinity
        #expect(DTypeConversion.floatToHalfBits(0x1p-24) == 0x0001)  // smallest subnormal
        #expect(DTypeConversion.floatToHalfBits(0x1p-25) == 0x0000)  // halfway to zero: ties to even
        #expect(DTypeConversion.floatToHalfBits(0x1p-25 * 1.5) == 0x0001)
        #expect(DTypeConversion.floatToHalfBits(0x1p-14) == 0x0400)  // smallest normal
        #expect(DTypeConversion.floatToHalfBits(1 + 0x1p-11) == 0x3C00)  // tie to even
        #expect(DTypeConversion.floatToHalfBits(1 + 3 * 0x1p-11) == 0x3C02)
        #expect(DTypeConversion.halfBitsToFloat(0x0001) == 0x1p-24)
        #expect(DTypeConversion.halfBitsToFloat(0x7C00) == .infinity)
        #expect(DTypeConversion.halfBitsToFloat(0x7E00).isNaN)
        #expect(DTypeConversion.floatToHalfBits(.nan) & 0x7C00 == 0x7C00)
    }

    @Test func f16AgreesWithSwiftFloat16OnEveryPattern() {
        var mismatches = 0
        for bits in UInt16.min...UInt16.max {
            let reference = Float(Float16(bitPattern: bits))
            let ours = DTypeConversion.halfBitsToFloat(bits)
            if reference.isNaN {
                if !ours.isNaN { mismatches += 1 }
            } else if ours.bitPattern != reference.bitPattern || DTypeConversion.floatToHalfBits(ours) != bits {
                mismatches += 1
            }
        }
        #expect(mismatches == 0)
    }

    @Test func f16RoundingMatchesSwiftFloat16() {
        var random = SimpleRandom(seed: 11)
        var mismatches = 0
        let scales: [Float] = [1e-6, 1e-3, 1, 1000, 70000]
        for _ in 0..<20_000 {
            let value = (random.nextFloat() - 0.5) * scales[Int(random.next() % 5)]
            if DTypeConversion.floatToHalfBits(value) != Float16(value).bitPattern { mismatches += 1 }
        }
        #expect(mismatches == 0)
    }

    @Test func bufferConversionsHandleUnalignedSources() {
        let values: [Float] = (0..<37).map { Float($0) * 0.25 - 4 }
        for dtype in DType.allCases where dtype != .u8 {
            var bytes = [UInt8](repeating: 0, count: values.count * dtype.byteSize + 1)
            bytes.withUnsafeMutableBytes { raw in
                values.withUnsafeBufferPointer { DTypeConversion.fromF32(dtype, $0.baseAddress!, raw.baseAddress! + 1, count: values.count) }
            }
            var back = [Float](repeating: .nan, count: values.count)
            bytes.withUnsafeBytes { raw in
                back.withUnsafeMutableBufferPointer {
                    DTypeConversion.toF32(dtype, UnsafeRawBufferPointer(rebasing: raw[1...]), $0.baseAddress!, count: values.count)
                }
            }
            #expect(back == values, "\(dtype)")
        }
    }

    /// U8 (MXFP4 blocks and scales) converts byte values, from any alignment.
    @Test func u8ConvertsByteValues() {
        let bytes: [UInt8] = [7, 0, 1, 127, 128, 254, 255]
        var values = [Float](repeating: .nan, count: bytes.count - 1)
        bytes.withUnsafeBytes { raw in
            values.withUnsafeMutableBufferPointer {
                DTypeConversion.toF32(.u8, UnsafeRawBufferPointer(rebasing: raw[1...]), $0.baseAddress!, count: bytes.count - 1)
            }
        }
        #expect(values == [0, 1, 127, 128, 254, 255])
        var back = [UInt8](repeating: 9, count: values.count)
        back.withUnsafeMutableBytes { raw in
            values.withUnsafeBufferPointer { DTypeConversion.fromF32(.u8, $0.baseAddress!, raw.baseAddress!, count: values.count) }
        }
        #expect(back == Array(bytes.dropFirst()))
        #expect(DType.u8.byteSize == 1 && DType(rawValue: "U8") == .u8 && DType(torchName: "uint8") == nil)
    }

    private func convert(_ bits: [UInt16], _ function: (UnsafeRawBufferPointer, UnsafeMutablePointer<Float>, Int) -> Void) -> [Float] {
        var output = [Float](repeating: 0, count: bits.count)
        bits.withUnsafeBytes { raw in output.withUnsafeMutableBufferPointer { function(raw, $0.baseAddress!, bits.count) } }
        return output
    }
}

/// SplitMix64, for test data.
struct SimpleRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func nextFloat() -> Float { Float(next() >> 40) * 0x1p-24 }
}

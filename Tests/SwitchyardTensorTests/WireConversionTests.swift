import CKernels
import Testing
@testable import SwitchyardTensor

/// The vector conversions of wire rows (`sy_f32_to_bf16_rows` and friends) give, on every kernel path,
/// exactly the bits of the scalar definitions (`floatToBF16Bits`, `bf16BitsToFloat`, `+=`), for
/// special values, every length up to a few vectors, unaligned sources and in-place narrowing.
@Suite("Wire row conversions")
struct WireConversionTests {
    /// Ties, subnormals, infinities, NaNs (quiet and signalling, both signs), values that round
    /// up into the next exponent, and random bits.
    static func values(count: Int) -> [Float] {
        let special: [Float] = [
            0, -0, 1, -1, 1 + 0x1p-8, 1 + 3 * 0x1p-8, .infinity, -.infinity, .nan, -.nan,
            Float(bitPattern: 0x7F80_0001), Float(bitPattern: 0xFF80_0001), Float(bitPattern: 0x7FBF_FFFF),
            .leastNonzeroMagnitude, -.leastNonzeroMagnitude, Float(bitPattern: 0x0000_8000), Float(bitPattern: 0x007F_FFFF),
            .greatestFiniteMagnitude, -.greatestFiniteMagnitude, Float(bitPattern: 0x3F80_8000), Float(bitPattern: 0x3F81_8000),
            Float(bitPattern: 0x3FFF_FFFF), Float(bitPattern: 0x7F7F_FFFF),
        ]
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        return (0..<count).map { i in
            if i < special.count { return special[i] }
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(bitPattern: UInt32(truncatingIfNeeded: state >> 32))
        }
    }

    /// Every length 0...70 at byte offsets 0-3 (unaligned sources), against the scalar definitions.
    static func checkEveryConversion() {
        for count in 0...70 {
            let floats = values(count: count)
            let expectedBits = floats.map(DTypeConversion.floatToBF16Bits)
            let bases = values(count: count + 5).map { $0.isNaN || !$0.isFinite ? 0.5 : $0 }
            for offset in 0..<4 {
                var narrowed = [UInt8](repeating: 0xAA, count: 2 * count + offset + 2)
                var source = [UInt8](repeating: 0, count: 4 * count + offset)
                source.withUnsafeMutableBytes { raw in
                    for (i, value) in floats.enumerated() {
                        raw.storeBytes(of: value.bitPattern.littleEndian, toByteOffset: offset + 4 * i, as: UInt32.self)
                    }
                }
                // f32 -> bf16 from an unaligned f32 copy (the kernel takes raw pointers).
                source.withUnsafeBytes { src in
                    narrowed.withUnsafeMutableBytes { dst in
                        sy_f32_to_bf16_rows(src.baseAddress! + offset, dst.baseAddress! + offset, count)
                    }
                }
                let gotBits = (0..<count).map { i in
                    UInt16(narrowed[offset + 2 * i]) | UInt16(narrowed[offset + 2 * i + 1]) << 8
                }
                #expect(gotBits == expectedBits, "f32 -> bf16, \(count) values at offset \(offset)")
                #expect(narrowed[(offset + 2 * count)...].allSatisfy { $0 == 0xAA }, "wrote past the end")

                // bf16 -> f32, and the two accumulations, from unaligned sources.
                var widened = [Float](repeating: 7, count: count)
                var addedBF16 = Array(bases.prefix(count))
                var addedF32 = Array(bases.prefix(count))
                narrowed.withUnsafeBytes { src in
                    let p = src.baseAddress! + offset
                    widened.withUnsafeMutableBufferPointer { sy_bf16_to_f32_rows(p, $0.baseAddress, count) }
                    addedBF16.withUnsafeMutableBufferPointer { sy_bf16_add_rows(p, $0.baseAddress, count) }
                }
                source.withUnsafeBytes { src in
                    addedF32.withUnsafeMutableBufferPointer { sy_f32_add_rows(src.baseAddress! + offset, $0.baseAddress, count) }
                }
                for i in 0..<count {
                    let widenedExpected = DTypeConversion.bf16BitsToFloat(expectedBits[i])
                    #expect(widened[i].bitPattern == widenedExpected.bitPattern, "bf16 -> f32 [\(i)] of \(count)")
                    #expect((bases[i] + widenedExpected).bitPattern == addedBF16[i].bitPattern, "bf16 += [\(i)] of \(count)")
                    #expect((bases[i] + floats[i]).bitPattern == addedF32[i].bitPattern, "f32 += [\(i)] of \(count)")
                }

                // In place: the f32 buffer's first half becomes the bf16 values.
                var inPlace = floats
                inPlace.withUnsafeMutableBufferPointer { buffer in
                    DTypeConversion.f32ToBF16(buffer.baseAddress!, UnsafeMutableRawPointer(buffer.baseAddress!), count: count)
                }
                let inPlaceBits = inPlace.withUnsafeBytes { raw in
                    (0..<count).map { UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self)) }
                }
                #expect(inPlaceBits == expectedBits, "in place, \(count) values")
            }
        }
    }

    /// Each path the machine has, forced in turn in a child process (the path is process-wide).
    @Test func everyPathMatchesTheScalarDefinition() async {
        await #expect(processExitsWith: .success) {
            for path in KernelPath.available {
                KernelPath.force(path)
                WireConversionTests.checkEveryConversion()
            }
        }
    }
}

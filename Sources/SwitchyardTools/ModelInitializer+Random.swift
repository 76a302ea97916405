import SwitchyardTensor
import SwitchyardModel
import SwitchyardTokenizer
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// xoshiro256** seeded through SplitMix64: a small, fast, fully specified PRNG, so a checkpoint
/// written from a seed is identical on every machine and Swift version.
public struct WeightRandom: Sendable {
    private var s0, s1, s2, s3: UInt64
    private var spare: Float?

    public init(seed: UInt64) {
        var state = seed
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z &>> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z &>> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z &>> 31)
        }
        s0 = next(); s1 = next(); s2 = next(); s3 = next()
    }

    /// A generator for one named tensor: the stream depends only on (seed, name).
    public init(seed: UInt64, name: String) {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325  // FNV-1a
        for byte in name.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        self.init(seed: seed ^ hash)
    }

    @inline(__always)
    public mutating func nextUInt64() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = s3 << 45 | s3 >> 19
        return result
    }

    /// Uniform in (0, 1], never 0 (safe for `log`).
    @inline(__always)
    public mutating func nextUnitFloat() -> Float {
        Float(nextUInt64() >> 40 + 1) * 0x1p-24
    }

    /// A standard normal sample (Box-Muller, both values of each pair used).
    @inline(__always)
    public mutating func nextNormal() -> Float {
        if let value = spare {
            spare = nil
            return value
        }
        let radius = (-2 * logf(nextUnitFloat())).squareRoot()
        let angle = 2 * Float.pi * nextUnitFloat()
        spare = radius * sinf(angle)
        return radius * cosf(angle)
    }
}

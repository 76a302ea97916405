import Foundation
import SwitchyardTensor

/// The benchmark's seedable generator: the project's one xoshiro256** (`SeededGenerator`), so the
/// same `--seed` gives the same prompts and arrival schedule on every machine and Swift version.
public typealias SeededRandom = SeededGenerator

extension SeededGenerator {
    /// A uniform double in the open interval (0, 1): never 0, so `log` of it is finite.
    public mutating func nextOpenUnit() -> Double {
        // 53 random bits, shifted by half a step so both ends are excluded.
        (Double(next() >> 11) + 0.5) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// A standard normal deviate (Box-Muller; one of the pair is discarded to stay stateless).
    public mutating func nextStandardNormal() -> Double {
        let u1 = nextOpenUnit()
        let u2 = nextOpenUnit()
        return (-2.0 * log(u1)).squareRoot() * cos(2.0 * Double.pi * u2)
    }
}

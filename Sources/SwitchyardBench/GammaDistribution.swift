import Foundation

/// The gamma distribution with a shape and a scale, as used by vLLM's benchmark for request gaps.
///
/// With shape 1 it is the exponential distribution (Poisson arrivals); a shape below 1 makes
/// arrivals burstier, above 1 more regular, while `shape * scale` keeps the mean gap.
public struct GammaDistribution: Sendable, Equatable {
    /// The shape parameter k (vLLM's `--burstiness`).
    public let shape: Double
    /// The scale parameter θ: the mean is `shape * scale`.
    public let scale: Double

    /// Creates the distribution; both parameters must be finite and positive.
    public init(shape: Double, scale: Double) {
        precondition(shape > 0 && shape.isFinite && scale > 0 && scale.isFinite, "gamma parameters must be positive")
        self.shape = shape
        self.scale = scale
    }

    /// Draws one sample (Marsaglia and Tsang's method; shape < 1 boosted by U^(1/k)).
    public func sample(using rng: inout SeededRandom) -> Double {
        if shape == 1 {
            return -log(rng.nextOpenUnit()) * scale
        }
        if shape < 1 {
            let boosted = GammaDistribution(shape: shape + 1, scale: 1).sample(using: &rng)
            return boosted * pow(rng.nextOpenUnit(), 1 / shape) * scale
        }
        let d = shape - 1.0 / 3.0
        let c = 1.0 / (9.0 * d).squareRoot()
        while true {
            var x = 0.0
            var v = 0.0
            repeat {
                x = rng.nextStandardNormal()
                v = 1 + c * x
            } while v <= 0
            v = v * v * v
            let u = rng.nextOpenUnit()
            if u < 1 - 0.0331 * x * x * x * x { return d * v * scale }
            if log(u) < 0.5 * x * x + d * (1 - v + log(v)) { return d * v * scale }
        }
    }
}

import Foundation

extension RoPE {
    /// YaRN context extension (transformers' `_compute_yarn_parameters`): each frequency blends its
    /// original value and the value interpolated by `factor`, by a linear ramp over the dimensions
    /// between the correction range of `betaFast` and `betaSlow` rotations at
    /// `originalMaxPositions`; cos and sin are multiplied by `attentionFactor`.
    public struct YaRN: Sendable, Equatable {
        public var factor: Double
        public var originalMaxPositions: Int
        public var betaFast: Double
        public var betaSlow: Double
        /// The factor on cos and sin.
        public var attentionFactor: Double
        /// Whether the correction range is rounded outwards to whole dimensions.
        public var truncate: Bool

        public init(factor: Double, originalMaxPositions: Int, betaFast: Double = 32, betaSlow: Double = 1,
                    attentionFactor: Double, truncate: Bool = true) {
            self.factor = factor
            self.originalMaxPositions = originalMaxPositions
            self.betaFast = betaFast
            self.betaSlow = betaSlow
            self.attentionFactor = attentionFactor
            self.truncate = truncate
        }

        /// YaRN's `mscale`: `0.1 * mscale * ln(scale) + 1` for `scale > 1`, else 1.
        public static func mscale(_ scale: Double, _ mscale: Double = 1) -> Double {
            scale <= 1 ? 1 : 0.1 * mscale * log(scale) + 1
        }

        /// The inverse frequencies of `dim` rotary dimensions with base `theta`.
        public func inverseFrequencies(dim: Int, theta: Double) -> [Double] {
            func correctionDim(_ rotations: Double) -> Double {
                Double(dim) * log(Double(originalMaxPositions) / (rotations * 2 * Double.pi)) / (2 * log(theta))
            }
            var low = correctionDim(betaFast)
            var high = correctionDim(betaSlow)
            if truncate {
                low = low.rounded(.down)
                high = high.rounded(.up)
            }
            low = max(low, 0)
            high = min(high, Double(dim - 1))
            if low == high { high += 0.001 }
            return (0..<(dim / 2)).map { i in
                let base = pow(theta, Double(2 * i) / Double(dim))
                let extrapolation = 1 / base
                let interpolation = 1 / (factor * base)
                let ramp = min(max((Double(i) - low) / (high - low), 0), 1)
                let keep = 1 - ramp
                return interpolation * (1 - keep) + extrapolation * keep
            }
        }
    }
}

import Foundation

/// Rotary position embedding with transformers' `rotate_half` convention: dimension `i` pairs with
/// `i + headDim/2`, frequency `theta^(-2i/headDim)`.
public struct RoPE: Sendable {
    /// The rotated dimension (the head dimension, or fewer with partial rotary).
    public let headDim: Int
    /// The base `theta`.
    public let theta: Double
    private let inverseFrequencies: [Double]
    /// The factor on every cos and sin (YaRN's attention factor; 1 otherwise).
    private let amplitude: Double

    public init(headDim: Int, theta: Double, yarn: YaRN? = nil) {
        if let yarn {
            self.init(headDim: headDim, theta: theta, inverseFrequencies: yarn.inverseFrequencies(dim: headDim, theta: theta),
                      amplitude: yarn.attentionFactor)
        } else {
            self.init(headDim: headDim, theta: theta, inverseFrequencies: Self.inverseFrequencies(headDim: headDim, theta: theta))
        }
    }

    /// RoPE with given per-pair frequencies (scaled RoPE variants) and a factor on every cos and
    /// sin (1 unless YaRN); `theta` is informative.
    public init(headDim: Int, theta: Double, inverseFrequencies: [Double], amplitude: Double = 1) {
        precondition(headDim > 0 && headDim % 2 == 0, "RoPE needs an even head dimension, got \(headDim)")
        precondition(inverseFrequencies.count == headDim / 2, "RoPE needs headDim/2 frequencies")
        self.headDim = headDim
        self.theta = theta
        self.inverseFrequencies = inverseFrequencies
        self.amplitude = amplitude
    }

    /// The unscaled frequencies `theta^(-2i/headDim)`, `i < headDim/2`.
    public static func inverseFrequencies(headDim: Int, theta: Double) -> [Double] {
        (0..<(headDim / 2)).map { i in 1 / pow(theta, Double(2 * i) / Double(headDim)) }
    }

    /// Writes `cos` and `sin` of the angles for `position` (`headDim/2` floats each).
    @inline(__always)
    public func angles(position: Int, cos cosOut: UnsafeMutablePointer<Float>, sin sinOut: UnsafeMutablePointer<Float>) {
        let p = Double(position)
        for i in 0..<(headDim / 2) {
            let angle = p * inverseFrequencies[i]
            cosOut[i] = Float(cos(angle) * amplitude)
            sinOut[i] = Float(sin(angle) * amplitude)
        }
    }

    /// Rotates `heads` consecutive head vectors starting at `x` (each `headDim` floats) in place,
    /// using angles from `angles(position:cos:sin:)`. With `rotaryDim < headDim` (partial rotary)
    /// only each head's first `rotaryDim` values rotate, paired `i` with `i + rotaryDim/2`.
    @inline(__always)
    public static func rotate(
        _ x: UnsafeMutablePointer<Float>, heads: Int, headDim: Int, rotaryDim: Int? = nil,
        cos: UnsafePointer<Float>, sin: UnsafePointer<Float>
    ) {
        let half = (rotaryDim ?? headDim) / 2
        for h in 0..<heads {
            let v = x + h * headDim
            for i in 0..<half {
                let x1 = v[i]
                let x2 = v[i + half]
                v[i] = x1 * cos[i] - x2 * sin[i]
                v[i + half] = x2 * cos[i] + x1 * sin[i]
            }
        }
    }

    /// Rotates adjacent pairs `(2i, 2i+1)` by angle `i` (DeepSeek's interleaved layout, transformers'
    /// complex `apply_rotary_emb` / `apply_rotary_pos_emb_interleave`) of the first `rotaryDim`
    /// values of `heads` head vectors `headDim` apart, in place.
    ///
    /// transformers' interleaved variant for deepseek_v3 writes the rotated pairs de-interleaved
    /// (evens then odds) in q and k alike; a dot product is the same either way, so keeping pairs in
    /// place matches it wherever q·k is all that is read.
    @inline(__always)
    public static func rotateInterleaved(
        _ x: UnsafeMutablePointer<Float>, heads: Int, headDim: Int, rotaryDim: Int,
        cos: UnsafePointer<Float>, sin: UnsafePointer<Float>
    ) {
        for h in 0..<heads {
            let v = x + h * headDim
            for i in 0..<(rotaryDim / 2) {
                let x1 = v[2 * i]
                let x2 = v[2 * i + 1]
                v[2 * i] = x1 * cos[i] - x2 * sin[i]
                v[2 * i + 1] = x2 * cos[i] + x1 * sin[i]
            }
        }
    }
}

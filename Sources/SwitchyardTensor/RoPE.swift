import Foundation

/// Rotary position embedding with transformers' `rotate_half` convention: dimension `i` pairs with
/// `i + headDim/2`, frequency `theta^(-2i/headDim)`.
public struct RoPE: Sendable {
    /// The rotated dimension (the head dimension).
    public let headDim: Int
    /// The base `theta`.
    public let theta: Double
    private let inverseFrequencies: [Double]

    public init(headDim: Int, theta: Double) {
        self.init(headDim: headDim, theta: theta, inverseFrequencies: Self.inverseFrequencies(headDim: headDim, theta: theta))
    }

    /// RoPE with given per-pair frequencies (scaled RoPE variants); `theta` is informative.
    public init(headDim: Int, theta: Double, inverseFrequencies: [Double]) {
        precondition(headDim > 0 && headDim % 2 == 0, "RoPE needs an even head dimension, got \(headDim)")
        precondition(inverseFrequencies.count == headDim / 2, "RoPE needs headDim/2 frequencies")
        self.headDim = headDim
        self.theta = theta
        self.inverseFrequencies = inverseFrequencies
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
            cosOut[i] = Float(cos(angle))
            sinOut[i] = Float(sin(angle))
        }
    }

    /// Rotates `heads` consecutive head vectors starting at `x` (each `headDim` floats) in place,
    /// using angles from `angles(position:cos:sin:)`.
    @inline(__always)
    public static func rotate(
        _ x: UnsafeMutablePointer<Float>, heads: Int, headDim: Int,
        cos: UnsafePointer<Float>, sin: UnsafePointer<Float>
    ) {
        let half = headDim / 2
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
}

import Foundation

/// Rotary position embedding with transformers' `rotate_half` convention: dimension `i` pairs with
/// `i + headDim/2`, frequency `theta^(-2i/headDim)`.
public struct RoPE: Sendable {
    /// The rotated dimension (the head dimension, or fewer with partial rotary).
    public let headDim: Int
    /// The base `theta`.
    public let theta: Double
    private let inverseFrequencies: [Double]

    public init(headDim: Int, theta: Double) {
        precondition(headDim > 0 && headDim % 2 == 0, "RoPE needs an even head dimension, got \(headDim)")
        self.headDim = headDim
        self.theta = theta
        let half = headDim / 2
        inverseFrequencies = (0..<half).map { i in 1 / pow(theta, Double(2 * i) / Double(headDim)) }
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
}

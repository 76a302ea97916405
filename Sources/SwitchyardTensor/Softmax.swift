import CKernels
import Foundation

/// Numerically stable softmax (max subtracted) in place.
public enum Softmax {
    /// Replaces `x[0..<count]` by its softmax.
    @inline(__always)
    public static func apply(_ x: UnsafeMutablePointer<Float>, count: Int) {
        guard count > 0 else { return }
        var maxValue = x[0]
        for i in 1..<count where x[i] > maxValue { maxValue = x[i] }
        var sum: Float = 0
        for i in 0..<count {
            let e = expf(x[i] - maxValue)
            x[i] = e
            sum += e
        }
        let inverse = 1 / sum
        for i in 0..<count { x[i] *= inverse }
    }

    /// `log Σ exp(x[i])` over `count` floats, computed stably (shifted by the maximum; vectorised
    /// exponentials summed in double, `CKernels`). An infinite or NaN maximum is returned as is.
    @inline(__always)
    public static func logSumExp(_ x: UnsafePointer<Float>, count: Int) -> Float {
        sy_log_sum_exp(x, Int32(count))
    }
}

import Foundation
import SwitchyardTensor

/// Log-probabilities from raw logits: `log_softmax(x)_i = x_i - max - log Σ exp(x_j - max)`.
public enum LogSoftmax {
    /// `log Σ exp(x_j)`, computed stably (`Softmax.logSumExp`).
    public static func logSumExp(_ logits: UnsafeBufferPointer<Float>) -> Float {
        guard let base = logits.baseAddress, !logits.isEmpty else { return -.infinity }
        return Softmax.logSumExp(base, count: logits.count)
    }

    /// Writes the log-softmax of `logits` into `into` (`logits.count` floats).
    public static func compute(_ logits: UnsafeBufferPointer<Float>, into output: UnsafeMutablePointer<Float>) {
        let lse = logSumExp(logits)
        for i in 0..<logits.count { output[i] = logits[i] - lse }
    }

    /// The log-probability of `token` under `logits`.
    public static func logprob(of token: Int, _ logits: UnsafeBufferPointer<Float>) -> Float {
        logits[token] - logSumExp(logits)
    }

    /// The `k` most likely tokens and their log-probabilities, most likely first (ties: lower id first).
    public static func topK(_ logits: UnsafeBufferPointer<Float>, k: Int) -> [(token: Int32, logprob: Float)] {
        let k = min(max(k, 0), logits.count)
        guard k > 0, let base = logits.baseAddress else { return [] }
        let lse = logSumExp(logits)
        var ids = [Int32](repeating: 0, count: k)
        var values = [Float](repeating: 0, count: k)
        ids.withUnsafeMutableBufferPointer { idBuffer in
            values.withUnsafeMutableBufferPointer { valueBuffer in
                SwitchyardTensor.TopK.select(base, count: logits.count, k: k, indices: idBuffer.baseAddress!, topValues: valueBuffer.baseAddress!)
            }
        }
        return (0..<k).map { (ids[$0], values[$0] - lse) }
    }
}

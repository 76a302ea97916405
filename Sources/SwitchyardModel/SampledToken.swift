/// A chosen token and its natural-log probability under the model (log-softmax of the raw logits,
/// before temperature, top-k or top-p).
public struct SampledToken: Sendable, Equatable {
    public var token: Int32
    public var logprob: Float
    /// `log Σ exp(logits)` of the row it was drawn from, so callers needing other tokens'
    /// log-probabilities (top logprobs) do not go over the vocabulary again.
    public var logSumExp: Float

    public init(token: Int32, logprob: Float, logSumExp: Float) {
        self.token = token
        self.logprob = logprob
        self.logSumExp = logSumExp
    }
}

/// A chosen token and its natural-log probability under the model (log-softmax of the raw logits,
/// before temperature, top-k or top-p).
public struct SampledToken: Sendable, Equatable {
    public var token: Int32
    public var logprob: Float

    public init(token: Int32, logprob: Float) {
        self.token = token
        self.logprob = logprob
    }
}

import SwitchyardModel

/// One sequence to generate: what the HTTP layer hands to `EngineService`.
public struct GenerationRequest: Sendable {
    public var promptTokens: [Int32]
    public var maxNewTokens: Int
    public var sampling: SamplingParams
    /// Token ids that end the sequence (EOS ids unless `ignore_eos`, plus `stop_token_ids`).
    public var stopTokenIDs: Set<Int32>
    /// How many top alternatives to report per token; nil for none.
    public var topLogprobs: Int?
    /// Log-probabilities of the prompt's tokens (each under the tokens before it) with this many
    /// top alternatives; nil for none. The engine then computes logits for every prompt position.
    public var promptLogprobs: Int?

    public init(promptTokens: [Int32], maxNewTokens: Int, sampling: SamplingParams, stopTokenIDs: Set<Int32>, topLogprobs: Int? = nil,
                promptLogprobs: Int? = nil) {
        self.promptTokens = promptTokens
        self.maxNewTokens = maxNewTokens
        self.sampling = sampling
        self.stopTokenIDs = stopTokenIDs
        self.topLogprobs = topLogprobs
        self.promptLogprobs = promptLogprobs
    }
}

/// One generated token as it streams out of the engine.
public struct GeneratedToken: Sendable, Equatable {
    public var token: Int32
    /// Natural-log probability of `token` under the model (log-softmax of the raw logits).
    public var logprob: Float
    /// The most likely tokens at this position with their log-probabilities, best first.
    public var topLogprobs: [TokenLogprob]
    /// Set on the sequence's last token.
    public var finishReason: FinishReason?
    /// On the first token of a sequence that asked for them: the prompt's log-probabilities, one per
    /// prompt token after the first (which has none).
    public var promptLogprobs: [PromptTokenLogprob]? = nil

    public init(token: Int32, logprob: Float, topLogprobs: [TokenLogprob], finishReason: FinishReason?,
                promptLogprobs: [PromptTokenLogprob]? = nil) {
        self.token = token
        self.logprob = logprob
        self.topLogprobs = topLogprobs
        self.finishReason = finishReason
        self.promptLogprobs = promptLogprobs
    }
}

/// One prompt token's log-probability given the tokens before it.
public struct PromptTokenLogprob: Sendable, Equatable {
    public var token: Int32
    public var logprob: Float
    /// 1 + how many tokens the model found more likely (vLLM's `rank`).
    public var rank: Int
    /// The most likely tokens at this position, best first.
    public var topLogprobs: [TokenLogprob]
}

/// A token id with its log-probability.
public struct TokenLogprob: Sendable, Equatable {
    public var token: Int32
    public var logprob: Float
}

/// Why the engine could not finish a sequence.
public enum GenerationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The engine step failed (for example, a worker holding needed experts died).
    case engineFailed(String)
    /// The server shut down before the sequence finished.
    case shuttingDown
    /// The sequence was cancelled (its client went away, or a stop string ended it).
    case cancelled

    public var description: String {
        switch self {
        case .engineFailed(let reason): "generation failed: \(reason)"
        case .shuttingDown: "the server is shutting down"
        case .cancelled: "the request was cancelled"
        }
    }
}

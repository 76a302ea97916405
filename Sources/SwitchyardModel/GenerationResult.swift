/// Why generation of a sequence ended, in OpenAI's words (the raw value is the API's `finish_reason`).
public enum FinishReason: String, Sendable, Equatable {
    /// `maxTokens` (`max_tokens`) were generated, or the context is full.
    case length
    /// An end-of-sequence token, a stop token id or a stop string ended it (a token is included
    /// in the output, a stop string is not).
    case stop
}

/// One sequence's generation: the prompt, the generated ids, their log-probabilities and why it ended.
public struct GenerationResult: Sendable, Equatable {
    public var promptTokenIDs: [Int32]
    public var tokenIDs: [Int32]
    /// `logprobs[i]`: natural-log probability of `tokenIDs[i]` (log-softmax of the raw logits).
    public var logprobs: [Float]
    public var finishReason: FinishReason

    public init(promptTokenIDs: [Int32], tokenIDs: [Int32], logprobs: [Float], finishReason: FinishReason) {
        self.promptTokenIDs = promptTokenIDs
        self.tokenIDs = tokenIDs
        self.logprobs = logprobs
        self.finishReason = finishReason
    }

    /// The one-line JSON object `switchyard generate --json` prints:
    /// `{"prompt_token_ids": [...], "token_ids": [...], "logprobs": [...], "finish_reason": "..."}`.
    public var json: String { json(text: nil) }

    /// The same object with `"text"` (the decoded output) added when `text` is given.
    public func json(text: String?) -> String {
        func list<T>(_ xs: [T], _ f: (T) -> String) -> String { "[" + xs.map(f).joined(separator: ", ") + "]" }
        let logprobText = list(logprobs) { $0.isFinite ? "\($0)" : "null" }
        return "{\"prompt_token_ids\": \(list(promptTokenIDs) { "\($0)" }), \"token_ids\": \(list(tokenIDs) { "\($0)" }), "
            + "\"logprobs\": \(logprobText), \"finish_reason\": \"\(finishReason.rawValue)\""
            + (text.map { ", \"text\": " + JSONStringLiteral.quoted($0) } ?? "") + "}"
    }
}

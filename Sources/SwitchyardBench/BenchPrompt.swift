/// What a request sends as its prompt: token ids, or text for a server that tokenizes.
public enum PromptContent: Sendable, Equatable {
    case tokenIDs([Int])
    case text(String)
}

/// One prompt of a run, with the number of tokens to ask for.
public struct BenchPrompt: Sendable, Equatable {
    /// The prompt sent as `prompt`.
    public var content: PromptContent
    /// `max_tokens` for this request (exact when the server honours `ignore_eos`).
    public var outputTokens: Int

    public init(content: PromptContent, outputTokens: Int) {
        self.content = content
        self.outputTokens = outputTokens
    }

    /// The prompt length in tokens when known on the client (token ids); nil for text prompts,
    /// whose length comes from the server's `usage.prompt_tokens`.
    public var knownInputTokens: Int? {
        if case .tokenIDs(let ids) = content { return ids.count }
        return nil
    }
}

import Foundation

/// The JSON body of `POST /v1/completions` (or `/v1/chat/completions`, the prompt as one user
/// message), in OpenAI's shape with vLLM's `ignore_eos` extension.
struct CompletionRequestBody: Encodable {
    struct StreamOptions: Encodable {
        var includeUsage = true
        enum CodingKeys: String, CodingKey { case includeUsage = "include_usage" }
    }

    var model: String
    var prompt: PromptContent
    var maxTokens: Int
    var temperature: Double
    var stream: Bool
    var ignoreEOS: Bool
    var endpoint: BenchEndpoint = .completions

    struct Message: Encodable {
        var role = "user"
        var content: String
    }

    enum CodingKeys: String, CodingKey {
        case model, prompt, temperature, stream, messages
        case maxTokens = "max_tokens"
        case streamOptions = "stream_options"
        case ignoreEOS = "ignore_eos"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(model, forKey: .model)
        switch (prompt, endpoint) {
        case (.tokenIDs(let ids), .completions): try c.encode(ids, forKey: .prompt)
        case (.text(let text), .completions): try c.encode(text, forKey: .prompt)
        // A chat message is text: token ids (a server without a tokenizer) go as their numbers.
        case (.tokenIDs(let ids), .chat): try c.encode([Message(content: ids.map(String.init).joined(separator: " "))], forKey: .messages)
        case (.text(let text), .chat): try c.encode([Message(content: text)], forKey: .messages)
        }
        try c.encode(maxTokens, forKey: .maxTokens)
        try c.encode(temperature, forKey: .temperature)
        try c.encode(stream, forKey: .stream)
        if stream { try c.encode(StreamOptions(), forKey: .streamOptions) }
        if ignoreEOS { try c.encode(true, forKey: .ignoreEOS) }
    }

    /// The encoded bytes.
    func bytes() -> [UInt8] {
        // Encoding plain strings and numbers cannot fail.
        (try? Array(JSONEncoder().encode(self))) ?? []
    }
}

/// The JSON bodies of `/v1/completions` answers, in OpenAI's legacy completions shape.
struct CompletionResponse: Encodable {
    var id: String
    var object = "text_completion"
    var created: Int
    var model: String
    var choices: [CompletionChoice]
    var usage: Usage?

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(object, forKey: .object)
        try container.encode(created, forKey: .created)
        try container.encode(model, forKey: .model)
        try container.encode(choices, forKey: .choices)
        try container.encode(usage, forKey: .usage)  // null in stream chunks, as OpenAI sends it
    }

    enum CodingKeys: String, CodingKey { case id, object, created, model, choices, usage }
}

/// One choice (one prompt's completion), or one streamed delta of it.
struct CompletionChoice: Encodable {
    var index: Int
    var text: String
    var logprobs: CompletionLogprobs?
    var finishReason: String?
    /// vLLM's `return_token_ids` extension.
    var tokenIDs: [Int32]?
    var promptTokenIDs: [Int32]?
    /// vLLM's `prompt_logprobs` extension.
    var promptLogprobs: [[String: PromptLogprobEntry]?]?

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(index, forKey: .index)
        try container.encode(text, forKey: .text)
        try container.encode(logprobs, forKey: .logprobs)
        try container.encode(finishReason, forKey: .finishReason)
        try container.encodeIfPresent(tokenIDs, forKey: .tokenIDs)
        try container.encodeIfPresent(promptTokenIDs, forKey: .promptTokenIDs)
        try container.encodeIfPresent(promptLogprobs, forKey: .promptLogprobs)
    }

    enum CodingKeys: String, CodingKey {
        case index, text, logprobs
        case finishReason = "finish_reason"
        case tokenIDs = "token_ids"
        case promptTokenIDs = "prompt_token_ids"
        case promptLogprobs = "prompt_logprobs"
    }
}

/// One token of vLLM's `prompt_logprobs`.
struct PromptLogprobEntry: Encodable {
    var logprob: Float
    var rank: Int
    var decodedToken: String

    enum CodingKeys: String, CodingKey {
        case logprob, rank
        case decodedToken = "decoded_token"
    }
}

/// Legacy completions logprobs: parallel arrays over the (echoed prompt and) generated tokens; the
/// first prompt token's entries are null.
struct CompletionLogprobs: Encodable {
    var tokens: [String] = []
    var tokenLogprobs: [Float?] = []
    var topLogprobs: [[String: Float]?] = []
    var textOffset: [Int] = []

    /// These entries followed by `other`'s.
    func appending(_ other: CompletionLogprobs) -> CompletionLogprobs {
        var result = self
        result.tokens += other.tokens
        result.tokenLogprobs += other.tokenLogprobs
        result.topLogprobs += other.topLogprobs
        result.textOffset += other.textOffset
        return result
    }

    enum CodingKeys: String, CodingKey {
        case tokens
        case tokenLogprobs = "token_logprobs"
        case topLogprobs = "top_logprobs"
        case textOffset = "text_offset"
    }
}

struct Usage: Encodable {
    var promptTokens: Int
    var completionTokens: Int
    var totalTokens: Int { promptTokens + completionTokens }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(promptTokens, forKey: .promptTokens)
        try container.encode(completionTokens, forKey: .completionTokens)
        try container.encode(totalTokens, forKey: .totalTokens)
    }

    enum CodingKeys: String, CodingKey {
        case promptTokens = "prompt_tokens"
        case completionTokens = "completion_tokens"
        case totalTokens = "total_tokens"
    }
}

/// `GET /v1/models`.
struct ModelList: Encodable {
    struct Model: Encodable {
        var id: String
        var object = "model"
        var created: Int
        var ownedBy = "switchyard"
        var maxModelLen: Int
        /// Token ids are below it (clients such as `switchyard bench` draw random prompts from it).
        var vocabSize: Int

        enum CodingKeys: String, CodingKey {
            case id, object, created
            case ownedBy = "owned_by"
            case maxModelLen = "max_model_len"
            case vocabSize = "vocab_size"
        }
    }
    var object = "list"
    var data: [Model]
}

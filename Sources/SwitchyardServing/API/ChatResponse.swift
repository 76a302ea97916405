/// The JSON bodies of `/v1/chat/completions` answers: `chat.completion` and, streamed,
/// `chat.completion.chunk`.
struct ChatResponse: Encodable {
    var id: String
    var object: String
    var created: Int
    var model: String
    var systemFingerprint: String
    var choices: [ChatChoice]
    var usage: Usage?
    /// Stream chunks carry `"usage": null` only when usage was asked for, as OpenAI sends them.
    var encodesNullUsage = true

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(object, forKey: .object)
        try container.encode(created, forKey: .created)
        try container.encode(model, forKey: .model)
        try container.encode(systemFingerprint, forKey: .systemFingerprint)
        try container.encode(choices, forKey: .choices)
        if encodesNullUsage { try container.encode(usage, forKey: .usage) } else { try container.encodeIfPresent(usage, forKey: .usage) }
    }

    enum CodingKeys: String, CodingKey {
        case id, object, created, model, choices, usage
        case systemFingerprint = "system_fingerprint"
    }
}

/// One choice: a whole `message`, or a streamed `delta`.
struct ChatChoice: Encodable {
    var index: Int
    var message: ChatMessage?
    var delta: ChatMessage?
    var logprobs: ChatLogprobs?
    var finishReason: String?

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(index, forKey: .index)
        try container.encodeIfPresent(message, forKey: .message)
        try container.encodeIfPresent(delta, forKey: .delta)
        try container.encode(logprobs, forKey: .logprobs)
        try container.encode(finishReason, forKey: .finishReason)
    }

    enum CodingKeys: String, CodingKey {
        case index, message, delta, logprobs
        case finishReason = "finish_reason"
    }
}

/// An assistant message, or the part of one a stream chunk adds.
struct ChatMessage: Encodable {
    var role: String?
    var content: String?
    var reasoningContent: String?
    var toolCalls: [ChatToolCall]?
    /// Whole messages always carry `content` (null when there is none); deltas only what they add.
    var isDelta = false

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(role, forKey: .role)
        if isDelta { try container.encodeIfPresent(content, forKey: .content) } else { try container.encode(content, forKey: .content) }
        try container.encodeIfPresent(reasoningContent, forKey: .reasoningContent)
        if let toolCalls { try container.encode(toolCalls, forKey: .toolCalls) } else if !isDelta { try container.encode([ChatToolCall](), forKey: .toolCalls) }
    }

    enum CodingKeys: String, CodingKey {
        case role, content
        case reasoningContent = "reasoning_content"
        case toolCalls = "tool_calls"
    }
}

struct ChatToolCall: Encodable {
    struct Function: Encodable {
        var name: String
        var arguments: String
    }
    /// Position in the message's list; sent in stream deltas only.
    var index: Int?
    var id: String
    var type = "function"
    var function: Function
}

/// `logprobs` in the chat shape: one entry per generated token.
struct ChatLogprobs: Encodable {
    struct Entry: Encodable {
        struct Alternative: Encodable {
            var token: String
            var logprob: Float
            var bytes: [UInt8]?

            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(token, forKey: .token)
                try container.encode(logprob, forKey: .logprob)
                try container.encode(bytes, forKey: .bytes)
            }

            enum CodingKeys: String, CodingKey { case token, logprob, bytes }
        }
        var token: String
        var logprob: Float
        var bytes: [UInt8]?
        var topLogprobs: [Alternative]

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(token, forKey: .token)
            try container.encode(logprob, forKey: .logprob)
            try container.encode(bytes, forKey: .bytes)
            try container.encode(topLogprobs, forKey: .topLogprobs)
        }

        enum CodingKeys: String, CodingKey {
            case token, logprob, bytes
            case topLogprobs = "top_logprobs"
        }
    }
    var content: [Entry] = []
}
